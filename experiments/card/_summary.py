"""The card's first screen: the findings in brief, and the order and captions of its figures.

The summary reads the ``summary`` section (built from the run by
:func:`~border_readiness.experiments.card._summary_data.summary_section`) and the structure
verdict of the metrics; it shows the map of the typology when the run drew one
(``map_typology``), else the 2-D embedding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from border_readiness.experiments.card._format import _fmt, _fmt_rank, _fmt_score

if TYPE_CHECKING:
    from border_readiness.experiments.card.data import CardData

# Figures first in this order (the map of the typology leads), then the SHAP plots of the
# levels and the surrogate, then anything else by name.
_FIGURE_ORDER = (
    "map_typology",
    "map_scores",
    "map_expert",
    "map_changes",
    "rank_intervals",
    "embedding",
    "consensus",
)
# Checked in this order; the rank is the figure's group (levels' SHAP before the surrogate's).
_FIGURE_PREFIXES = (("map_", 1), ("shap_surrogate_", 3), ("shap_", 2))

# The study's three levels in its order (the JSON card sorts keys alphabetically).
_LEVEL_ORDER = ("transport_communication", "joint_projects", "social_services")

# What a figure shows, when the card carries no caption for it (cards made before captions).
_GENERIC = {
    "rank_intervals": "Ranks of the regions per level and overall, with their 5–95 % intervals "
    "over the Monte Carlo replicates.",
    "embedding": "2-D map of the regions' indicator profiles, coloured by cluster.",
    "consensus": "Consensus matrix: how often two regions fall in the same cluster.",
    "map_typology": "Map of the border regions coloured by data cluster.",
}


def _figure_order(names: Iterable[str]) -> list[str]:
    def key(name: str) -> tuple[int, int, str]:
        if name in _FIGURE_ORDER:
            return (0, _FIGURE_ORDER.index(name), name)
        for prefix, group in _FIGURE_PREFIXES:
            if name.startswith(prefix):
                return (group, 0, name)
        return (9, 0, name)

    return sorted(names, key=key)


def _caption(name: str, given: Mapping[str, str]) -> str:
    if name in given:
        return given[name]
    if name not in _GENERIC and name.startswith("map_"):
        return f"Map: {name[4:].replace('_', ' ')}, of the border regions (polygons approximate)."
    return _GENERIC.get(name, f"Figure {name.replace('_', ' ')} (no caption recorded).")


def _agreement_words(row: Mapping[str, Any]) -> str:
    """The agreement in words from the permutation p and the bootstrap CI of the ARI."""
    p, ci = row["p_value"], row["ari_ci"]
    ci_text = "" if ci is None or ci[0] is None else f" (95 % CI {_fmt(ci[0])} to {_fmt(ci[1])})"
    p_text = "" if p is None else f", permutation p = {_fmt(p)}"
    if p is None:
        verdict = "not tested against chance"
    elif p < 0.05 and (ci is None or ci[0] is None or ci[0] > 0):
        verdict = "agreement beyond chance"
    elif p < 0.05:
        verdict = "beyond chance by the permutation test, but the interval includes 0"
    else:
        verdict = "no agreement beyond chance"
    disagree = row["disagreeing"] or "none"
    return (
        f"{row['title']}: {verdict}: ARI {_fmt(row['ari'])}{ci_text}{p_text}. "
        f"Regions that disagree: {disagree}."
    )


def _headline_table(rows: list[dict[str, Any]], levels: list[str]) -> tuple:
    columns = ["region", "overall score", "rank (5–95 %)", *[lv.replace("_", " ") for lv in levels]]
    cells = []
    for r in rows:
        low, high = _fmt_rank(r["rank_low"]), _fmt_rank(r["rank_high"])
        interval = f"{_fmt_rank(r['rank'])} ({low}–{high})"
        level_cells = [_score_or_na(r.get(f"score_{lv}")) for lv in levels]
        cells.append([r["name"], _fmt_score(r["score"]), interval, *level_cells])
    numeric = [False, True, True, *[True] * len(levels)]  # right-aligned, never wrapped
    return ("table", columns, cells, numeric)


def _score_or_na(value: Any) -> str:
    return "n/a" if value is None else _fmt_score(value)


def _drivers_items(rows: list[dict[str, Any]]) -> list[str]:
    by_level: dict[str, list[str]] = {}
    for r in rows:
        by_level.setdefault(r["level"], []).append(
            f"{r['label']} ({r['unit']}; {_fmt_score(r['mean_abs_shap'])})"
        )
    return [f"{lv.replace('_', ' ').capitalize()}: {', '.join(t)}" for lv, t in by_level.items()]


def _cluster_items(rows: list[dict[str, Any]]) -> list[str]:
    return [
        f"Cluster {r['cluster']} ({r['size']} regions: {r['members']}): {r['verdict']}, mean "
        f"Jaccard {_fmt(r['jaccard_mean'])}"
        for r in rows
    ]


def _summary_blocks(data: CardData) -> list[tuple]:
    s, details = data.summary, data.model_details
    structure = data.metrics["structure"]
    statement = structure["statement"]
    verdict = statement[0] if isinstance(statement, list) else statement
    figure = next((n for n in ("map_typology", "embedding") if n in data.figures), None)
    given = {r["name"]: r["caption"] for r in data.quantitative_analyses["figure_captions"]}
    n = len(details["regions"])
    text: list[tuple] = [
        (
            "p",
            f"{n} regions, data year {details['training_year']}. Scores are 0–100 (min–max over "
            "all Russian subjects); ranks are among the regions scored, with the 5–95 % "
            "interval of the Monte Carlo replicates.",
        )
    ]
    left: list[tuple] = [("fig", figure, _caption(figure, given))] if figure else []
    if s["headline"]:
        found = {k[6:] for r in s["headline"] for k in r if k.startswith("score_")}
        levels = [lv for lv in _LEVEL_ORDER if lv in found] + sorted(found - set(_LEVEL_ORDER))
        left += [("h", 3, "Headline scores"), _headline_table(s["headline"], levels)]
    text.append(("h", 3, "Agreement with the expert typologies"))
    text.append(
        ("ul", [_agreement_words(r) for r in s["agreement"]])
        if s["agreement"]
        else ("p", "Not recorded.")
    )
    text.append(("h", 3, "Stability"))
    text.append(("p", f"Structure: {structure['verdict']}. {verdict}"))
    if s["clusters"]:
        text.append(("ul", _cluster_items(s["clusters"])))
    text.append(("h", 3, "What drives each level"))
    if s["drivers"]:
        text.append(
            ("p", "Top indicators by mean |SHAP| over the regions, in score points (0–100):")
        )
        text.append(("ul", _drivers_items(s["drivers"])))
    else:
        text.append(("p", "Not recorded."))
    text.append(("h", 3, "Small-n caveat"))
    small = s["small_n"]
    text.append(("p", small) if isinstance(small, str) else ("ul", list(small)))
    # Two columns on a wide screen: the map and the scores, then the findings in words.
    boxes = [("div", "summary-map", left)] if left else []
    boxes.append(("div", "summary-text", text))
    return [("h", 2, "Summary"), ("div", "summary", boxes)]
