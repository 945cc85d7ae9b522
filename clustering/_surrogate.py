"""Surrogate decision trees for cluster membership: fidelity, rules and TreeSHAP values.

Private to :mod:`border_readiness.clustering.explain`, which re-exports
:func:`surrogate_explanation`, :class:`SurrogateExplanation` and :data:`MIN_FIDELITY`.
scikit-learn and shap are imported inside :func:`surrogate_explanation`.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from border_readiness.clustering._explain_common import (
    _SHAP_COLUMNS,
    _finite_matrix,
    _labels,
    _target_name,
)
from border_readiness.clustering._small_n import small_n_note

#: Below this leave-one-out accuracy a surrogate tree is not a faithful copy of the clustering,
#: and its SHAP values must not be read as the reasons for membership.
MIN_FIDELITY = 0.7


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
    if note := small_n_note(n, "surrogate"):
        notes.append(note)

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
