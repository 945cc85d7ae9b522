"""Rendering a :class:`CardData` to files: :func:`render_card`, and the checks run on the output.

Rendering is deterministic: the same data give byte-identical files. Tables keep the row order
of the input; their column order depends only on the column names, never on dict order, so a
card re-read from its own JSON (which sorts keys) renders to the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from border_readiness.experiments.card._examples import _TINY_PNG, _example_dict  # noqa: F401
from border_readiness.experiments.card._model import _render_schema
from border_readiness.experiments.card._templates import _render_html, _render_md
from border_readiness.experiments.card.data import CardData

__all__ = [
    "FORMATS",
    "SCHEMA_FILE",
    "normalise_for_comparison",
    "parse_formats",
    "render_card",
    "todo_marks",
]

FORMATS: tuple[str, ...] = ("md", "html", "json")

_FILE_NAMES = {"md": "MODEL_CARD.md", "html": "MODEL_CARD.html", "json": "MODEL_CARD.json"}
# The JSON card travels with its JSON Schema (draft 2020-12), generated from the typed model.
SCHEMA_FILE = "MODEL_CARD.schema.json"


_TODO_MARK = re.compile(r"TODO: [^\[\]\n<]*\[([a-z_]+\.[a-z_]+)\]")


def todo_marks(text: str) -> list[str]:
    """Field paths of the ``TODO:`` marks in a rendered card, in order of appearance.

    A release check can require ``todo_marks(card) == []`` before a model is promoted.

    Parameters
    ----------
    text : str
        A rendered card (Markdown or HTML, decoded).

    Returns
    -------
    list of str
        The dotted field path of each ``TODO: ...[section.field]`` mark, e.g.
        ``"model_details.owner"``, repeats kept.

    Examples
    --------
    >>> card = render_card(CardData.from_dict(_example_dict()), formats=("md",))
    >>> todo_marks(card["MODEL_CARD.md"].decode())[:2]
    ['model_details.licence', 'model_details.owner']
    """
    return _TODO_MARK.findall(text)


# --------------------------------------------------------------------------------------------
# JSON


def _render_json(data: CardData) -> bytes:
    text = json.dumps(data.to_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


_RENDERERS: dict[str, Callable[[CardData], bytes]] = {
    "md": _render_md,
    "html": _render_html,
    "json": _render_json,
}


# --------------------------------------------------------------------------------------------
# Public entry points


def parse_formats(spec: str) -> tuple[str, ...]:
    """Card formats from a comma-separated option such as ``"md,html"``.

    Names are case-insensitive and stripped; repeats are dropped; the order is that of
    :data:`FORMATS` so output does not depend on how the option was typed.

    Parameters
    ----------
    spec : str
        The option's value, e.g. ``"md,html,json"``.

    Returns
    -------
    tuple of str
        The formats asked for, a subset of :data:`FORMATS` in its order.

    Raises
    ------
    ValueError
        One line naming the unknown format, or saying that none was given.

    Examples
    --------
    >>> parse_formats("html, MD")
    ('md', 'html')
    >>> parse_formats("md,pdf")
    Traceback (most recent call last):
    ...
    ValueError: unknown card format 'pdf'; expected a comma-separated subset of md, html, json
    """
    names = [part.strip().lower() for part in str(spec).split(",") if part.strip()]
    if not names:
        raise ValueError(f"no card format given in {spec!r}; expected some of md, html, json")
    for name in names:
        if name not in FORMATS:
            raise ValueError(
                f"unknown card format {name!r}; expected a comma-separated subset of "
                f"{', '.join(FORMATS)}"
            )
    return tuple(f for f in FORMATS if f in names)


def render_card(data: CardData, formats: Sequence[str] = FORMATS) -> dict[str, bytes]:
    """Render a card to ``{file name: bytes}``: ``MODEL_CARD.md``, ``.html``, ``.json``.

    With ``"json"``, its JSON Schema comes too as ``MODEL_CARD.schema.json``
    (:func:`~border_readiness.experiments.card._model.card_json_schema`). With ``"md"``, the
    figures are returned too as ``figures/<name>.png`` (the Markdown links to
    them); the HTML embeds them as data URIs and needs no other file. The same data always give
    the same bytes.

    Parameters
    ----------
    data : CardData
        The validated card content.
    formats : sequence of str
        Any of ``"md"``, ``"html"``, ``"json"`` (see :func:`parse_formats` for a CLI option).

    Returns
    -------
    dict of str to bytes
        File names relative to the card's folder, in a fixed order.

    Examples
    --------
    >>> data = CardData.from_dict(_example_dict(), figures={"ranks": _TINY_PNG})
    >>> files = render_card(data)
    >>> list(files)
    ['MODEL_CARD.md', 'MODEL_CARD.html', 'MODEL_CARD.json', 'MODEL_CARD.schema.json', \
'figures/ranks.png']
    >>> render_card(data) == files
    True
    """
    if not isinstance(data, CardData):
        raise TypeError(f"render_card expects CardData, got {type(data).__name__}")
    wanted = parse_formats(formats if isinstance(formats, str) else ",".join(formats))
    out = {_FILE_NAMES[f]: _RENDERERS[f](data) for f in wanted}
    if "json" in wanted:
        out[SCHEMA_FILE] = _render_schema()
    if "md" in wanted:
        out.update({f"figures/{name}.png": png for name, png in data.figures.items()})
    return out


# Patterns replaced by normalise_for_comparison, in this order.
_NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ISO 8601 date *with* time (T or space), optional seconds, fraction and zone; bare dates
    # such as a data year range are kept.
    (
        re.compile(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
        ),
        "<timestamp>",
    ),
    # MLflow run ids: exactly 32 lower-case hex digits not inside a longer alphanumeric run, so a
    # 64-hex dataset digest (a real change of data) stays visible.
    (re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])"), "<run-id>"),
    # Registry version markers: "version 3" in prose and "version": 3 / "3" in JSON.
    (re.compile(r"\b([Vv]ersion) \d+\b"), r"\1 <n>"),
    (re.compile(r'("version"\s*:\s*)"?\d+"?'), r"\1<n>"),
)


def normalise_for_comparison(text: str) -> str:
    """Replace run ids, timestamps and ``version N`` markers with placeholders.

    Lets a test compare a freshly rendered card with a committed one "apart from run ids and
    timestamps". Patterns, applied in this order:

    * ISO 8601 date and time (``2024-05-01T12:00:00Z``, ``2024-05-01 12:00``, with optional
      seconds, fraction and zone) -> ``<timestamp>``; a bare date is kept;
    * an MLflow run id, 32 lower-case hex digits not part of a longer letter/digit run (a
      64-hex digest is kept) -> ``<run-id>``;
    * ``version N`` / ``Version N`` -> ``version <n>``; JSON ``"version": N`` (or ``"N"``) ->
      ``"version": <n>``. ``package_version`` values such as ``0.1.0`` are kept.

    Everything else, metrics included, is left as it is.

    Parameters
    ----------
    text : str
        A rendered card or any text.

    Returns
    -------
    str
        ``text`` with the placeholders substituted.

    Examples
    --------
    >>> normalise_for_comparison("run 0123456789abcdef0123456789abcdef at "
    ...                          "2024-05-01T12:00:00+00:00, version 7, ARI 0.512")
    'run <run-id> at <timestamp>, version <n>, ARI 0.512'
    """
    for pattern, replacement in _NORMALISERS:
        text = pattern.sub(replacement, text)
    return text
