"""Compile the indicator catalogue into the region × feature matrix, recording every imputation.

The compiler evaluates each catalogue formula over the long dataset for a year (or for each
year of a window) and fills gaps only in documented ways, each recorded per cell:

1. *structural zero*: the cell's status is ``zero`` (the source publishes ``-``, "no such
   phenomenon", e.g. railways in the Altai Republic) — the raw series value is 0;
2. *carried forward*: the region's own value of the feature one or two years earlier;
3. *district median*: the median of the feature over the subjects of the same federal district.

A region for which more than ``max_imputed_share`` of its scored features would need steps 2–3
is refused (listed in ``refused_`` with the missing features), never scored on invented data.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from border_readiness.features.catalogue import (
    SCORED_LEVELS,
    Indicator,
    load_catalogue,
    parse_formula,
)
from border_readiness.features.cross_border import (
    EXTENSIVE_SERIES,
    capital_distances_km,
    fixed_territory_values,
    kz_border_pairs,
    kz_unit_facts,
    territory_border_km,
    territory_centroids,
    territory_of,
)
from border_readiness.features.regions import (
    BORDER_REGIONS,
    border_facts,
    region_table,
    russian_subjects,
)

__all__ = [
    "CompiledIndicators",
    "compile_indicators",
    "latest_complete_year",
    "national_reference",
]


class _Panel:
    """Wide views of the long table: one region × year frame per series, built on demand."""

    def __init__(self, data: pd.DataFrame):
        self.data = data
        self._cache: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        # Row positions of each series, found in one pass: a boolean mask over the whole long
        # table per series was most of the compile time.
        self._rows: dict[str, np.ndarray] | None = None
        # (region, series, year) cells read as structural zeros, for the imputation log.
        self.structural_zeros: set[tuple[str, str, int]] = set()

    def _frames(self, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        if name not in self._cache:
            if self._rows is None:
                self._rows = self.data.groupby("indicator", sort=False, observed=True).indices
            rows = self.data.iloc[self._rows.get(name, np.array([], dtype=np.intp))]
            # The status column, not the note's wording, says a cell is a structural zero: a
            # file with only the four required columns writes it as `-` in `value`.
            if "status" in rows:
                zero = rows["value"].isna() & (rows["status"] == "zero")
            else:
                zero = pd.Series(False, index=rows.index)
            values = rows.assign(value=rows["value"].mask(zero, 0.0))
            wide = values.pivot(index="region_id", columns="year", values="value")
            zeros = rows.assign(z=zero.astype(float)).pivot(
                index="region_id", columns="year", values="z"
            )
            self._cache[name] = (wide, zeros.fillna(0.0).astype(bool))
        return self._cache[name]

    def value(self, name: str, year: int) -> pd.Series:
        wide, zeros = self._frames(name)
        if year not in wide.columns:
            return pd.Series(np.nan, index=wide.index)
        for rid in zeros.index[zeros[year].to_numpy()]:
            self.structural_zeros.add((rid, name, year))
        return wide[year]

    def kz_value(self, name: str, year: int) -> pd.Series:
        """A Kazakh series in one year on the fixed territories (module cross_border)."""
        key = f"{name}@fixed"
        cached = self._cache.get(key)
        if cached is None:
            # A Kazakh `-` is never a zero (see sources.kazakhstan): a file that still marks one
            # as a structural zero is read as missing here too.
            wide, zeros = self._frames(name)
            wide = wide.mask(zeros)
            pop = None
            if name not in EXTENSIVE_SERIES:
                pop_wide, pop_zeros = self._frames("kz_population")
                pop = pop_wide.mask(pop_zeros)
            cols = {}
            for y in wide.columns:
                cols[y] = fixed_territory_values(
                    wide[y],
                    int(y),
                    extensive=name in EXTENSIVE_SERIES,
                    population=None if pop is None else pop.get(y, pd.Series(dtype=float)),
                )
            fixed = pd.DataFrame(cols)
            cached = (fixed, fixed.isna() & False)
            self._cache[key] = cached
        fixed = cached[0]
        if year not in fixed.columns:
            return pd.Series(np.nan, index=fixed.index)
        return fixed[year]


def _national(series: pd.Series) -> float:
    for rid in ("RU", "RU-SUBJECTS-TOTAL"):
        if rid in series.index and not math.isnan(series[rid]):
            return float(series[rid])
    return math.nan


class _Evaluator:
    def __init__(self, panel: _Panel, facts: pd.DataFrame):
        self.panel = panel
        self.facts = facts
        # Neighbours as fixed territories (Abai counts as East Kazakhstan, see cross_border).
        self.neighbours = {
            rid: sorted({territory_of(k) for k in str(v).split("|") if k})
            for rid, v in facts["kz_neighbours"].items()
        }
        self.border_km = territory_border_km(kz_border_pairs()).reindex(facts.index).fillna(0.0)
        units = kz_unit_facts()
        self.distance_km = capital_distances_km(facts, territory_centroids(units))
        # Static distances: to today's oblasts (their polygon centroids stand in for the oblast
        # centres, which the raw data do not locate) and to the capital, Astana (KZ-71).
        kinds = region_table()["kind"].reindex(units.index)
        to_units = capital_distances_km(facts, units)
        self.facts = facts.assign(
            kz_nearest_centre_km=to_units.loc[:, (kinds == "oblast").to_numpy()].min(axis=1),
            kz_astana_km=to_units["KZ-71"],
        )

    def __call__(self, node: ast.AST, year: int) -> pd.Series:
        if isinstance(node, ast.Expression):
            return self(node.body, year)
        if isinstance(node, ast.Name):
            if node.id.startswith("kz_"):
                return self.panel.kz_value(node.id, year)
            return self.panel.value(node.id, year)
        if isinstance(node, ast.Constant):
            return node.value  # type: ignore[return-value]
        if isinstance(node, ast.UnaryOp):
            return -self(node.operand, year)
        if isinstance(node, ast.BinOp):
            left, right = self(node.left, year), self(node.right, year)
            with np.errstate(divide="ignore", invalid="ignore"):
                if isinstance(node.op, ast.Add):
                    return left + right
                if isinstance(node.op, ast.Sub):
                    return left - right
                if isinstance(node.op, ast.Mult):
                    return left * right
                return _safe_div(left, right)
        assert isinstance(node, ast.Call)
        fname, args = node.func.id, node.args  # type: ignore[attr-defined]
        if fname == "static":
            return self.facts[args[0].id].astype(float)  # type: ignore[attr-defined]
        if fname == "per_capita":
            return _safe_div(self(args[0], year), self.panel.value("population_avg", year))
        if fname == "per_area":
            return _safe_div(self(args[0], year), self.facts["area_km2"] / 1000.0)
        if fname == "per_border_km":
            return _safe_div(self(args[0], year), self.facts["border_kz_km"])
        if fname == "share":
            return 100.0 * _safe_div(self(args[0], year), self(args[1], year))
        if fname in ("growth", "cagr"):
            w = args[1].value  # type: ignore[attr-defined]
            ratio = _safe_div(self(args[0], year), self(args[0], year - w))
            ratio = ratio.where(ratio > 0)
            return 100.0 * (ratio - 1.0) if fname == "growth" else 100.0 * (ratio ** (1 / w) - 1)
        if fname == "mean":
            w = args[1].value  # type: ignore[attr-defined]
            frames = pd.concat([self(args[0], year - k) for k in range(w)], axis=1)
            return frames.mean(axis=1, skipna=False)
        if fname == "national":
            values = self(args[0], year)
            return 100.0 * values / _national(values)
        if fname == "kz_gap":
            ru, kz = self(args[0], year), self(args[1], year)
            out = {}
            for rid, ks in self.neighbours.items():
                vals = [kz.get(k, np.nan) for k in ks]
                vals = [v for v in vals if not math.isnan(v)]
                out[rid] = ru.get(rid, np.nan) - np.mean(vals) if vals else np.nan
            return pd.Series(out, dtype=float)
        if fname in KZ_FUNCTIONS:
            return KZ_FUNCTIONS[fname](self, self(args[0], year))
        raise AssertionError(f"unchecked function {fname}")  # parse_formula rejects others


def _weighted(weights: pd.DataFrame, kz: pd.Series, *, mean: bool, skip: bool = False) -> pd.Series:
    # Rows: Russian regions; columns: fixed Kazakh territories. A territory with a positive
    # weight but no value makes the result missing rather than re-weighting the others, unless
    # `skip`: then the mean is over the territories published (all of them missing: missing).
    values = kz.reindex(weights.columns).to_numpy(float)
    w = weights.to_numpy(float)
    if skip:
        w = np.where(np.isnan(values)[None, :], 0.0, w)
    used = w > 0
    missing = (used & np.isnan(values)[None, :]).any(axis=1)
    total = np.where(used, w * np.nan_to_num(values), 0.0).sum(axis=1)
    if mean:
        wsum = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.where(wsum > 0, total / wsum, np.nan)
    return pd.Series(np.where(missing, np.nan, total), index=weights.index, dtype=float)


def _kz_border_mean(ev: _Evaluator, kz: pd.Series) -> pd.Series:
    return _weighted(ev.border_km, kz, mean=True)


def _kz_near(ev: _Evaluator, kz: pd.Series) -> pd.Series:
    # Over the territories published that year: South Kazakhstan's unemployment rate 2010-2017
    # exists only as its two pieces without their populations, so it cannot be averaged; with
    # 1/d weights it carries 3.5-4.6 % of the weight for the border regions.
    return _weighted(1.0 / ev.distance_km, kz, mean=True, skip=True)


def _kz_potential(ev: _Evaluator, kz: pd.Series) -> pd.Series:
    return _weighted(1.0 / ev.distance_km, kz, mean=False)


def _kz_national(ev: _Evaluator, kz: pd.Series) -> pd.Series:
    national = kz.get("KZ", np.nan)
    return 100.0 * kz / national if not math.isnan(national) else kz * np.nan


#: The cross-border functions of the catalogue: each takes one Kazakh expression (on the fixed
#: territories) and returns a Russian region series, except kz_national (a Kazakh series).
KZ_FUNCTIONS = {
    "kz_border_mean": _kz_border_mean,
    "kz_near": _kz_near,
    "kz_potential": _kz_potential,
    "kz_national": _kz_national,
}


def _safe_div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / b
    if isinstance(out, pd.Series):
        return out.replace([np.inf, -np.inf], np.nan)
    return out


@dataclass(frozen=True)
class CompiledIndicators:
    """A compiled feature matrix and its audit trail.

    Attributes
    ----------
    raw : DataFrame
        Region × feature values as computed from the data, NaN where the data has none.
    matrix : DataFrame
        The same after the documented imputations (refused regions removed).
    imputations : DataFrame
        One row per filled cell: ``region_id, indicator, year, method, value``.
    refused : DataFrame
        Regions not scored: ``region_id, missing_share, missing_features``.
    catalogue : list of Indicator
        The catalogue entries the matrix was compiled from.
    year : int
        The scored year.
    """

    raw: pd.DataFrame
    matrix: pd.DataFrame
    imputations: pd.DataFrame
    refused: pd.DataFrame
    catalogue: list[Indicator]
    year: int

    @property
    def levels(self) -> pd.Series:
        """Level of each feature column.

        Returns
        -------
        pandas.Series
            Feature id -> level name, in the order of ``matrix.columns``.
        """
        return pd.Series({i.id: i.level for i in self.catalogue})[self.matrix.columns]

    @property
    def directions(self) -> pd.Series:
        """Direction of each feature column: +1 when more is more ready, -1 when less is.

        Returns
        -------
        pandas.Series
            Feature id -> +1 or -1, in the order of ``matrix.columns``.
        """
        return pd.Series({i.id: i.direction for i in self.catalogue})[self.matrix.columns]

    @property
    def weights(self) -> pd.Series:
        """Catalogue weight of each feature column within its level.

        Returns
        -------
        pandas.Series
            Feature id -> non-negative weight, in the order of ``matrix.columns``.
        """
        return pd.Series({i.id: i.weight for i in self.catalogue})[self.matrix.columns]


def _raw_matrix(
    panel: _Panel, evaluator: _Evaluator, catalogue: list[Indicator], year: int, regions: list[str]
) -> pd.DataFrame:
    cols = {}
    for ind in catalogue:
        values = evaluator(parse_formula(ind.formula), year)
        cols[ind.id] = pd.Series(values, dtype=float).reindex(regions)
    return pd.DataFrame(cols, index=pd.Index(regions, name="region_id"))


def compile_indicators(
    data: pd.DataFrame,
    *,
    year: int,
    regions: list[str] | None = None,
    catalogue: list[Indicator] | None = None,
    max_imputed_share: float = 0.25,
    keep_apart: bool = True,
) -> CompiledIndicators:
    """Compile the catalogue into a region × feature matrix for one year.

    Parameters
    ----------
    data : DataFrame
        The long dataset (``border_readiness.features.dataset.load_dataset()``).
    year : int
        The year scored; dynamics look back from it.
    regions : list of str, optional
        Region ids; default all 85 Russian subjects.
    catalogue : list of Indicator, optional
        Default the shipped catalogue.
    max_imputed_share : float, default 0.25
        A region needing carry-forward or district-median imputation for more than this share of
        its scored features is refused.
    keep_apart : bool, default True
        Leave the subjects whose figure a footnote puts inside another subject's (17.8: Moscow
        Oblast in Moscow) out of that feature, not imputed, and refuse them if scored
        (:func:`border_readiness.features.territories.keep_apart`). False imputes them as if
        the figure were merely missing: only to compare the two.

    Returns
    -------
    CompiledIndicators
        The raw and imputed matrices, the imputations made, the refused regions, the catalogue
        and the year.

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> c = compile_indicators(load_dataset(), year=2021)
    >>> c.matrix.shape[0] >= 80
    True
    """
    catalogue = catalogue or load_catalogue(known_series=set(data["indicator"]))
    regions = list(regions) if regions is not None else russian_subjects()
    panel = _Panel(data)
    facts = border_facts()
    evaluator = _Evaluator(panel, facts)
    raw = _raw_matrix(panel, evaluator, catalogue, year, regions)

    records = [
        {
            "region_id": r,
            "indicator": s,
            "year": y,
            "method": "structural zero (source: '-', no such phenomenon)",
            "value": 0.0,
        }
        for r, s, y in sorted(panel.structural_zeros)
        if r in regions
    ]
    scored = [i.id for i in catalogue if i.level in SCORED_LEVELS and i.weight > 0]
    # Only scored features are imputed: a context feature that the data does not define (e.g.
    # the asymmetry with Kazakh neighbours of a region without any) stays missing.
    matrix = raw.copy()
    # Step 2: carry the region's own value forward from the previous one or two years.
    for lag in (1, 2):
        if not matrix.isna().any().any():
            break
        earlier = _raw_matrix(panel, evaluator, catalogue, year - lag, regions)
        fill = matrix.isna() & earlier.notna()
        fill.loc[:, ~fill.columns.isin(scored)] = False
        for rid, col in zip(*np.nonzero(fill.to_numpy()), strict=True):
            r, c = matrix.index[rid], matrix.columns[col]
            matrix.iat[rid, col] = earlier.iat[rid, col]
            records.append(
                {
                    "region_id": r,
                    "indicator": c,
                    "year": year,
                    "method": f"carried forward from {year - lag}",
                    "value": float(earlier.iat[rid, col]),
                }
            )
    # Step 3: the median over subjects of the same federal district, computed on all subjects
    # (not only the regions scored) so that a small selection does not impute from itself.
    table = region_table()
    if matrix.isna().any().any():
        everyone = _raw_matrix(panel, evaluator, catalogue, year, russian_subjects())
        districts = table["federal_district"].reindex(everyone.index)
        medians = everyone.groupby(districts).median()
        gaps = matrix.isna() & matrix.columns.isin(scored)
        for rid, col in zip(*np.nonzero(gaps.to_numpy()), strict=True):
            r, c = matrix.index[rid], matrix.columns[col]
            d = table["federal_district"].get(r, "")
            if d in medians.index and not math.isnan(medians.at[d, c]):
                matrix.iat[rid, col] = medians.at[d, c]
                records.append(
                    {
                        "region_id": r,
                        "indicator": c,
                        "year": year,
                        "method": f"median of {d} subjects",
                        "value": float(medians.at[d, c]),
                    }
                )
    empty = [c for c in scored if matrix[c].isna().all()]
    if empty:
        raise ValueError(
            f"indicator {empty[0]!r} has no data for {year} (nor the two years before) in any "
            "region scored; choose another year or drop it from the catalogue"
        )
    imputed = pd.DataFrame(records, columns=["region_id", "indicator", "year", "method", "value"])
    gap_cells = imputed[
        ~imputed["method"].str.startswith("structural zero") & imputed["indicator"].isin(scored)
    ]
    share = gap_cells.groupby("region_id").size().reindex(regions, fill_value=0) / len(scored)
    still = matrix[scored].isna().any(axis=1)
    refuse = (share > max_imputed_share) | still
    refused = pd.DataFrame(
        {
            "region_id": share.index[refuse],
            "missing_share": share[refuse].round(4).to_numpy(),
            "missing_features": [
                "|".join(c for c in scored if math.isnan(raw.at[r, c])) for r in share.index[refuse]
            ],
        }
    )
    matrix = matrix.loc[~refuse.reindex(matrix.index).to_numpy()]
    imputed = imputed[~imputed["region_id"].isin(refused["region_id"])]
    compiled = CompiledIndicators(
        raw, matrix, imputed.reset_index(drop=True), refused, catalogue, year
    )
    # A figure a footnote says includes another subject (17.8: Moscow with its oblast) is held
    # by an aggregate id: its subjects are left out of that feature, not imputed as if the
    # figure were merely missing (features/territories.py; imported here, it imports us).
    if not keep_apart:
        return compiled
    from border_readiness.features import territories

    return territories.keep_apart(compiled, data)


def latest_complete_year(
    data: pd.DataFrame,
    *,
    regions: list[str] | None = None,
    catalogue: list[Indicator] | None = None,
    max_missing_share: float = 0.05,
) -> int:
    """The latest year whose scored features are computable, before any imputation.

    Computable for all but ``max_missing_share`` of the cells of the given regions (default:
    the 12 border regions).

    Parameters
    ----------
    data : pandas.DataFrame
        The long dataset.
    regions : list of str, optional
        Region ids whose cells are counted; default :data:`BORDER_REGIONS`.
    catalogue : list of Indicator, optional
        Default the shipped catalogue; only scored features with a positive weight count.
    max_missing_share : float, default 0.05
        Largest share of region × feature cells that may be missing (0–1).

    Returns
    -------
    int
        The year, searched from the dataset's last year backwards.

    Raises
    ------
    ValueError
        When no year of the dataset meets the threshold.

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> latest_complete_year(load_dataset())
    2021
    """
    catalogue = catalogue or load_catalogue(known_series=set(data["indicator"]))
    regions = list(regions) if regions is not None else list(BORDER_REGIONS)
    panel = _Panel(data)
    evaluator = _Evaluator(panel, border_facts())
    scored = [i for i in catalogue if i.level in SCORED_LEVELS and i.weight > 0]
    for year in range(int(data["year"].max()), int(data["year"].min()) - 1, -1):
        raw = _raw_matrix(panel, evaluator, scored, year, regions)
        if raw.isna().to_numpy().mean() <= max_missing_share:
            return year
    raise ValueError("no year has the catalogue's scored features for these regions")


def national_reference(
    data: pd.DataFrame, *, year: int, catalogue: list[Indicator] | None = None
) -> pd.Series:
    """Each feature computed for the Russian Federation as a whole.

    This is the reference of the ``distance_to_reference`` normalisation. Series that
    national-accounts tables publish only as the sum over subjects (``RU-SUBJECTS-TOTAL``, e.g.
    GRP per capita) use that row. Features without a national value (e.g. road density growth
    where RF is not published) are NaN.

    Parameters
    ----------
    data : pandas.DataFrame
        The long dataset.
    year : int
        The scored year.
    catalogue : list of Indicator, optional
        Default the shipped catalogue.

    Returns
    -------
    pandas.Series
        Named ``reference``: feature id -> national value (the ``RU`` row, completed from
        ``RU-SUBJECTS-TOTAL``), NaN where neither is published.

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> ref = national_reference(load_dataset(), year=2021)
    >>> float(round(ref["grp_per_capita_vs_russia"], 6))
    100.0
    """
    catalogue = catalogue or load_catalogue(known_series=set(data["indicator"]))
    panel = _Panel(data)
    evaluator = _Evaluator(panel, border_facts())
    raw = _raw_matrix(panel, evaluator, catalogue, year, ["RU", "RU-SUBJECTS-TOTAL"])
    return raw.loc["RU"].combine_first(raw.loc["RU-SUBJECTS-TOTAL"]).rename("reference")
