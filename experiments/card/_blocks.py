"""The card as blocks: the small intermediate form both the Markdown and the HTML renderer read."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from border_readiness.experiments.card._format import _column_kind, _fmt, _fmt_cell, _Todo
from border_readiness.experiments.card._summary import _caption, _figure_order, _summary_blocks
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


# Blocks: the small intermediate form both templates read.
# ("h", level, text, anchor), ("p", inline), ("fields", [(label, inline)]), ("ul", [inline]),
# ("table", columns, rows, numeric_flags), ("fig", name, caption), ("toc", [(text, anchor)]),
# ("div", css_class, [blocks]) (a box in the HTML; the Markdown renders its blocks in turn).
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
    # A declared kind (e.g. an interval) wins; otherwise the column's name says how it reads.
    kind = [kinds.get(c) or _column_kind(c) for c in columns]
    cells = [[_fmt_cell(kind[i], r[i]) for i in range(len(columns))] for r in rows]
    return ("table", columns, cells, numeric)


def _records_blocks(spec: _Spec, rows: list[dict[str, Any]]) -> list[_Block]:
    if spec.render == "figures":
        raise AssertionError("figures are laid out by _card_blocks")  # needs the PNGs
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


def _field_blocks(
    spec: _Spec, value: Any, path: str, depth: int, data: CardData | None = None
) -> list[_Block]:
    kind = spec.kind
    if kind == "section":
        return _section_blocks(spec, value, path, depth, data)
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


def _section_blocks(
    spec: _Spec, value: Mapping[str, Any], path: str, depth: int, data: CardData | None = None
) -> list[_Block]:
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
        if sub.render == "figures":
            blocks.extend(_figure_blocks(data, value[name]) if data else [("p", "No figures.")])
            continue
        blocks.extend(_field_blocks(sub, value[name], full, depth + 1))
    if pending:
        blocks.append(("fields", pending))
    return blocks


def _figure_blocks(data: CardData, captions: list[dict[str, Any]]) -> list[_Block]:
    if not data.figures:
        return [("p", "No figures.")]
    given = {row["name"]: row["caption"] for row in captions}
    return [("fig", name, _caption(name, given)) for name in _figure_order(data.figures)]


def _slug(text: str, seen: dict[str, int]) -> str:
    # GitHub's heading anchors, so the Markdown table of contents links work on GitHub too.
    base = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n}"


def _anchored(blocks: list[_Block], seen: dict[str, int]) -> list[_Block]:
    """Every heading with its unique anchor, in document order (boxes included)."""
    out: list[_Block] = []
    for b in blocks:
        if b[0] == "h":
            out.append((*b[:3], _slug(b[2], seen)))
        elif b[0] == "div":
            out.append(("div", b[1], _anchored(b[2], seen)))
        else:
            out.append(b)
    return out


def _card_blocks(data: CardData) -> tuple[str, list[_Block]]:
    details = data.model_details
    title = f"Model card: {details['name']}, version {details['version']}"
    summary = _summary_blocks(data)
    body: list[_Block] = []
    for name, spec in _SCHEMA.fields[1:]:  # the summary (first) stands above the contents
        body.append(("h", 2, spec.label))
        body.extend(_field_blocks(spec, getattr(data, name), name, 1, data))
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
    summary, body = _anchored(summary, seen), _anchored(body, seen)
    heads = [b for b in [*summary, *body] if b[0] == "h" and b[1] == 2]
    toc = [(b[2], b[3]) for b in heads]
    return title, [*intro, *summary, ("toc", toc), *body]
