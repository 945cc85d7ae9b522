"""What a long table lacks to score a year: per catalogue indicator, the series, regions, years.

Checked before any computation, in the file's own terms (the names in its ``indicator``
column), so that a user learns which rows to add instead of meeting a catalogue error half-way
through scoring. A cell counts as present when it holds a figure or a structural zero
(``status`` ``zero``); a cell that is not published, confidential, or has no row is missing.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass

import pandas as pd

from border_readiness.features.catalogue import (
    Indicator,
    formula_series,
    load_catalogue,
    parse_formula,
)
from border_readiness.features.regions import border_facts

__all__ = [
    "CoverageCheck",
    "absent_series_check",
    "check_coverage",
    "formula_reads",
    "gaps_sentence",
]

#: The rows a ``national()`` call reads: the Russian Federation, or the sum over subjects.
_NATIONAL = ("RU", "RU-SUBJECTS-TOTAL")


def formula_reads(tree: ast.AST) -> set[tuple[str, int, str]]:
    """The cells a parsed formula reads, as (series, years back, scope).

    Parameters
    ----------
    tree : ast.AST
        A formula parsed by :func:`~border_readiness.features.catalogue.parse_formula`.

    Returns
    -------
    set of (str, int, str)
        Each series with how many years before the scored year it is read (``growth(x, 5)``
        reads ``x`` 0 and 5 years back, ``mean(x, 3)`` 0, 1 and 2) and for whom: ``"region"``
        (the region scored), ``"national"`` (the RF row, for ``national()``) or ``"kz"`` (the
        region's Kazakh neighbours, for the second argument of ``kz_gap()``).

    Examples
    --------
    >>> sorted(formula_reads(parse_formula("growth(per_capita(grp), 5)")))
    [('grp', 0, 'region'), ('grp', 5, 'region'), ('population_avg', 0, 'region'), \
('population_avg', 5, 'region')]
    """

    def visit(node: ast.AST, back: int, scope: str) -> set[tuple[str, int, str]]:
        if isinstance(node, ast.Expression):
            return visit(node.body, back, scope)
        if isinstance(node, ast.Name):
            return {(node.id, back, scope)}
        if isinstance(node, ast.UnaryOp):
            return visit(node.operand, back, scope)
        if isinstance(node, ast.BinOp):
            return visit(node.left, back, scope) | visit(node.right, back, scope)
        if not isinstance(node, ast.Call):
            return set()
        fname, args = node.func.id, node.args  # type: ignore[attr-defined]
        if fname == "static":
            return set()
        if fname in ("growth", "cagr"):
            w = args[1].value  # type: ignore[attr-defined]
            return visit(args[0], back, scope) | visit(args[0], back + w, scope)
        if fname == "mean":
            w = args[1].value  # type: ignore[attr-defined]
            return set().union(*(visit(args[0], back + k, scope) for k in range(w)))
        if fname == "per_capita":
            return visit(args[0], back, scope) | {("population_avg", back, scope)}
        if fname == "national":
            return visit(args[0], back, scope) | visit(args[0], back, "national")
        if fname == "kz_gap":
            return visit(args[0], back, scope) | visit(args[1], back, "kz")
        return set().union(*(visit(a, back, scope) for a in args))

    return visit(tree, 0, "region")


@dataclass(frozen=True)
class CoverageCheck:
    """What a table lacks to score one year.

    Attributes
    ----------
    year : int
        The year to score.
    regions : list of str
        The regions to score.
    absent : pandas.DataFrame
        Series the catalogue reads that the table does not have at all: ``series``,
        ``indicators`` (the catalogue entries reading it, ``|``-joined), ``close_matches``
        (similar names in the table). Scoring cannot run while this is not empty.
    gaps : pandas.DataFrame
        Cells missing for a series the table has: ``indicator``, ``series``, ``year``,
        ``regions`` (``|``-joined ids), ``n_regions``. Imputation (carried forward, district
        median) may fill them, within ``max_imputed_share``.
    """

    year: int
    regions: list[str]
    absent: pd.DataFrame
    gaps: pd.DataFrame

    @property
    def ok(self) -> bool:
        """Whether every series the catalogue reads is in the table.

        Returns
        -------
        bool
        """
        return self.absent.empty

    def absent_message(self, source: str) -> str:
        """One line for the error a scoring command stops with when series are absent.

        Parameters
        ----------
        source : str
            How to name the data (the file path, or "bundled").

        Returns
        -------
        str
            Names the file, the absent series (with similar names the file has), the regions
            and the year, and the catalogue indicators that read them.
        """
        parts = []
        for row in self.absent.itertuples():
            similar = f" (the file has {row.close_matches})" if row.close_matches else ""
            parts.append(f"{row.series!r}{similar}")
        indicators = sorted({i for v in self.absent["indicators"] for i in v.split("|")})
        path = "FILE" if source == "bundled" else source
        return (
            f"{source}: to score {_short(self.regions, len(self.regions))} in {self.year} the "
            f"file needs series {', '.join(parts)}, which it does not have for any region or "
            f"year (read by the indicator(s) {', '.join(indicators)}); add those rows, or run "
            f"`border-readiness data validate {path} --year {self.year}` for the full list"
        )

    def lines(self) -> list[str]:
        """The check in words, one line per absent series and per indicator with gaps.

        Returns
        -------
        list of str
            Empty when nothing is missing.
        """
        out = []
        for row in self.absent.itertuples():
            similar = f" (the file has {row.close_matches})" if row.close_matches else ""
            out.append(
                f"series {row.series!r}: absent from the file{similar}; read by "
                f"{row.indicators.replace('|', ', ')}"
            )
        for ind, part in self.gaps.groupby("indicator", sort=False):
            cells = int(part["n_regions"].sum())
            what = "; ".join(
                f"{r.series} {r.year}: {_short(r.regions.split('|'), len(self.regions))}"
                for r in part.itertuples()
            )
            out.append(f"{ind}: {cells} cell(s) missing, {what}")
        return out


def _short(ids: list[str], of: int) -> str:
    if len(ids) == of and of > 3:
        return f"all {of} regions"
    shown = ", ".join(ids[:6])
    return shown + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")


def check_coverage(
    data: pd.DataFrame,
    *,
    year: int,
    regions: list[str],
    catalogue: list[Indicator] | None = None,
) -> CoverageCheck:
    """List what ``data`` lacks to compile ``catalogue`` for ``regions`` in ``year``.

    Parameters
    ----------
    data : pandas.DataFrame
        A validated long table (``status`` column optional; without it NaN is missing).
    year : int
        The year to score; dynamics read earlier years.
    regions : list of str
        Region ids to score (e.g. the 12 border regions).
    catalogue : list of Indicator, optional
        Default the shipped catalogue.

    Returns
    -------
    CoverageCheck
        The absent series and the missing cells, in the table's own series names.

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> from border_readiness.features.regions import BORDER_REGIONS
    >>> check = check_coverage(load_dataset(), year=2021, regions=list(BORDER_REGIONS))
    >>> check.ok
    True
    """
    catalogue = catalogue or load_catalogue()
    facts = border_facts()
    neighbours = sorted(
        {k for r in regions for k in str(facts["kz_neighbours"].get(r, "")).split("|") if k}
    )
    present = data["value"].notna()
    if "status" in data:
        present |= data["status"] == "zero"
    have = set(
        zip(
            data["indicator"][present],
            data["region_id"][present],
            data["year"][present],
            strict=True,
        )
    )
    known = sorted(set(data["indicator"]))
    absent: dict[str, list[str]] = {}
    gaps = []
    for ind in catalogue:
        for series, back, scope in sorted(formula_reads(parse_formula(ind.formula))):
            if series not in known:
                absent.setdefault(series, [])
                if ind.id not in absent[series]:
                    absent[series].append(ind.id)
                continue
            y = year - back
            if scope == "national":
                if not any((series, r, y) in have for r in _NATIONAL):
                    gaps.append((ind.id, series, y, ["RU"]))
                continue
            # A region without Kazakh neighbours reads none; any one neighbour with a value
            # is enough for the mean, but each missing one is listed.
            who = neighbours if scope == "kz" else regions
            missing = [r for r in who if (series, r, y) not in have]
            if missing:
                gaps.append((ind.id, series, y, missing))
    absent_frame = pd.DataFrame(
        [
            {
                "series": s,
                "indicators": "|".join(inds),
                "close_matches": ", ".join(difflib.get_close_matches(s, known, n=3, cutoff=0.8)),
            }
            for s, inds in absent.items()
        ],
        columns=["series", "indicators", "close_matches"],
    )
    gap_frame = pd.DataFrame(
        [
            {"indicator": i, "series": s, "year": y, "regions": "|".join(m), "n_regions": len(m)}
            for i, s, y, m in gaps
        ],
        columns=["indicator", "series", "year", "regions", "n_regions"],
    )
    return CoverageCheck(int(year), list(regions), absent_frame, gap_frame)


def absent_series_check(
    data: pd.DataFrame, *, year: int, regions: list[str], cat: list[Indicator]
) -> CoverageCheck | None:
    """The full check when a series the catalogue reads is absent from the table, else None.

    The quick test (a set difference of names) runs first, so that a complete table costs
    nothing more than before.

    Parameters
    ----------
    data : pandas.DataFrame
        A validated long table.
    year : int
        The year to be scored (named in the message).
    regions : list of str
        The regions to be scored.
    cat : list of Indicator
        The catalogue.

    Returns
    -------
    CoverageCheck or None
        :func:`check_coverage` of the table when a series is absent; None when none is.

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> absent_series_check(load_dataset(), year=2021, regions=["RU-OMS"],
    ...                     cat=load_catalogue()) is None
    True
    """
    wanted = set().union(*(formula_series(parse_formula(i.formula)) for i in cat))
    if wanted <= set(data["indicator"]):
        return None
    return check_coverage(data, year=year, regions=regions, catalogue=cat)


def gaps_sentence(gaps: pd.DataFrame) -> str:
    """One line on the missing cells of a :class:`CoverageCheck`, for a command's progress.

    Parameters
    ----------
    gaps : pandas.DataFrame
        :attr:`CoverageCheck.gaps`.

    Returns
    -------
    str
        How many cells, for how many indicators, what happens to them and where they are listed.

    Examples
    --------
    >>> gaps_sentence(pd.DataFrame({"indicator": ["a", "a"], "n_regions": [2, 1]}))[:40]
    '3 cell(s) read by 1 indicator(s) are mis'
    """
    return (
        f"{int(gaps['n_regions'].sum())} cell(s) read by {gaps['indicator'].nunique()} "
        "indicator(s) are missing (imputed or refused below; `border-readiness data validate "
        "FILE --year Y` lists them)"
    )
