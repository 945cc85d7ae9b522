"""The registered model: the analysed objects themselves, persisted with ``skops.io``.

The state is the fitted :class:`~border_readiness.features.composite.ReadinessModel` of the
run (the very
object that produced ``scores.csv``), the run's
:class:`~border_readiness.clustering.models.ClusterAssignment`
(which reproduces the run's cluster labels), the profile rules and the level scores of the
reference subjects (for profile percentiles), the indicator catalogue and the training year.
``skops.io`` stores them without pickle; :func:`load` accepts only the types listed in
:data:`TRUSTED_TYPES` (scikit-learn's and this package's estimators), so loading a registered
model never executes untrusted serialised code.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from border_readiness.features.catalogue import Indicator
from border_readiness.features.profiles import ProfileRule, assign_profiles

__all__ = [
    "STATE_VERSION",
    "TRUSTED_TYPES",
    "UnscoredRegionsWarning",
    "dump",
    "freeze",
    "load",
    "predict_frozen",
]


class UnscoredRegionsWarning(UserWarning):
    """Regions of the input left without a row because they have too little data."""


STATE_VERSION = 2

#: This package's types a state file may hold. skops itself trusts numpy, builtins and
#: scikit-learn's estimators (KMeans, GaussianMixture, KNeighborsClassifier, Pipeline); any
#: other type makes :func:`load` refuse the file.
TRUSTED_TYPES = frozenset(
    {
        "border_readiness.features.composite.model.ReadinessModel",
        "border_readiness.features.composite.treatment.OutlierTreatment",
        "border_readiness.features.composite.normalisation.Normaliser",
        "border_readiness.features.composite.weights.IndicatorWeights",
        "border_readiness.features.composite.aggregation.LevelAggregator",
        "border_readiness.clustering.models.ClusterAssignment",
    }
)


def freeze(prep, report, run) -> dict:
    """The state of a fitted pipeline: the run's fitted model objects and the data they need.

    Parameters
    ----------
    prep : Prepared
        The prepared data of the run: year, regions, indicator catalogue, profile rules.
    report : ScoreReport
        The run's score, with its fitted ``ReadinessModel`` and the level scores of every
        reference subject (``scores_all``).
    run : ClusterRun
        The run's clustering, with its ``ClusterAssignment``.

    Returns
    -------
    dict
        ``state_version``, ``year``, ``regions``, ``catalogue`` (dicts), ``features``,
        ``readiness`` (the ReadinessModel), ``cluster_method``, ``cluster_assignment``,
        ``level_distribution`` (sorted reference level scores per level, for percentiles)
        and ``profile_rules`` (dicts): only builtins, numpy and :data:`TRUSTED_TYPES`.

    Raises
    ------
    ValueError
        The report has no model or the run no cluster assignment.

    Examples
    --------
    >>> state = freeze(prep, report, run)  # doctest: +SKIP
    >>> type(state["readiness"]).__name__  # doctest: +SKIP
    'ReadinessModel'
    """
    model = report.model
    if model is None or run.assignment is None:
        raise ValueError("freeze needs a score report with its model and a cluster run")
    # The level scores of every reference subject, for the profile percentiles of new regions.
    reference_scores = report.scores_all
    return {
        "state_version": STATE_VERSION,
        "year": int(prep.year),
        "regions": list(prep.regions),
        "catalogue": [vars(i) for i in prep.catalogue],
        "features": list(model.feature_names_in_),
        "readiness": model,
        "cluster_method": run.method,
        "cluster_assignment": run.assignment,
        "level_distribution": {
            c: np.sort(reference_scores[c].to_numpy(dtype=float)) for c in reference_scores
        },
        "profile_rules": [vars(r) for r in prep.rules],
    }


def dump(state: dict, path) -> None:
    """Write a state with ``skops.io`` (no pickle).

    Parameters
    ----------
    state : dict
        A state from :func:`freeze`.
    path : str or Path
        The file to write (by convention ``.skops``).
    """
    import skops.io as sio

    sio.dump(state, str(path))


def load(path) -> dict:
    """Read a state written by :func:`dump`, trusting only :data:`TRUSTED_TYPES`.

    Parameters
    ----------
    path : str or Path
        The state file.

    Returns
    -------
    dict
        The state, as :func:`freeze` made it.

    Raises
    ------
    ValueError
        The file holds a type outside :data:`TRUSTED_TYPES`.
    """
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=str(path))
    unknown = sorted(set(untrusted) - TRUSTED_TYPES)
    if unknown:
        raise ValueError(f"{path}: the model state holds untrusted types {unknown}; not loaded")
    return sio.load(str(path), trusted=list(untrusted))


def predict_frozen(
    state: dict, data: pd.DataFrame, *, year: int | None = None, regions: list[str] | None = None
) -> pd.DataFrame:
    """Score new long-layout data with a frozen state.

    Returns one row per region: ``region_id, year, cluster, profile_type``, the level and
    overall scores (``score__<level>``) and the exact SHAP value of every indicator for its
    level score (``shap__<level>__<feature>``), with the training year's Russian subjects as
    the background (as in the run's ``shap.csv``).

    Parameters
    ----------
    state : dict
        A state from :func:`freeze` or :func:`load`.
    data : pandas.DataFrame
        New data in the long layout (``region_id, year, indicator, value`` ...), for any
        Russian subjects; it is validated as a user's file is.
    year : int, optional
        The year to score; None is the latest year whose features are complete for the
        regions the model was fitted on (or those present), as at training time.
    regions : list of str, optional
        Report only these regions. The indicators are still compiled over every region of
        the input (imputations use them), so a region's row is the same as without this
        option; only the work of scoring and explaining the others is saved.

    Returns
    -------
    pandas.DataFrame
        One row per region that can be scored, columns as described above. Regions with too
        little data are refused: they have no row, and an :class:`UnscoredRegionsWarning`
        names them (``out.attrs["not_scored"]`` lists them too).

    Raises
    ------
    ValueError
        No region of the input can be scored for the year; a
        :class:`~border_readiness.features.dataset.DataValidationError` (a ValueError) when
        the data breaks the long-layout contract.

    Examples
    --------
    >>> predict_frozen(state, load_dataset())  # doctest: +SKIP
    """
    from border_readiness.clustering.shapley import readiness_shap
    from border_readiness.features.dataset import validate_long
    from border_readiness.features.indicators import compile_indicators, latest_complete_year
    from border_readiness.features.regions import russian_subjects

    data = validate_long(data, source="model input")
    catalogue = [Indicator(**entry) for entry in state["catalogue"]]
    in_data = set(data["region_id"])
    present = [r for r in russian_subjects() if r in in_data]
    if year is None:
        # The latest year whose features are complete for the regions the model was fitted
        # on (or those present), as at training time.
        focus = [r for r in state["regions"] if r in present] or present
        year = latest_complete_year(data, regions=focus, catalogue=catalogue)
    year = int(year)
    compiled = compile_indicators(data, year=year, regions=present, catalogue=catalogue)
    if compiled.matrix.empty:
        raise ValueError(
            f"no region of the input can be scored for {year}: "
            f"{len(compiled.refused)} refused for too little data"
        )
    if len(compiled.refused):
        # Never drop a region silently: say which were left out and why (a caller can
        # turn the warning into an error with ``warnings.simplefilter("error")``).
        why = compiled.refused.set_index("region_id")["missing_features"]
        left_out = sorted(set(why.index) & set(regions or present))
        if left_out:
            warnings.warn(
                f"{year}: not scored, too little data (see the imputation rules): "
                + "; ".join(f"{r} (missing {why[r].replace('|', ', ')})" for r in left_out),
                UnscoredRegionsWarning,
                stacklevel=2,
            )
    model = state["readiness"]
    # Subjects refused by keep_apart stay in the matrix as reference rows; they are not scored.
    X = compiled.matrix[state["features"]].drop(
        index=compiled.refused["region_id"], errors="ignore"
    )
    if regions is not None:
        X = X.loc[[r for r in X.index if r in set(regions)]]
    scores = pd.DataFrame(
        model.transform(X), index=X.index, columns=list(model.get_feature_names_out())
    )
    Xn = model.normalise(X)
    out = pd.DataFrame(index=X.index)
    out["year"] = year
    pct = pd.DataFrame(
        {
            c: [_percentile(state["level_distribution"][c], v) for v in scores[c]]
            for c in scores.columns
        },
        index=scores.index,
    )
    rules = [ProfileRule(**r) for r in state["profile_rules"]]
    out["profile_type"] = assign_profiles(pct, rules)
    out["cluster"] = state["cluster_assignment"].predict((Xn / model.unit_).to_numpy(dtype=float))
    for c in scores.columns:
        out[f"score__{c}"] = scores[c]
    shap_long = readiness_shap(model, Xn)
    wide = shap_long.assign(
        column="shap__" + shap_long["target"] + "__" + shap_long["feature"]
    ).pivot(index="region_id", columns="column", values="shap_value")
    order = [
        f"shap__{t}__{f}"
        for t, f in dict.fromkeys(zip(shap_long.target, shap_long.feature, strict=True))
    ]
    out = out.join(wide[order])
    out = out.reset_index().rename(columns={"index": "region_id"})
    first = ["region_id", "year", "cluster", "profile_type"]
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs["not_scored"] = sorted(set(compiled.refused["region_id"]) & set(regions or present))
    return out


def _percentile(distribution, value: float) -> float:
    # The share of training subjects scoring lower, in the same 0–100 sense as the training
    # percentiles (average rank among the training subjects).
    if math.isnan(value):
        return math.nan
    arr = np.asarray(distribution)
    below = float((arr < value).sum()) + 0.5 * float((arr == value).sum())
    n = len(arr)
    return 100.0 * max(0.0, below - 0.5) / max(n - 1, 1)
