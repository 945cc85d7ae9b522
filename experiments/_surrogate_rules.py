"""The surrogate tree's rules in the indicators' own units (raw compiled values, not normalised).

The surrogate tree splits the clustering matrix, whose columns are the normalised indicators
(0-1 for min-max). A threshold such as ``paved_roads_share <= 0.61`` says nothing to an
economist; ``paved_roads_share <= 71.3 %`` does. The normalisation is monotone in each
indicator and a region's normalised value depends only on its own raw value (and the fitted
reference), so each threshold maps back to one raw value, found by grid refinement between the raw
values of the two regions on either side of the split. An indicator whose direction is -1 is
decreasing in its raw value, and its inequality turns round.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["RawSplit", "explain_rules", "raw_rules_text", "raw_splits", "surrogate_raw_rules"]

# Grid refinement: 6 rounds of 257 points shrink the bracket 256**6 (about 3e14) times,
# far below any printed digit.
_ROUNDS = 6
_GRID = 257


@dataclass(frozen=True)
class RawSplit:
    """One split of the tree, in the indicator's unit.

    Attributes
    ----------
    node : int
        The tree node (``tree_`` index).
    feature : str
        The indicator split on.
    threshold : float
        The split in the clustering matrix's (normalised) scale, as the tree stores it.
    raw_threshold : float
        The same split in the indicator's raw unit.
    increasing : bool
        Whether the normalised value grows with the raw one (direction +1). The tree's left
        branch (``normalised <= threshold``) is ``raw <= raw_threshold`` when increasing,
        ``raw >= raw_threshold`` otherwise.
    unit : str
        The indicator's unit from the catalogue (may be empty).
    """

    node: int
    feature: str
    threshold: float
    raw_threshold: float
    increasing: bool
    unit: str

    def condition(self, left: bool) -> str:
        """The branch's condition as text, e.g. ``'roads > 12.3 km per 1000 km2'``.

        Parameters
        ----------
        left : bool
            The tree's left branch (``<=`` in the normalised scale) or the right one.

        Returns
        -------
        str

        Examples
        --------
        >>> s = RawSplit(0, "roads", 0.5, 30.0, False, "km")
        >>> s.condition(True), s.condition(False)
        ('roads >= 30 km', 'roads < 30 km')
        """
        # The tree's left branch holds the threshold itself: "<=" going up, ">=" going down.
        ops = {(True, True): "<=", (True, False): ">", (False, True): ">=", (False, False): "<"}
        op = ops[(self.increasing, left)]
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.feature} {op} {_number(self.raw_threshold)}{unit}"


def _number(value: float) -> str:
    # Four significant digits: thresholds are midpoints between regions, not measurements.
    return f"{value:.4g}"


def raw_splits(
    tree,
    normalised: pd.DataFrame,
    raw: pd.DataFrame,
    to_normalised: Callable[[str, np.ndarray], np.ndarray],
    units: Mapping[str, str] | None = None,
) -> dict[int, RawSplit]:
    """Every split of a fitted tree, mapped back to the indicator's raw unit.

    Parameters
    ----------
    tree : sklearn.tree.DecisionTreeClassifier
        Fitted on ``normalised`` (same columns, in that order).
    normalised : DataFrame
        The regions x indicators matrix the tree was fitted on.
    raw : DataFrame
        The same regions' raw indicator values (index and columns as ``normalised``).
    to_normalised : callable
        ``to_normalised(feature, raw_values) -> normalised values`` in the tree's scale;
        monotone in the raw value.
    units : mapping, optional
        Indicator -> unit string (the catalogue's ``unit``).

    Returns
    -------
    dict of int to RawSplit
        By tree node, internal nodes only.

    Raises
    ------
    ValueError
        When the regions on either side of a split have no raw value to bracket it.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> raw = pd.DataFrame({"roads": [10.0, 20, 40, 50]}, index=list("ABCD"))
    >>> norm = (raw - 10) / 40  # min-max: 0, 0.25, 0.75, 1
    >>> tree = DecisionTreeClassifier(max_depth=1).fit(norm, [0, 0, 1, 1])
    >>> split = raw_splits(tree, norm, raw, lambda f, v: (v - 10) / 40, {"roads": "km"})[0]
    >>> split.threshold, round(split.raw_threshold, 9), split.condition(False)
    (0.5, 30.0, 'roads > 30 km')
    """
    units = {} if units is None else units
    t = tree.tree_
    columns = list(normalised.columns)
    out: dict[int, RawSplit] = {}
    for node in range(t.node_count):
        if t.children_left[node] == t.children_right[node]:
            continue  # a leaf
        feature = str(columns[int(t.feature[node])])
        threshold = float(t.threshold[node])
        xn = normalised[feature].to_numpy(dtype=float)
        xr = raw[feature].reindex(normalised.index).to_numpy(dtype=float)
        ok = np.isfinite(xn) & np.isfinite(xr)
        below, above = ok & (xn <= threshold), ok & (xn > threshold)
        if not below.any() or not above.any():
            raise ValueError(f"no raw values of {feature!r} on both sides of its split")
        # The nearest regions on either side bracket the raw threshold.
        lo_raw = xr[below][np.argmax(xn[below])]
        hi_raw = xr[above][np.argmin(xn[above])]
        increasing = bool(hi_raw > lo_raw)
        a, b = lo_raw, hi_raw  # to_normalised(a) <= threshold < to_normalised(b)
        for _ in range(_ROUNDS):
            # A grid per call, not one point: each call of a fitted model's normalise costs
            # milliseconds, and the bracket shrinks _GRID - 1 times per round.
            grid = np.linspace(a, b, _GRID)
            at_or_below = to_normalised(feature, grid) <= threshold
            last = int(np.flatnonzero(at_or_below).max()) if at_or_below.any() else 0
            last = min(last, _GRID - 2)
            a, b = grid[last], grid[last + 1]
        out[node] = RawSplit(
            node, feature, threshold, float((a + b) / 2), increasing, str(units.get(feature, ""))
        )
    return out


def raw_rules_text(
    tree,
    splits: Mapping[int, RawSplit],
    class_names: list[str],
    normalised: pd.DataFrame,
    names: Mapping[str, str] | None = None,
) -> str:
    """The tree's rules as indented text with raw-unit thresholds and the regions in each leaf.

    Parameters
    ----------
    tree : sklearn.tree.DecisionTreeClassifier
        The fitted tree.
    splits : mapping of int to RawSplit
        :func:`raw_splits` of the tree.
    class_names : list of str
        Target name of each class code (the tree's ``classes_`` order).
    normalised : DataFrame
        The regions it was fitted on (their leaves are listed).
    names : mapping, optional
        Display name per region id.

    Returns
    -------
    str
        One line per branch, ``export_text``-like, leaves as ``-> cluster 1: Omsk, Kurgan``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> raw = pd.DataFrame({"roads": [10.0, 20, 40, 50]}, index=list("ABCD"))
    >>> norm = (raw - 10) / 40
    >>> tree = DecisionTreeClassifier(max_depth=1).fit(norm, [0, 0, 1, 1])
    >>> splits = raw_splits(tree, norm, raw, lambda f, v: (v - 10) / 40, {"roads": "km"})
    >>> print(raw_rules_text(tree, splits, ["low", "high"], norm))
    roads <= 30 km
      -> low: A, B
    roads > 30 km
      -> high: C, D
    """
    names = {} if names is None else names
    t = tree.tree_
    leaves = tree.apply(normalised)
    lines: list[str] = []

    def walk(node: int, depth: int) -> None:
        pad = "  " * depth
        if t.children_left[node] == t.children_right[node]:
            cls = class_names[int(np.argmax(t.value[node][0]))]
            members = [str(names.get(r, r)) for r in normalised.index[leaves == node]]
            lines.append(f"{pad}-> {cls}: {', '.join(members) or '(no region)'}")
            return
        split = splits[node]
        for child, left in ((t.children_left[node], True), (t.children_right[node], False)):
            lines.append(pad + split.condition(left))
            walk(int(child), depth + 1)

    walk(0, 0)
    return "\n".join(lines)


def surrogate_raw_rules(surrogate, report, raw_all: pd.DataFrame, units=None, names=None):
    """The run's surrogate tree in raw units: its splits and its rules text.

    Parameters
    ----------
    surrogate : SurrogateExplanation
        The explain step's surrogate, fitted on the clustering matrix
        (:func:`~border_readiness.experiments.steps.clustering_matrix`).
    report : ScoreReport
        The score whose fitted model normalised that matrix.
    raw_all : DataFrame
        The compiled (raw) indicators of every reference subject (``prep.compiled.matrix``).
    units : mapping, optional
        Indicator -> unit string.
    names : mapping, optional
        Display name per region id.

    Returns
    -------
    splits : dict of int to RawSplit
    text : str

    Examples
    --------
    >>> splits, text = surrogate_raw_rules(sur, report, prep.compiled.matrix)  # doctest: +SKIP
    """
    from border_readiness.experiments.steps import clustering_matrix

    model = report.model
    columns = list(model.feature_names_in_)
    X = clustering_matrix(report).loc[surrogate.labels.index]
    # Other indicators only fill the row the model needs; each column is normalised alone.
    filler = raw_all[columns].median()

    def to_normalised(feature: str, values: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame([filler.to_numpy()] * len(values), columns=columns)
        frame[feature] = values
        return model.normalise(frame)[feature].to_numpy(dtype=float) / model.unit_

    splits = raw_splits(surrogate.model, X, raw_all.loc[X.index, columns], to_normalised, units)
    classes = list(surrogate.class_sizes.index)
    return splits, raw_rules_text(surrogate.model, splits, classes, X, names)


def explain_rules(surrogate, report, prep, names) -> tuple[str, str]:
    """The rules for the surrogate figures, and the text of ``surrogate_rules.txt``.

    Parameters
    ----------
    surrogate : SurrogateExplanation
        The explain step's surrogate.
    report : ScoreReport or None
        The score that normalised the clustering matrix; without it the rules stay in the
        normalised scale (and say so).
    prep : Prepared
        The prepared data (compiled raw indicators, the catalogue's units).
    names : Series
        English name per region id.

    Returns
    -------
    figure_rules, file_text : str

    Examples
    --------
    >>> rules, text = explain_rules(sur, report, prep, names)  # doctest: +SKIP
    """
    if report is None:
        return (
            f"(normalised 0-1 scale)\n{surrogate.rules}",
            f"The tree on the clustering matrix (normalised, 0-1):\n{surrogate.rules}",
        )
    units = {ind.id: ind.unit for ind in prep.catalogue}
    short = names.map(lambda n: str(n).split(" (")[0])
    _, raw = surrogate_raw_rules(surrogate, report, prep.compiled.matrix, units, short)
    return raw, (
        f"Thresholds in the indicators' own units (compiled values):\n{raw}\n\n"
        f"The same tree on the clustering matrix (normalised, 0-1):\n{surrogate.rules}"
    )
