"""Why a region scores, clusters or disagrees as it does: SHAP values and distance contrasts.

Three one-shot analyses, each exact where it can be:

* :func:`additive_shap` -- exact SHAP values of the arithmetic level scores. A weighted mean
  is linear, so the SHAP value of indicator i is ``w_i * (x_i - E[x_i])``; no sampling and no
  model are involved.
* :func:`surrogate_explanation` -- a shallow decision tree that reproduces cluster (or type)
  membership, its leave-one-out fidelity, its rules and its TreeSHAP values (exact for trees).
  A surrogate's SHAP values describe the surrogate, not the clustering; they are only worth
  reading when the fidelity is high, so the fidelity travels with them everywhere.
* :func:`disagreement_drivers` -- for a region the data puts in another type than the expert,
  the indicators that pull it towards the data's group and away from the expert's.

The module is pure computation on the matrices given to it: no file I/O, no tracking. scikit-
learn and shap are imported inside the functions that need them, so that importing
``clustering`` stays light.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from border_readiness.features.composite import normalise_weights

__all__ = [
    "MIN_FIDELITY",
    "SurrogateExplanation",
    "additive_shap",
    "disagreement_drivers",
    "surrogate_explanation",
]

#: Below this leave-one-out accuracy a surrogate tree is not a faithful copy of the clustering,
#: and its SHAP values must not be read as the reasons for membership.
MIN_FIDELITY = 0.7

_SHAP_COLUMNS = ["region_id", "target", "feature", "shap_value", "feature_value", "base_value"]
_DRIVER_COLUMNS = [
    "region_id",
    "data_type",
    "expert_type",
    "feature",
    "z",
    "centroid_data",
    "centroid_expert",
    "toward_data",
    "away_from_expert",
    "net",
    "rank",
]


# --------------------------------------------------------------------------------------------
# validation helpers (shared with border_readiness.clustering.embedding)
# --------------------------------------------------------------------------------------------


def _finite_matrix(X: pd.DataFrame, name: str = "X") -> np.ndarray:
    """Check a regions x features frame without gaps and return its values as float."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame (regions x features), got {type(X).__name__}"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty ({X.shape[0]} regions x {X.shape[1]} features)")
    for axis, what in ((X.index, "regions in its index"), (X.columns, "feature columns")):
        if axis.has_duplicates:
            dups = sorted(map(str, axis[axis.duplicated()].unique()))
            raise ValueError(f"{name} has duplicated {what}: {dups}")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise ValueError(f"{name} has non-numeric feature columns: {bad}")
    values = X.to_numpy(dtype=float)
    finite = np.isfinite(values)
    if not finite.all():
        rows = [str(r) for r in X.index[~finite.all(axis=1)]]
        cols = [str(c) for c in X.columns[~finite.all(axis=0)]]
        raise ValueError(
            f"{name} has missing or infinite values (regions {rows}, features {cols}); "
            "impute them first"
        )
    return values


def _labels(labels: pd.Series | Sequence | np.ndarray, index: pd.Index, name: str) -> pd.Series:
    """Labels as a Series aligned on ``index`` (a Series by label, anything else by position)."""
    if isinstance(labels, pd.Series):
        if labels.index.has_duplicates:
            dups = sorted(map(str, labels.index[labels.index.duplicated()].unique()))
            raise ValueError(f"{name} has duplicated regions: {dups}")
        missing = [str(r) for r in index if r not in labels.index]
        if missing:
            raise ValueError(f"{name} has no label for region(s) {missing}")
        series = labels.reindex(index)
    else:
        values = np.asarray(labels, dtype=object)
        if values.ndim != 1 or values.size != len(index):
            raise ValueError(
                f"{name} must be one label per region ({len(index)}), got shape {values.shape}"
            )
        series = pd.Series(values, index=index)
    if series.isna().any():
        raise ValueError(
            f"{name} is missing for region(s) {[str(r) for r in index[series.isna()]]}"
        )
    return series.rename(name)


def _target_name(label: Any) -> str:
    """``'cluster 2'`` for integer cluster labels, the type's own name otherwise."""
    if isinstance(label, bool | np.bool_):
        return str(label)
    if isinstance(label, numbers.Integral):
        return f"cluster {int(label)}"
    if isinstance(label, float | np.floating) and float(label).is_integer():
        # Integer labels often arrive as floats after a merge that introduced NaN somewhere.
        return f"cluster {int(label)}"
    return str(label)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar, so that ``to_dict`` output is JSON-ready."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------------
# 1. exact SHAP values of the additive level scores
# --------------------------------------------------------------------------------------------


def additive_shap(
    Xn: pd.DataFrame,
    weights: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    background: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Exact SHAP values of each readiness level's arithmetic score.

    A level score is the weighted arithmetic mean ``score(x) = sum_i w_i x_i`` of the normalised
    indicators of that level, with the weights rescaled to sum to 1 within the level (as in
    :func:`border_readiness.features.composite.aggregate` with ``method='arithmetic'``). For a
    linear function
    and interventional (independent) masking over a background, the Shapley value of indicator
    i is exactly ``w_i * (x_i - E[x_i])``, and the base value is ``sum_i w_i E[x_i]``, the mean
    score of the background. Efficiency holds to round-off: ``base_value + sum_i shap_value_i
    = score``.

    The background sets what a SHAP value is relative to. It defaults to ``Xn`` itself; the
    package passes all Russian subjects, so a value reads as "points above or below the average
    Russian region owed to this indicator".

    Parameters
    ----------
    Xn : DataFrame
        Normalised regions x indicators (higher = more ready); no missing values, because with a
        gap :func:`~border_readiness.features.composite.aggregate` re-weights over the other
        indicators and the
        score is no longer this linear function.
    weights : Series or mapping
        Relative weight per indicator (may cover more indicators than ``Xn``).
    groups : Series or mapping
        Level of each indicator (may cover more indicators than ``Xn``).
    background : DataFrame, optional
        Regions whose indicator means define ``E[x_i]``; must have every column of ``Xn``. A gap
        in the background is skipped: ``E[x_i]`` is the mean over the regions reporting i.

    Returns
    -------
    DataFrame
        Long table, level by level, region by region, with columns ``region_id``, ``target``
        (the level), ``feature``, ``shap_value``, ``feature_value`` (the region's ``x_i``) and
        ``base_value`` (the level's ``sum_i w_i E[x_i]``, repeated on each row so that it
        survives filtering, merging and export). ``attrs['base_values']`` also maps each level
        to its base value, for convenience only: pandas drops ``attrs`` in many operations.

    Examples
    --------
    >>> import pandas as pd
    >>> Xn = pd.DataFrame({"a": [0.0, 30, 60], "b": [90.0, 60, 30]}, index=["A", "B", "C"])
    >>> s = additive_shap(Xn, {"a": 1, "b": 2}, {"a": "transport", "b": "transport"})
    >>> s[s.region_id == "A"].shap_value.round(9).tolist()
    [-10.0, 20.0]
    >>> s.attrs["base_values"]
    {'transport': 50.0}
    >>> # efficiency: 50 - 10 + 20 = 60 = (0 * 1 + 90 * 2) / 3, region A's score
    """
    values = _finite_matrix(Xn, "Xn")
    g = groups if isinstance(groups, pd.Series) else pd.Series(dict(groups), dtype=object)
    unknown = [c for c in Xn.columns if c not in g.index]
    if unknown:
        raise ValueError(f"groups has no level for indicator(s) {unknown}")
    if g.index.has_duplicates:
        dups = sorted(map(str, g.index[g.index.duplicated()].unique()))
        raise ValueError(f"groups has duplicated indicator entries: {dups}")
    g = g.reindex(Xn.columns)
    if g.isna().any():
        raise ValueError(f"groups has no level for indicator(s) {list(g.index[g.isna()])}")
    # Rescaled within the levels present in Xn, so that extra catalogue indicators in
    # `weights`/`groups` do not dilute the weights actually used.
    w = normalise_weights(weights, g).to_numpy(dtype=float)

    if background is None:
        mean = values.mean(axis=0)
    else:
        if not isinstance(background, pd.DataFrame):
            raise TypeError(f"background must be a DataFrame, got {type(background).__name__}")
        missing = [c for c in Xn.columns if c not in background.columns]
        if missing:
            raise ValueError(f"background has no column for indicator(s) {missing}")
        basis = background[Xn.columns].to_numpy(dtype=float)
        basis = np.where(np.isfinite(basis), basis, np.nan)
        empty = [
            c for c, ok in zip(Xn.columns, (~np.isnan(basis)).any(axis=0), strict=True) if not ok
        ]
        if empty:
            raise ValueError(f"background has no value for indicator(s) {empty}")
        mean = np.nanmean(basis, axis=0)

    levels = list(pd.unique(g.to_numpy()))
    n = values.shape[0]
    frames, bases = [], {}
    for level in levels:
        idx = np.flatnonzero(g.to_numpy() == level)
        shap_values = w[idx] * (values[:, idx] - mean[idx])
        base = float(w[idx] @ mean[idx])
        bases[level] = base
        frames.append(
            pd.DataFrame(
                {
                    "region_id": np.repeat(Xn.index.to_numpy(), idx.size),
                    "target": level,
                    "feature": np.tile(Xn.columns.to_numpy()[idx], n),
                    "shap_value": shap_values.ravel(),
                    "feature_value": values[:, idx].ravel(),
                    "base_value": base,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)[_SHAP_COLUMNS]
    out.attrs["base_values"] = bases
    return out


# --------------------------------------------------------------------------------------------
# 2. surrogate tree for cluster or type membership
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SurrogateExplanation:
    """A shallow tree that mimics a clustering (or typology), with its fidelity and SHAP values.

    Attributes
    ----------
    shap_values : DataFrame
        Long table ``region_id, target, feature, shap_value, feature_value, base_value,
        own_class``: TreeSHAP values of the tree's predicted probability of ``target``
        (``'cluster <label>'`` or the type's name), relative to the mean probability over the
        regions (interventional, background = the regions explained). ``own_class`` marks the
        rows of the region's own cluster or type.
    fidelity_loo : float
        Leave-one-out accuracy: the share of regions whose label a tree fitted without them
        predicts. The honest measure of how well the tree reproduces the clustering.
    fidelity_train : float
        Accuracy on the regions it was fitted on (optimistic; a deep enough tree reaches 1).
    rules : str
        The tree as text (:func:`sklearn.tree.export_text`).
    labels : Series
        The target name of each region (its cluster or type).
    loo_predictions : Series
        The target name predicted for each region by the tree fitted without it.
    class_sizes : Series
        Regions per target.
    max_depth : int
        Depth limit of the tree.
    notes : tuple of str
        Warnings a reader must see: poor fidelity, classes too small to learn, small n.
    model : DecisionTreeClassifier
        The tree fitted on all regions (not exported by ``to_dict``).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"roads": [1.0, 2, 3, 10, 11, 12], "noise": [5.0, 1, 4, 2, 6, 3]},
    ...                  index=list("ABCDEF"))
    >>> res = surrogate_explanation(X, pd.Series([0, 0, 0, 1, 1, 1], index=X.index))
    >>> res.fidelity_loo, res.feature_importance().index[0]
    (1.0, 'roads')
    >>> list(res.to_frame().columns[-2:])
    ['fidelity_loo', 'fidelity_train']
    """

    shap_values: pd.DataFrame
    fidelity_loo: float
    fidelity_train: float
    rules: str
    labels: pd.Series
    loo_predictions: pd.Series
    class_sizes: pd.Series
    max_depth: int
    notes: tuple[str, ...]
    model: Any = field(repr=False)

    @property
    def explains_well(self) -> bool:
        """Whether the leave-one-out fidelity reaches :data:`MIN_FIDELITY`."""
        return self.fidelity_loo >= MIN_FIDELITY

    def feature_importance(self) -> pd.Series:
        """Mean absolute SHAP value of each feature for the regions' own class, largest first.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [0.0, 1, 5, 6], "b": [3.0, 1, 2, 4]})
        >>> surrogate_explanation(X, [0, 0, 1, 1]).feature_importance().round(3).tolist()
        [0.5, 0.0]
        """
        own = self.shap_values[self.shap_values["own_class"]]
        mean_abs = own["shap_value"].abs().groupby(own["feature"], sort=False).mean()
        return mean_abs.sort_values(ascending=False, kind="stable").rename("mean_abs_shap")

    def to_frame(self) -> pd.DataFrame:
        """The SHAP table with ``fidelity_loo`` and ``fidelity_train`` on every row.

        The fidelity is repeated so that no export of the SHAP values can lose it.
        """
        return self.shap_values.assign(
            fidelity_loo=self.fidelity_loo, fidelity_train=self.fidelity_train
        )

    def to_dict(self) -> dict[str, Any]:
        """Summary as plain Python types (JSON-ready); the SHAP rows stay in :meth:`to_frame`."""
        return {
            "fidelity_loo": float(self.fidelity_loo),
            "fidelity_train": float(self.fidelity_train),
            "explains_well": self.explains_well,
            "min_fidelity": MIN_FIDELITY,
            "n_regions": len(self.labels),
            "max_depth": int(self.max_depth),
            "class_sizes": {str(k): int(v) for k, v in self.class_sizes.items()},
            "feature_importance": {str(k): float(v) for k, v in self.feature_importance().items()},
            "misclassified_loo": [
                str(r) for r in self.labels.index[self.labels != self.loo_predictions]
            ],
            "rules": self.rules,
            "notes": list(self.notes),
        }


def _as_class_array(raw: Any, n_classes: int) -> np.ndarray:
    """TreeSHAP output as (regions, features, classes) whatever the shap version returns."""
    if isinstance(raw, list):
        # shap < 0.45 returned one (regions, features) array per class.
        return np.stack([np.asarray(a, dtype=float) for a in raw], axis=-1)
    arr = np.asarray(raw, dtype=float)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.shape[-1] != n_classes:
        raise RuntimeError(f"unexpected TreeSHAP output shape {arr.shape} for {n_classes} classes")
    return arr


def surrogate_explanation(
    X: pd.DataFrame,
    labels: pd.Series | Sequence | np.ndarray,
    *,
    max_depth: int = 3,
    random_state: int | None = 0,
    all_classes: bool = False,
) -> SurrogateExplanation:
    """Fit a shallow tree that reproduces cluster or type membership, and explain it.

    The surrogate is a :class:`~sklearn.tree.DecisionTreeClassifier` with ``max_depth`` levels
    and ``class_weight='balanced'`` (so a small cluster is not ignored). Its fidelity is
    measured by leave-one-out (:class:`~sklearn.model_selection.LeaveOneOut` with
    :func:`~sklearn.model_selection.cross_val_predict`), the only honest estimate with a dozen
    regions; the training accuracy is reported too but flatters the tree. SHAP values come from
    :class:`shap.TreeExplainer`, exact for trees, on the predicted class probabilities with the
    regions themselves as the interventional background.

    A surrogate's SHAP values only say why *the tree* assigns a region, which is why the
    clustering is meaningful only beside the fidelity: with ``fidelity_loo`` below
    :data:`MIN_FIDELITY` (0.7) a note says "surrogate explains poorly; do not read its SHAP
    values as reasons". A class with fewer than two members is noted too: leaving its only
    member out leaves nothing to learn it from.

    Parameters
    ----------
    X : DataFrame
        Regions x features, no missing values (the matrix the clusters were computed on).
    labels : Series or array-like
        Cluster label or expert type per region; a Series is aligned on ``X.index``, anything
        else is taken in row order. Integer labels become targets ``'cluster <label>'``, other
        labels are used as type names.
    max_depth : int
        Depth of the tree (>= 1); 3 gives at most 8 rules, readable and hard to overfit.
    random_state : int or None
        Seed of the tree's tie-breaking between equally good splits.
    all_classes : bool
        If True, SHAP rows for every class of every region; otherwise only for the region's
        own class.

    Returns
    -------
    SurrogateExplanation

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"roads": [1.0, 2, 3, 10, 11, 12], "noise": [5.0, 1, 4, 2, 6, 3]},
    ...                  index=list("ABCDEF"))
    >>> res = surrogate_explanation(X, ["west", "west", "west", "east", "east", "east"])
    >>> res.fidelity_loo, res.explains_well
    (1.0, True)
    >>> print(res.rules)  # doctest: +NORMALIZE_WHITESPACE
    |--- roads <= 6.50
    |   |--- class: west
    |--- roads >  6.50
    |   |--- class: east
    <BLANKLINE>
    """
    values = _finite_matrix(X, "X")
    if isinstance(max_depth, bool) or not isinstance(max_depth, numbers.Integral) or max_depth < 1:
        raise ValueError(f"max_depth must be an integer >= 1, got {max_depth!r}")
    y = _labels(labels, X.index, "labels")
    n = len(y)
    names = y.map(_target_name)
    if names.nunique() < 2:
        raise ValueError(
            f"labels must have at least two classes to explain membership, got {sorted(set(names))}"
        )
    # Two labels can print the same (1 and 1.0): the names are the public identity of a class.
    codes, uniques = pd.factorize(names, sort=True)
    classes = list(uniques)

    from sklearn.model_selection import LeaveOneOut, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier, export_text

    def make_tree() -> DecisionTreeClassifier:
        return DecisionTreeClassifier(
            max_depth=int(max_depth), class_weight="balanced", random_state=random_state
        )

    frame = pd.DataFrame(values, index=X.index, columns=X.columns)
    model = make_tree().fit(frame, codes)
    fidelity_train = float(np.mean(model.predict(frame) == codes))
    loo_codes = cross_val_predict(make_tree(), frame, codes, cv=LeaveOneOut())
    fidelity_loo = float(np.mean(loo_codes == codes))
    rules = export_text(
        model, feature_names=[str(c) for c in X.columns], class_names=classes, decimals=2
    )

    with warnings.catch_warnings():
        # shap 0.51 builds its plot colormaps with calls matplotlib >= 3.11 marks as pending
        # deprecation; nothing the caller can act on.
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module=r"shap\.")
        import shap

    explainer = shap.TreeExplainer(model, data=frame, feature_perturbation="interventional")
    phi = _as_class_array(explainer.shap_values(frame), len(classes))
    base = np.broadcast_to(np.asarray(explainer.expected_value, dtype=float), (len(classes),))

    p = values.shape[1]
    rows = []
    for k, target in enumerate(classes):
        for r in range(n):
            own = codes[r] == k
            if not (all_classes or own):
                continue
            rows.append(
                pd.DataFrame(
                    {
                        "region_id": X.index[r],
                        "target": target,
                        "feature": X.columns,
                        "shap_value": phi[r, :, k],
                        "feature_value": values[r],
                        "base_value": float(base[k]),
                        "own_class": np.full(p, own),
                    }
                )
            )
    shap_long = pd.concat(rows, ignore_index=True)[[*_SHAP_COLUMNS, "own_class"]]
    # Region order first: a reader scans one region's explanation at a time.
    order = {r: i for i, r in enumerate(X.index)}
    shap_long = shap_long.sort_values(
        "region_id", key=lambda s: s.map(order), kind="stable"
    ).reset_index(drop=True)

    class_sizes = pd.Series(
        np.bincount(codes, minlength=len(classes)), index=classes, name="n_regions"
    )
    notes = []
    if fidelity_loo < MIN_FIDELITY:
        notes.append(
            "surrogate explains poorly; do not read its SHAP values as reasons "
            f"(leave-one-out fidelity {fidelity_loo:.2f} < {MIN_FIDELITY:.2f})"
        )
    for target, size in class_sizes.items():
        if size < 2:
            notes.append(
                f"{target!s} has {size} member: leave-one-out cannot predict it when that region "
                "is left out, and its SHAP values describe a single region"
            )
    if n < 30:
        notes.append(
            f"n = {n} regions: fidelity and SHAP values describe these regions, they are not "
            "estimates for a population"
        )

    return SurrogateExplanation(
        shap_values=shap_long,
        fidelity_loo=fidelity_loo,
        fidelity_train=fidelity_train,
        rules=rules,
        labels=names.rename("target"),
        loo_predictions=pd.Series(
            np.asarray(classes, dtype=object)[loo_codes], index=X.index, name="target_loo"
        ),
        class_sizes=class_sizes,
        max_depth=int(max_depth),
        notes=tuple(notes),
        model=model,
    )


# --------------------------------------------------------------------------------------------
# 3. why the data disagrees with the expert about a region
# --------------------------------------------------------------------------------------------


def disagreement_drivers(
    X: pd.DataFrame,
    data_labels: pd.Series | Sequence | np.ndarray,
    expert_labels: pd.Series | Sequence | np.ndarray,
    regions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Indicators that pull a region towards the data's type and away from the expert's.

    For a region r whose data type (its cluster *after alignment* to the expert's types)
    differs from its expert type, compare its squared distances to two group centroids:

    * the *data's group*: the other regions with r's data type (by ``data_labels``);
    * the *expert's group*: the other regions with r's expert type (by ``expert_labels``).

    Both centroids leave r out: with a dozen regions, r would otherwise pull each centroid
    towards itself and make every group it is in look closer than it is. Everything is on
    z-scores over the regions in ``X`` (mean 0, sample standard deviation 1 per feature, a
    constant feature becomes 0), so no unit dominates the distance.

    Per feature, with z the region's z-score and c the centroids,

    * ``net = (z - c_expert)**2 - (z - c_data)**2``: positive = the feature pulls r towards the
      data's group; summed over features it is exactly ``d(r, expert)^2 - d(r, data)^2``,
      positive when r is closer to the data's group;
    * split at the average region (z = 0) into ``toward_data = z**2 - (z - c_data)**2`` (how
      much closer to the data's group the feature puts r than the average region) and
      ``away_from_expert = (z - c_expert)**2 - z**2`` (how much farther from the expert's
      group); ``toward_data + away_from_expert = net``.

    ``rank`` orders the features of each region by ``net``, 1 = strongest pull towards the
    data's type. A region alone in its data or expert group has no leave-one-out centroid; it
    is skipped with a warning. Regions whose two labels agree are skipped: there is nothing to
    explain.

    Parameters
    ----------
    X : DataFrame
        Regions x features, no missing values.
    data_labels : Series or array-like
        The data's type per region, in the expert's vocabulary (aligned clusters).
    expert_labels : Series or array-like
        The expert's type per region.
    regions : sequence of str, optional
        Regions to explain; default every region whose labels differ.

    Returns
    -------
    DataFrame
        ``region_id, data_type, expert_type, feature, z, centroid_data, centroid_expert,
        toward_data, away_from_expert, net, rank``, by region then rank.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"roads": [0.0, 1, 9, 10, 8], "clinics": [5.0, 4, 5, 4, 6]},
    ...                  index=["A", "B", "C", "D", "E"])
    >>> expert = pd.Series(["low", "low", "high", "high", "low"], index=X.index)
    >>> data = pd.Series(["low", "low", "high", "high", "high"], index=X.index)
    >>> d = disagreement_drivers(X, data, expert)
    >>> d[["region_id", "feature", "rank"]].values.tolist()
    [['E', 'roads', 1], ['E', 'clinics', 2]]
    >>> bool(d.net.sum() > 0)  # E is closer to the data's group
    True
    """
    values = _finite_matrix(X, "X")
    data = _labels(data_labels, X.index, "data_labels")
    expert = _labels(expert_labels, X.index, "expert_labels")
    if not set(data) & set(expert):
        raise ValueError(
            "data_labels and expert_labels share no label; align the clusters to the expert's "
            "types first (e.g. by Hungarian matching) so that equal labels mean agreement"
        )
    if regions is None:
        chosen = list(X.index[(data != expert).to_numpy()])
    else:
        chosen = [regions] if isinstance(regions, str) else list(regions)
        unknown = [str(r) for r in chosen if r not in X.index]
        if unknown:
            raise ValueError(f"regions {unknown} are not in X")

    n = values.shape[0]
    sd = values.std(axis=0, ddof=1) if n > 1 else np.zeros(values.shape[1])
    spread = sd > 0
    z = np.zeros_like(values)
    z[:, spread] = (values[:, spread] - values[:, spread].mean(axis=0)) / sd[spread]

    data_v, expert_v = data.to_numpy(), expert.to_numpy()
    frames = []
    for region in chosen:
        i = X.index.get_loc(region)
        if data_v[i] == expert_v[i]:
            continue
        others = np.arange(n) != i
        in_data = others & (data_v == data_v[i])
        in_expert = others & (expert_v == expert_v[i])
        if not in_data.any() or not in_expert.any():
            alone = "data" if not in_data.any() else "expert"
            warnings.warn(
                f"region {region!s} is alone in its {alone} group; no leave-one-out centroid, "
                "skipped",
                UserWarning,
                stacklevel=2,
            )
            continue
        x = z[i]
        c_data, c_expert = z[in_data].mean(axis=0), z[in_expert].mean(axis=0)
        toward = x**2 - (x - c_data) ** 2
        away = (x - c_expert) ** 2 - x**2
        # net straight from the two distances (not toward + away), so that its sum is the
        # squared-distance difference to round-off.
        net = (x - c_expert) ** 2 - (x - c_data) ** 2
        part = pd.DataFrame(
            {
                "region_id": region,
                "data_type": _plain(data_v[i]),
                "expert_type": _plain(expert_v[i]),
                "feature": X.columns,
                "z": x,
                "centroid_data": c_data,
                "centroid_expert": c_expert,
                "toward_data": toward,
                "away_from_expert": away,
                "net": net,
            }
        )
        part["rank"] = part["net"].rank(ascending=False, method="first").astype(int)
        frames.append(part.sort_values("rank", kind="stable"))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _DRIVER_COLUMNS})
    return pd.concat(frames, ignore_index=True)[_DRIVER_COLUMNS]
