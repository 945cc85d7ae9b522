"""The card's schema as a typed model: pydantic models built from :data:`~.schema._SCHEMA`.

One declaration (``_SCHEMA``) still drives everything; this module turns it into pydantic
models, so the JSON card has a standard JSON Schema (:func:`card_json_schema`, written next to
the card as ``MODEL_CARD.schema.json``) and is checked by pydantic after the field-by-field
validation of :mod:`._validate` (which gives the one-line messages). Checks JSON Schema cannot
state (no ``TODO`` outside the person fields, rank_low <= rank_high, low <= high in an
interval) stay in ``_validate``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, create_model

from border_readiness.experiments.card.schema import _SCHEMA, PERSON_FIELDS, _Spec

_NonEmpty = Annotated[StrictStr, Field(pattern=r"\S")]
_Number = StrictInt | float
_Scalar = StrictStr | StrictInt | float | StrictBool | None
_Cell = _Scalar | list[_Scalar]
_RegionId = Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]

# Field kinds of _SCHEMA -> (annotation, whether the field may be absent).
_KINDS: dict[str, Any] = {
    "str": _NonEmpty,
    "text": _NonEmpty | Annotated[list[_NonEmpty], Field(min_length=1)],
    "strs": Annotated[list[_NonEmpty], Field(min_length=1)],
    "ids": Annotated[list[_RegionId], Field(min_length=1, json_schema_extra={"uniqueItems": True})],
    "int": StrictInt,
    "number": _Number,
    "number?": _Number | None,
    "version": StrictInt | _NonEmpty,
    "timestamp": Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")],
    "person": _NonEmpty | None,
    "kv": dict[str, _Cell],
    "cell": _Cell,
    "label": _NonEmpty | StrictInt,
    "interval?": tuple[_Number | None, _Number | None] | None,
}


def _camel(path: str) -> str:
    return "".join(part.capitalize() for part in path.replace(".", "_").split("_")) or "ModelCard"


def _record_model(path: str, spec: _Spec) -> type[BaseModel]:
    fields = {col: (_KINDS[kind], ...) for col, kind in spec.columns}
    # Extra columns are allowed, each a scalar or a list of scalars.
    return create_model(
        f"{_camel(path)}Row",
        __config__=ConfigDict(extra="allow", strict=True),
        __doc__=f"A row of {spec.label}.",
        __pydantic_extra__=(dict[str, _Cell], ...),
        **fields,
    )


def _section_model(path: str, spec: _Spec) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, sub in spec.fields:
        full = f"{path}.{name}" if path else name
        if sub.kind == "section":
            fields[name] = (_section_model(full, sub), ...)
        elif sub.kind == "records":
            rows = Annotated[list[_record_model(full, sub)], Field(min_length=sub.min_rows)]
            # A table that may be empty may also be absent (cards written before it existed).
            fields[name] = (rows, [] if sub.min_rows == 0 else ...)
        elif sub.kind == "person":
            fields[name] = (
                _KINDS["person"],
                Field(None, description=f"left to a person: {PERSON_FIELDS[full]}"),
            )
        else:
            fields[name] = (_KINDS[sub.kind], Field(..., description=sub.label))
    return create_model(
        _camel(path) if path else "ModelCard",
        __config__=ConfigDict(extra="forbid", strict=True, title=spec.label),
        __doc__=spec.label,
        **fields,
    )


@cache
def card_model() -> type[BaseModel]:
    """The pydantic model of a card's JSON (every section, figures excluded).

    Returns
    -------
    type of pydantic.BaseModel
        ``ModelCard``, one nested model per section of the schema and one per table row.

    Validate JSON text (``model_validate_json``): the model is strict, and a JSON array is
    what an interval ``[low, high]`` is.

    Examples
    --------
    >>> import json
    >>> from border_readiness.experiments.card._examples import _example_dict
    >>> card_model().model_validate_json(json.dumps(_example_dict())).model_details.name
    'example'
    """
    return _section_model("", _SCHEMA)


def card_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``MODEL_CARD.json``, generated from the typed model.

    Returns
    -------
    dict
        A JSON Schema document; required fields, types, patterns and minimum lengths follow
        :func:`~border_readiness.experiments.card.describe_schema`.

    Examples
    --------
    >>> schema = card_json_schema()
    >>> schema["$schema"], schema["title"], schema["additionalProperties"]
    ('https://json-schema.org/draft/2020-12/schema', 'Model card', False)
    """
    body = card_model().model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **body}


def _render_schema() -> bytes:
    text = json.dumps(card_json_schema(), sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
