"""The card as blocks: the small intermediate form both the Markdown and the HTML renderer read."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from border_readiness.experiments.card._format import _fmt, _fmt_cell, _Todo
from border_readiness.experiments.card.schema import _SCHEMA, _Spec

if TYPE_CHECKING:
    from border_readiness.experiments.card.data import CardData


# Columns that identify a row come first in free tables; the rest follow alphabetically, so the
# column order depends on the names only and survives the JSON round trip (sorted keys).
_LEADING_COLUMNS = (
    "typology",
    "type",
    "cluster",
    "federal_district",
    "region",
    "indicator",
    "level",
    "source",
    "source_table",
    "n_regions",
)


# Blocks: the small intermediate form both renderers read.
# ("h", level, text), ("p", inline), ("fields", [(label, inline)]), ("ul", [inline]),
# ("table", columns, rows, numeric_flags), ("fig", name), ("toc", [(text, anchor)])
_Block = tuple
_INLINE_KINDS = {"str", "int", "version", "timestamp", "person", "ids", "number?"}


def _inline(spec: _Spec, value: Any, path: str) -> str | _Todo:
    if spec.kind == "person" and value is None:
        return _Todo(path)
    if spec.kind == "version":
        return f"version {value}"  # the marker normalise_for_comparison knows
    return _fmt(value)


def _table_columns(spec: _Spec, rows: list[dict[str, Any]]) -> list[str]:
    required = [c for c, _ in spec.columns]
    present = set(rows[0]) - set(required)
    leading = [c for c in _LEADING_COLUMNS if c in present]
    return required + leading + sorted(present - set(leading))


def _table(columns: list[str], rows: list[list[Any]], kinds: Mapping[str, str]) -> _Block:
    numeric = [
        all(
            isinstance(r[i], (int, float)) and not isinstance(r[i], bool)
            for r in rows
            if r[i] is not None
        )
        and any(r[i] is not None for r in rows)
        for i in range(len(columns))
    ]
    cells = [[_fmt_cell(kinds.get(c, "cell"), r[i]) for i, c in enumerate(columns)] for r in rows]
    return ("table", columns, cells, numeric)


def _records_blocks(spec: _Spec, rows: list[dict[str, Any]]) -> list[_Block]:
    if not rows:
        return [("p", "No rows.")]
    if spec.render == "rank_widths":
        return _rank_width_blocks(spec, rows)
    columns = _table_columns(spec, rows)
    return [_table(columns, [[r[c] for c in columns] for r in rows], dict(spec.columns))]


def _rank_width_blocks(spec: _Spec, rows: list[dict[str, Any]]) -> list[_Block]:
    # The width of a rank interval is the uncertainty a reader needs; derive it here rather
    # than trusting a caller-supplied column to agree with rank_low and rank_high.
    columns = _table_columns(spec, rows)
    table_rows = [[r[c] for c in columns] + [r["rank_high"] - r["rank_low"]] for r in rows]
    by_level: dict[str, list[tuple[float, str]]] = {}
    for r in rows:
        by_level.setdefault(r["level"], []).append((r["rank_high"] - r["rank_low"], r["region"]))
    summary = []
    for level, widths in by_level.items():
        values = [w for w, _ in widths]
        widest = max(widths, key=lambda wr: wr[0])  # ties: the first in row order
        summary.append([level, len(values), float(statistics.median(values)), widest[0], widest[1]])
    return [
        ("p", "Width of the rank interval by level:"),
        _table(["level", "regions", "median_width", "max_width", "widest_region"], summary, {}),
        ("p", "Per region:"),
        _table([*columns, "width"], table_rows, dict(spec.columns)),
    ]


def _field_blocks(spec: _Spec, value: Any, path: str, depth: int) -> list[_Block]:
    kind = spec.kind
    if kind == "section":
        return _section_blocks(spec, value, path, depth)
    if kind == "text":
        return [("p", value)] if isinstance(value, str) else [("ul", list(value))]
    if kind == "strs":
        return [("ul", list(value))]
    if kind == "kv":
        if not value:
            return [("p", "None recorded.")]
        return [_table(["name", "value"], [[k, v] for k, v in sorted(value.items())], {})]
    if kind == "records":
        return _records_blocks(spec, value)
    raise AssertionError(f"no block renderer for kind {kind!r}")


def _section_blocks(spec: _Spec, value: Mapping[str, Any], path: str, depth: int) -> list[_Block]:
    blocks: list[_Block] = []
    pending: list[tuple[str, str | _Todo]] = []
    for name, sub in spec.fields:
        full = f"{path}.{name}" if path else name
        if sub.kind in _INLINE_KINDS:
            pending.append((sub.label, _inline(sub, value.get(name), full)))
            continue
        if pending:
            blocks.append(("fields", pending))
            pending = []
        blocks.append(("h", min(depth + 2, 6), sub.label))
        blocks.extend(_field_blocks(sub, value[name], full, depth + 1))
    if pending:
        blocks.append(("fields", pending))
    return blocks


def _slug(text: str, seen: dict[str, int]) -> str:
    # GitHub's heading anchors, so the Markdown table of contents links work on GitHub too.
    base = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n}"


def _card_blocks(data: CardData) -> tuple[str, list[_Block], list[str]]:
    details = data.model_details
    title = f"Model card: {details['name']}, version {details['version']}"
    body: list[_Block] = []
    for name, spec in _SCHEMA.fields:
        body.append(("h", 2, spec.label))
        body.extend(_field_blocks(spec, getattr(data, name), name, 1))
        if name == "quantitative_analyses" and data.figures:
            body.append(("h", 3, "Figures"))
            body.extend(("fig", fig) for fig in data.figures)
    intro = [
        (
            "p",
            "Model card after Mitchell et al. (2019), with a datasheet for the training data "
            "after Gebru et al. (2021). Generated from the run; fields only a person can answer "
            "are marked for completion.",
        )
    ]
    missing = data.missing_person_fields()
    if missing:
        intro.append(("p", f"{len(missing)} field(s) still need a person's answer."))
    seen: dict[str, int] = {}
    anchors = [_slug(b[2], seen) if b[0] == "h" else "" for b in body]
    toc = [(b[2], a) for b, a in zip(body, anchors, strict=True) if b[0] == "h" and b[1] == 2]
    return title, [*intro, ("toc", toc), *body], anchors
