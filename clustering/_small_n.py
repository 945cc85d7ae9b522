"""The small-n caveat, written once.

Below :data:`SMALL_N` regions every report says that its figures describe these few regions
and move a lot with one of them.
"""

from __future__ import annotations

__all__ = ["SMALL_N", "small_n_caveats", "small_n_note"]

#: Below this many regions, reports carry the small-n note.
SMALL_N = 30

# What the note says about each kind of result ({n}: regions; {k}: the cap on k).
_NOTES = {
    "clusters": "n = {n} regions: clusters of a dozen regions are fragile; k is capped at "
    "n // 3 = {k}, and stability and agreement figures have wide uncertainty. Read them with "
    "the stability and permutation results beside them.",
    "agreement": "n = {n} regions: agreement figures are fragile; read the contingency table",
    "surrogate": "n = {n} regions: fidelity and SHAP values describe these regions, they are "
    "not estimates for a population",
    "map": "n = {n}: the map shows neighbourhoods, not distances",
    "retrain": "Small n: {n} regions. One region changing cluster or rank moves these figures "
    "a lot; read the tables, not only the summary numbers.",
}


def small_n_note(n: int, about: str = "clusters") -> str:
    """The caveat a report carries when ``n`` is small (empty for ``n >= SMALL_N``).

    Parameters
    ----------
    n : int
        Number of regions the figures describe.
    about : {"clusters", "agreement", "surrogate", "map", "retrain"}, default "clusters"
        Which kind of result the note goes with.

    Returns
    -------
    str

    Examples
    --------
    >>> small_n_note(12).split(":")[0]
    'n = 12 regions'
    >>> small_n_note(12, "agreement")
    'n = 12 regions: agreement figures are fragile; read the contingency table'
    >>> small_n_note(30)
    ''
    """
    if about not in _NOTES:
        raise ValueError(f"about {about!r}: expected one of {', '.join(_NOTES)}")
    if n >= SMALL_N:
        return ""
    return _NOTES[about].format(n=n, k=max(2, n // 3))


def small_n_caveats(n: int) -> dict:
    """What each stability and explanation figure can and cannot say with ``n`` regions.

    Parameters
    ----------
    n : int
        Regions analysed.

    Returns
    -------
    dict of str to str
        ``bootstrap``, ``consensus`` and ``surrogate`` caveats.

    Examples
    --------
    >>> sorted(small_n_caveats(12))
    ['bootstrap', 'consensus', 'surrogate']
    """
    miss = (1 - 1 / n) ** n
    return {
        "bootstrap": f"n = {n}: a bootstrap draw keeps about {round(n * (1 - miss))} distinct "
        f"regions (each region is missing from {miss:.0%} of draws), so a mean Jaccard moves a "
        "lot with one region; a one-region cluster gets no Hennig verdict (flagged singleton).",
        "consensus": f"n = {n}: each subsample holds {int(0.8 * n)} regions and the upper "
        f"triangle has {n * (n - 1) // 2} pairs, so PAC moves in steps of "
        f"{1 / (n * (n - 1) // 2):.3f}; it also depends on the scheme (one k-means start or "
        "ten), so compare PACs only under the same scheme.",
        "surrogate": f"n = {n}: a depth-3 tree (at most 8 rules) reproduces clusters of "
        "structureless data too; read its leave-one-out fidelity against that null (null "
        "median and p-value beside it), not against 1.",
    }
