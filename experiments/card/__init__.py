"""Model cards (Mitchell et al. 2019) with a datasheet (Gebru et al. 2021), rendered to files.

Google's Model Card Toolkit is dormant and pulls in TensorFlow-era dependencies, so the card
is rendered here from two Jinja2 templates of the package (``templates/card.md.j2`` and
``templates/card.html.j2``, autoescaped, with the one stylesheet ``templates/card.css``) plus a
JSON dump and its JSON Schema (``MODEL_CARD.schema.json``, :func:`card_json_schema`). The input
is one validated :class:`CardData`; its schema is declared once and drives validation (field
by field, then by the pydantic models built from it), rendering and :func:`describe_schema`,
whose doctest keeps the documented schema identical to the enforced one. The card opens with a
summary of the findings (headline scores, agreement, stability, drivers, small-n caveat).

Only the fields a person must answer (:data:`PERSON_FIELDS`) may be ``None``; they render as a
visible ``TODO:`` mark naming the field. Everything else is filled from the run, so a card with
the person fields filled contains no ``TODO`` at all (strings containing ``TODO`` are rejected).

What lives where:

* :mod:`.schema`: the schema table, :data:`PERSON_FIELDS`, the headings, :class:`CardDataError`
  and :func:`describe_schema`; ``_validate`` checks data against the table;
* :mod:`.data`: :class:`CardData`, the validated content;
* :mod:`.render`: :func:`render_card` (Markdown, HTML and JSON, through the private ``_blocks``,
  ``_summary``, ``_templates`` and ``_format`` modules; the schema from ``_model``),
  :func:`parse_formats`, :func:`todo_marks`, :func:`normalise_for_comparison`;
* :mod:`.build`: the card of a run (:func:`build_card_data`, :func:`data_digest`) and writing
  it (:func:`write_card`, :func:`write_card_files`; figures as PNG through
  :func:`border_readiness.experiments._plots.figure_png`).

Only :mod:`.build` touches the filesystem; nothing here imports MLflow. :func:`render_card`
returns ``{file name: bytes}`` and the caller writes them (e.g. with
:class:`border_readiness.experiments._outputs.OutputSet`).
"""

from __future__ import annotations

from border_readiness.experiments.card._model import card_json_schema
from border_readiness.experiments.card.build import (
    build_card_data,
    data_digest,
    write_card,
    write_card_files,
)
from border_readiness.experiments.card.data import CardData
from border_readiness.experiments.card.render import (
    FORMATS,
    SCHEMA_FILE,
    normalise_for_comparison,
    parse_formats,
    render_card,
    todo_marks,
)
from border_readiness.experiments.card.schema import (
    DATASHEET_HEADINGS,
    MITCHELL_HEADINGS,
    PERSON_FIELDS,
    STUDY_CITATION,
    CardDataError,
    describe_schema,
)

__all__ = [
    "DATASHEET_HEADINGS",
    "FORMATS",
    "MITCHELL_HEADINGS",
    "PERSON_FIELDS",
    "SCHEMA_FILE",
    "STUDY_CITATION",
    "CardData",
    "CardDataError",
    "build_card_data",
    "card_json_schema",
    "data_digest",
    "describe_schema",
    "normalise_for_comparison",
    "parse_formats",
    "render_card",
    "todo_marks",
    "write_card",
    "write_card_files",
]
