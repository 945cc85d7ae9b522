"""Model cards (Mitchell et al. 2019) with a datasheet (Gebru et al. 2021), rendered to files.

Google's Model Card Toolkit is dormant and pulls in Jinja and TensorFlow-era dependencies, so
the card is rendered here by two small explicit renderers (Markdown and HTML) plus a JSON dump.
The input is one validated :class:`CardData`; its schema is declared once (``_SCHEMA``) and
drives validation, rendering and :func:`describe_schema`, whose doctest keeps the documented
schema identical to the enforced one.

Only the fields a person must answer (:data:`PERSON_FIELDS`) may be ``None``; they render as a
visible ``TODO:`` mark naming the field. Everything else is filled from the run, so a card with
the person fields filled contains no ``TODO`` at all (strings containing ``TODO`` are rejected).

Rendering is deterministic: the same data give byte-identical files. Tables keep the row order
of the input; their column order depends only on the column names, never on dict order, so a
card re-read from its own JSON (which sorts keys) renders to the same bytes.

This module imports no MLflow and touches no network or filesystem: :func:`render_card` returns
``{file name: bytes}`` and the caller writes them (e.g. with
:class:`border_readiness.experiments.outputs.OutputSet`).
"""

from __future__ import annotations

import base64
import copy
import html
import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import pandas as pd

__all__ = [
    "DATASHEET_HEADINGS",
    "FORMATS",
    "MITCHELL_HEADINGS",
    "PERSON_FIELDS",
    "STUDY_CITATION",
    "CardData",
    "CardDataError",
    "describe_schema",
    "figure_png",
    "normalise_for_comparison",
    "parse_formats",
    "render_card",
    "todo_marks",
]

STUDY_CITATION = (
    "O. M. Roy (2022), The role of Russian border regions in the cross-border cooperation "
    "between Russia and Kazakhstan, R-Economy 8(4), 369–383, DOI 10.15826/recon.2022.8.4.028"
)

FORMATS: tuple[str, ...] = ("md", "html", "json")

_FILE_NAMES = {"md": "MODEL_CARD.md", "html": "MODEL_CARD.html", "json": "MODEL_CARD.json"}

# Fields only a person can answer -> what to write. Nothing else may be None or render as TODO.
PERSON_FIELDS: dict[str, str] = {
    "model_details.licence": "licence decided for this model and its outputs",
    "model_details.owner": "name and e-mail of the person or team answerable for this model",
    "model_details.reviewed_by": "name, role and date of the reviewer who checked this card",
    "intended_use.sign_off": "name, role and date of who approved the intended and "
    "out-of-scope uses",
}


class CardDataError(ValueError):
    """Invalid card data; the one-line message names the field path and what was expected."""


# --------------------------------------------------------------------------------------------
# Schema


@dataclass(frozen=True)
class _Spec:
    kind: str
    label: str
    fields: tuple[tuple[str, _Spec], ...] = ()
    # records: required columns and their cell kinds; extra columns are allowed.
    columns: tuple[tuple[str, str], ...] = ()
    min_rows: int = 0
    # records: a renderer replacing the plain table (e.g. to add derived columns).
    render: str = ""


def _f(kind: str, label: str) -> _Spec:
    return _Spec(kind, label)


def _rec(label: str, columns: str = "", min_rows: int = 0, render: str = "") -> _Spec:
    """Records with required ``"name:kind"`` columns, separated by spaces."""
    cols = tuple((c.split(":")[0], c.split(":")[1]) for c in columns.split())
    return _Spec("records", label, columns=cols, min_rows=min_rows, render=render)


def _section(label: str, *items: tuple[str, _Spec]) -> _Spec:
    return _Spec("section", label, fields=tuple(items))


# The one declaration of the card: validation, rendering order, headings and describe_schema()
# all read it. Inline kinds (str, int, ...) render as a field list; the others get a heading.
_SCHEMA = _section(
    "Model card",
    (
        "model_details",
        _section(
            "Model details",
            ("name", _f("str", "Name")),
            ("version", _f("version", "Version")),
            ("run_id", _f("str", "MLflow run id")),
            ("created", _f("timestamp", "Created")),
            ("package_version", _f("str", "Package version (border-readiness)")),
            ("model_type", _f("str", "Model type and method")),
            ("training_year", _f("int", "Training data year")),
            ("regions", _f("ids", "Regions")),
            ("citation", _f("str", "Study implemented")),
            ("licence", _f("person", "Licence")),
            ("owner", _f("person", "Owner and contact")),
            ("reviewed_by", _f("person", "Reviewed by")),
            ("config_summary", _f("kv", "Configuration")),
        ),
    ),
    (
        "intended_use",
        _section(
            "Intended use",
            # First: a field list right after a bullet list would merge into it in Markdown.
            ("sign_off", _f("person", "Intended uses signed off by")),
            ("primary_uses", _f("strs", "Primary uses")),
            ("primary_users", _f("strs", "Primary users")),
            ("out_of_scope_uses", _f("strs", "Out-of-scope uses")),
        ),
    ),
    (
        "factors",
        _section(
            "Factors",
            (
                "relevant_factors",
                _rec("Relevant factors", "factor:str values:cell rationale:str", 1),
            ),
            ("evaluation_factors", _f("strs", "Evaluation factors")),
        ),
    ),
    (
        "metrics",
        _section(
            "Metrics",
            (
                "agreement",
                _rec(
                    "Agreement with expert typologies",
                    "typology:str level:str ari:number ami:number? p_value:number? "
                    "ari_ci:interval?",
                    1,
                ),
            ),
            (
                "stability",
                _section(
                    "Cluster stability",
                    ("method", _f("str", "Method")),
                    ("pac", _f("number?", "PAC at the chosen k")),
                    (
                        "clusters",
                        _rec(
                            "Mean Jaccard per cluster (Hennig verdicts)",
                            "cluster:label size:int jaccard_mean:number? verdict:str",
                            1,
                        ),
                    ),
                ),
            ),
            ("internal_indices", _f("kv", "Internal indices")),
            (
                "surrogate_fidelity",
                _rec(
                    "Surrogate fidelity (leave-one-out)",
                    "target:str model:str loo_fidelity:number?",
                ),
            ),
            (
                "score_uncertainty",
                _section(
                    "Score uncertainty",
                    ("method", _f("str", "Method")),
                    ("interval", _f("str", "Interval")),
                    (
                        "ranks",
                        _rec(
                            "Rank intervals",
                            "region:str level:str rank_low:number rank_high:number",
                            render="rank_widths",
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "evaluation_data",
        _section(
            "Evaluation data",
            ("description", _f("text", "Description")),
            ("typologies", _rec("Expert typologies", "name:str source:str", 1)),
        ),
    ),
    (
        "training_data",
        _section(
            "Training data",
            ("dataset", _f("str", "Dataset")),
            ("digest", _f("str", "Digest")),
            ("year", _f("int", "Year")),
            ("n_regions", _f("int", "Number of regions")),
            ("n_indicators", _f("int", "Number of indicators")),
            ("description", _f("text", "Description")),
            ("indicators", _rec("Indicators")),
        ),
    ),
    (
        "quantitative_analyses",
        _section(
            "Quantitative analyses",
            ("by_type", _rec("By type or cluster")),
            ("by_level", _rec("By readiness level")),
            ("by_federal_district", _rec("By federal district")),
        ),
    ),
    ("ethical_considerations", _f("strs", "Ethical considerations")),
    (
        "caveats_and_recommendations",
        _section(
            "Caveats and recommendations",
            ("caveats", _f("strs", "Caveats")),
            ("recommendations", _f("strs", "Recommendations")),
        ),
    ),
    (
        "datasheet",
        _section(
            "Datasheet",
            ("motivation", _f("text", "Motivation")),
            (
                "composition",
                _section(
                    "Composition",
                    ("sources", _rec("Sources", "name:str", 1)),
                    ("tables", _rec("Tables")),
                    ("coverage", _f("kv", "Coverage")),
                    ("missingness", _rec("Missingness")),
                    ("imputations", _rec("Imputations")),
                    ("series_breaks", _rec("Known series breaks")),
                ),
            ),
            ("collection_process", _f("text", "Collection process")),
            ("preprocessing", _f("text", "Preprocessing, cleaning and labelling")),
            ("uses", _f("text", "Uses")),
            ("distribution", _f("text", "Distribution")),
            ("maintenance", _f("text", "Maintenance")),
        ),
    ),
)

_SECTION_NAMES = tuple(name for name, _ in _SCHEMA.fields)
MITCHELL_HEADINGS: tuple[str, ...] = tuple(s.label for _, s in _SCHEMA.fields[:-1])
DATASHEET_HEADINGS: tuple[str, ...] = tuple(s.label for _, s in _SCHEMA.fields[-1][1].fields)

_KIND_TEXT = {
    "str": "str",
    "text": "str | list[str]",
    "strs": "list[str], at least one",
    "ids": "list[str] of ISO 3166-2 ids, at least one, unique",
    "int": "int",
    "number?": "number | None",
    "version": "int | str",
    "timestamp": "str, ISO 8601 date and time",
    "person": "str | None",
    "kv": "dict[str, scalar | list[scalar]]",
    "cell": "scalar | list[scalar]",
    "label": "str | int",
    "number": "number",
    "interval?": "[low, high] | None",
}

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


def describe_schema() -> str:
    """The input schema of :class:`CardData`, one line per field (generated from the validator).

    ``records`` are lists of dicts (or a DataFrame) with the listed required columns; extra
    columns are allowed and every row has the same columns. Cells are scalars (str, int, float,
    bool, None) or lists of scalars; NaN becomes None and renders as ``n/a``.

    Examples
    --------
    >>> print(describe_schema())
    model_details: section "Model details"
      name: str
      version: int | str
      run_id: str
      created: str, ISO 8601 date and time
      package_version: str
      model_type: str
      training_year: int
      regions: list[str] of ISO 3166-2 ids, at least one, unique
      citation: str
      licence: str | None  [person: licence decided for this model and its outputs]
      owner: str | None  [person: name and e-mail of the person or team answerable for this model]
      reviewed_by: str | None  [person: name, role and date of the reviewer who checked this card]
      config_summary: dict[str, scalar | list[scalar]]
    intended_use: section "Intended use"
      sign_off: str | None  [person: name, role and date of who approved the intended and \
out-of-scope uses]
      primary_uses: list[str], at least one
      primary_users: list[str], at least one
      out_of_scope_uses: list[str], at least one
    factors: section "Factors"
      relevant_factors: records(factor: str, values: scalar | list[scalar], rationale: str), \
at least 1 row
      evaluation_factors: list[str], at least one
    metrics: section "Metrics"
      agreement: records(typology: str, level: str, ari: number, ami: number | None, \
p_value: number | None, ari_ci: [low, high] | None), at least 1 row
      stability: section "Cluster stability"
        method: str
        pac: number | None
        clusters: records(cluster: str | int, size: int, jaccard_mean: number | None, \
verdict: str), at least 1 row
      internal_indices: dict[str, scalar | list[scalar]]
      surrogate_fidelity: records(target: str, model: str, loo_fidelity: number | None)
      score_uncertainty: section "Score uncertainty"
        method: str
        interval: str
        ranks: records(region: str, level: str, rank_low: number, rank_high: number)
    evaluation_data: section "Evaluation data"
      description: str | list[str]
      typologies: records(name: str, source: str), at least 1 row
    training_data: section "Training data"
      dataset: str
      digest: str
      year: int
      n_regions: int
      n_indicators: int
      description: str | list[str]
      indicators: records
    quantitative_analyses: section "Quantitative analyses"
      by_type: records
      by_level: records
      by_federal_district: records
    ethical_considerations: list[str], at least one
    caveats_and_recommendations: section "Caveats and recommendations"
      caveats: list[str], at least one
      recommendations: list[str], at least one
    datasheet: section "Datasheet"
      motivation: str | list[str]
      composition: section "Composition"
        sources: records(name: str), at least 1 row
        tables: records
        coverage: dict[str, scalar | list[scalar]]
        missingness: records
        imputations: records
        series_breaks: records
      collection_process: str | list[str]
      preprocessing: str | list[str]
      uses: str | list[str]
      distribution: str | list[str]
      maintenance: str | list[str]
    """
    lines: list[str] = []

    def walk(spec: _Spec, path: str, indent: str) -> None:
        for name, sub in spec.fields:
            full = f"{path}.{name}" if path else name
            if sub.kind == "section":
                lines.append(f'{indent}{name}: section "{sub.label}"')
                walk(sub, full, indent + "  ")
                continue
            if sub.kind == "records":
                cols = ", ".join(f"{c}: {_KIND_TEXT[k]}" for c, k in sub.columns)
                text = f"records({cols})" if cols else "records"
                if sub.min_rows:
                    text += f", at least {sub.min_rows} row"
            else:
                text = _KIND_TEXT[sub.kind]
            if sub.kind == "person":
                text += f"  [person: {PERSON_FIELDS[full]}]"
            lines.append(f"{indent}{name}: {text}")

    walk(_SCHEMA, "", "")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Validation: every value is checked and copied into plain Python (lists, dicts, str, int,
# float, bool, None) so that equality with the JSON round trip is exact.

_REGION_ID = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_TODO = re.compile(r"TODO")
_FIGURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _fail(path: str, expected: str, value: Any) -> CardDataError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return CardDataError(f"card data: {path}: expected {expected}, got {shown}")


def _plain_scalar(value: Any) -> Any:
    # numpy/pandas scalars arrive from DataFrames; missing values of any flavour become None.
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes, list, dict, tuple)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _check_str(path: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, "a non-empty string", value)
    if _TODO.search(value):
        raise CardDataError(
            f"card data: {path}: contains 'TODO', which the card reserves for the person-only "
            f"fields {', '.join(PERSON_FIELDS)}"
        )
    return value


def _check_scalar(path: str, value: Any) -> Any:
    value = _plain_scalar(value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(path, "a finite number or None", value)
        return value
    if isinstance(value, str):
        return _check_str(path, value) if value.strip() else value
    raise _fail(path, "a str, int, float, bool or None", value)


def _check_cell(path: str, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_check_scalar(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return _check_scalar(path, value)


def _check_number(path: str, value: Any, nullable: bool) -> float | int | None:
    value = _plain_scalar(value)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, "a number" + (" or None" if nullable else ""), value)
    if not math.isfinite(value):
        raise _fail(path, "a finite number", value)
    return value


def _check_int(path: str, value: Any) -> int:
    value = _plain_scalar(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "an integer", value)
    return value


def _check_typed_cell(path: str, kind: str, value: Any) -> Any:
    if kind == "str":
        return _check_str(path, _plain_scalar(value))
    if kind == "int":
        return _check_int(path, value)
    if kind in ("number", "number?"):
        return _check_number(path, value, nullable=kind == "number?")
    if kind == "label":
        value = _plain_scalar(value)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _fail(path, "a cluster label (str or int)", value)
        return _check_str(path, value) if isinstance(value, str) else value
    if kind == "interval?":
        if not isinstance(value, (list, tuple)) and _plain_scalar(value) is None:
            return None
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise _fail(path, "[low, high] or None", value)
        low = _check_number(f"{path}[0]", value[0], nullable=True)
        high = _check_number(f"{path}[1]", value[1], nullable=True)
        if (low is None) != (high is None) or (low is not None and low > high):
            raise _fail(path, "[low, high] with low <= high, or [None, None]", value)
        return [low, high]
    return _check_cell(path, value)  # "cell"


def _check_records(path: str, spec: _Spec, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, pd.DataFrame):
        # A named index (e.g. ``cluster`` in a stability table) is a column of the record.
        frame = value.reset_index() if any(n is not None for n in value.index.names) else value
        value = frame.to_dict(orient="records")
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise _fail(path, "a list of records (dicts) or a DataFrame", value)
    if len(value) < spec.min_rows:
        raise _fail(path, f"at least {spec.min_rows} row(s)", value)
    rows: list[dict[str, Any]] = []
    first_keys: set[str] | None = None
    kinds = dict(spec.columns)
    for i, row in enumerate(value):
        here = f"{path}[{i}]"
        if not isinstance(row, Mapping):
            raise _fail(here, "a record (dict)", row)
        keys = set(row)
        for key in keys:
            if not isinstance(key, str):
                raise _fail(here, "string column names", key)
            _check_str(f"{here} column name", key)
        missing = [c for c, _ in spec.columns if c not in keys]
        if missing:
            raise CardDataError(f"card data: {here}: missing column(s) {', '.join(missing)}")
        if first_keys is None:
            first_keys = keys
        elif keys != first_keys:
            diff = sorted(keys ^ first_keys)
            raise CardDataError(
                f"card data: {here}: columns differ from row 0 ({', '.join(diff)}); every row "
                "of a table has the same columns"
            )
        rows.append(
            {
                key: _check_typed_cell(f"{here}.{key}", kinds.get(key, "cell"), row[key])
                for key in sorted(keys)
            }
        )
    return rows


def _check_kv(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "a dict of name -> value", value)
    out: dict[str, Any] = {}
    for key in sorted(value, key=str):
        if not isinstance(key, str):
            raise _fail(path, "string keys", key)
        _check_str(f"{path} key", key)
        out[key] = _check_cell(f"{path}.{key}", value[key])
    return out


def _check_strs(path: str, value: Any) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise _fail(path, "a non-empty list of strings", value)
    return [_check_str(f"{path}[{i}]", v) for i, v in enumerate(value)]


def _check_field(path: str, spec: _Spec, value: Any) -> Any:
    kind = spec.kind
    if kind == "person":
        return None if value is None else _check_str(path, value)
    if value is None:
        raise CardDataError(
            f"card data: {path}: required (only {', '.join(PERSON_FIELDS)} may be None)"
        )
    if kind == "section":
        return _check_section(path, spec, value)
    if kind == "str":
        return _check_str(path, value)
    if kind == "text":
        return _check_str(path, value) if isinstance(value, str) else _check_strs(path, value)
    if kind == "strs":
        return _check_strs(path, value)
    if kind == "ids":
        ids = _check_strs(path, value)
        for i, rid in enumerate(ids):
            if not _REGION_ID.match(rid):
                raise _fail(f"{path}[{i}]", "an ISO 3166-2 id such as RU-OMS", rid)
        if len(set(ids)) != len(ids):
            raise _fail(path, "unique region ids", value)
        return ids
    if kind == "int":
        return _check_int(path, value)
    if kind == "number?":
        return _check_number(path, value, nullable=True)
    if kind == "version":
        value = _plain_scalar(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return _check_str(path, value)
    if kind == "timestamp":
        text = _check_str(path, value)
        try:
            datetime.fromisoformat(text)
        except ValueError:
            raise _fail(
                path, "an ISO 8601 timestamp such as 2024-05-01T12:00:00+00:00", value
            ) from None
        if not re.search(r"\d[T ]\d{2}:\d{2}", text):
            raise _fail(path, "an ISO 8601 date *and time*", value)
        return text
    if kind == "kv":
        return _check_kv(path, value)
    if kind == "records":
        rows = _check_records(path, spec, value)
        if spec.render == "rank_widths":
            for i, row in enumerate(rows):
                if row["rank_low"] > row["rank_high"]:
                    raise _fail(f"{path}[{i}]", "rank_low <= rank_high", row)
        return rows
    raise AssertionError(f"unknown schema kind {kind!r}")  # a bug in _SCHEMA, not user input


def _check_section(path: str, spec: _Spec, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, f'a dict with the fields of "{spec.label}"', value)
    names = [n for n, _ in spec.fields]
    unknown = sorted(set(value) - set(names), key=str)
    if unknown:
        raise CardDataError(
            f"card data: {path}: unknown field {unknown[0]!r}; expected {', '.join(names)}"
        )
    out: dict[str, Any] = {}
    for name, sub in spec.fields:
        full = f"{path}.{name}"
        if name not in value and sub.kind != "person":
            raise CardDataError(f"card data: {full}: missing")
        out[name] = _check_field(full, sub, value.get(name))
    return out


def _check_figures(figures: Any) -> dict[str, bytes]:
    if not isinstance(figures, Mapping):
        raise _fail("figures", "a dict of name -> PNG bytes", figures)
    out: dict[str, bytes] = {}
    for name in sorted(figures, key=str):
        payload = figures[name]
        if not isinstance(name, str) or not _FIGURE_NAME.match(name):
            raise _fail(
                "figures", "names of letters, digits, '_' and '-' (used as file names)", name
            )
        if not isinstance(payload, (bytes, bytearray)) or not payload.startswith(_PNG_SIGNATURE):
            raise _fail(f"figures.{name}", "PNG bytes", payload)
        out[name] = bytes(payload)
    return out


# --------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True)
class CardData:
    """Validated content of a model card and its datasheet.

    Each section argument is a dict following :func:`describe_schema` (the full, doctested
    schema); ``figures`` maps a figure name to PNG bytes. Construction validates and copies the
    input into plain Python values (tuples become lists, numpy scalars Python numbers, NaN
    ``None``, DataFrames lists of records), so the instance equals its own JSON round trip.
    Treat the section dicts as read-only.

    Only the person fields (:data:`PERSON_FIELDS`) may be ``None`` or absent; they render as
    ``TODO:`` marks. Any other missing or ill-typed value raises :class:`CardDataError`.

    Parameters
    ----------
    model_details, intended_use, factors, metrics, evaluation_data, training_data, \
quantitative_analyses, caveats_and_recommendations, datasheet : dict
        The sections of Mitchell et al. (2019), then the datasheet of Gebru et al. (2021).
    ethical_considerations : list of str
        One bullet per consideration.
    figures : dict of str to bytes, optional
        PNG images; names become ``figures/<name>.png`` in the Markdown.

    Examples
    --------
    >>> data = CardData.from_dict(_example_dict())
    >>> data.missing_person_fields()
    ('model_details.licence', 'model_details.owner', 'model_details.reviewed_by', \
'intended_use.sign_off')
    >>> filled = data.with_person_fields({"model_details.owner": "Analyst <a@example.org>"})
    >>> filled.model_details["owner"], len(filled.missing_person_fields())
    ('Analyst <a@example.org>', 3)
    >>> CardData.from_dict(data.to_dict()) == data
    True
    """

    model_details: Mapping[str, Any]
    intended_use: Mapping[str, Any]
    factors: Mapping[str, Any]
    metrics: Mapping[str, Any]
    evaluation_data: Mapping[str, Any]
    training_data: Mapping[str, Any]
    quantitative_analyses: Mapping[str, Any]
    ethical_considerations: Sequence[str]
    caveats_and_recommendations: Mapping[str, Any]
    datasheet: Mapping[str, Any]
    figures: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in _SCHEMA.fields:
            object.__setattr__(self, name, _check_field(name, spec, getattr(self, name)))
        object.__setattr__(self, "figures", _check_figures(self.figures))

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], figures: Mapping[str, bytes] | None = None
    ) -> CardData:
        """Build from a dict with the section names as keys (e.g. a parsed ``MODEL_CARD.json``).

        Examples
        --------
        >>> CardData.from_dict({"model_details": {}})  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        border_readiness.experiments.model_card.CardDataError: card data: missing section(s)
        intended_use, \
factors, metrics, evaluation_data, training_data, quantitative_analyses, ethical_considerations, \
caveats_and_recommendations, datasheet
        """
        if not isinstance(data, Mapping):
            raise _fail("card data", "a dict of sections", data)
        unknown = sorted(set(data) - set(_SECTION_NAMES), key=str)
        if unknown:
            raise CardDataError(
                f"card data: unknown section {unknown[0]!r}; expected {', '.join(_SECTION_NAMES)}"
            )
        missing = [n for n in _SECTION_NAMES if n not in data]
        if missing:
            raise CardDataError(f"card data: missing section(s) {', '.join(missing)}")
        return cls(**{n: data[n] for n in _SECTION_NAMES}, figures=dict(figures or {}))

    def to_dict(self) -> dict[str, Any]:
        """The sections as plain JSON-ready values (figures excluded), a deep copy.

        Examples
        --------
        >>> sorted(CardData.from_dict(_example_dict()).to_dict())[:3]
        ['caveats_and_recommendations', 'datasheet', 'ethical_considerations']
        """
        return {
            f.name: copy.deepcopy(getattr(self, f.name))
            for f in fields(self)
            if f.name != "figures"
        }

    def missing_person_fields(self) -> tuple[str, ...]:
        """Dotted paths of the person-only fields still ``None`` (they render as ``TODO:``)."""
        return tuple(p for p in PERSON_FIELDS if self._get(p) is None)

    def with_person_fields(self, values: Mapping[str, str | None]) -> CardData:
        """A copy with person-only fields set, e.g. ``{"model_details.owner": "..."}``.

        Examples
        --------
        >>> card = CardData.from_dict(_example_dict())
        >>> card.with_person_fields({"metrics.pac": 0.1})  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        border_readiness.experiments.model_card.CardDataError: card data: metrics.pac is not a
        person field; \
expected one of model_details.licence, model_details.owner, model_details.reviewed_by, \
intended_use.sign_off
        """
        data = self.to_dict()
        for path, value in values.items():
            if path not in PERSON_FIELDS:
                raise CardDataError(
                    f"card data: {path} is not a person field; expected one of "
                    f"{', '.join(PERSON_FIELDS)}"
                )
            section, name = path.split(".")
            data[section][name] = value
        return CardData.from_dict(data, figures=self.figures)

    def _get(self, path: str) -> Any:
        section, name = path.split(".")
        return getattr(self, section).get(name)


# --------------------------------------------------------------------------------------------
# Formatting shared by the renderers


def _fmt_number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if value == 0 or 0.001 <= abs(value) < 1e6:
        return f"{value:.3f}"
    return f"{value:.3g}"  # tiny p-values and huge indices stay readable


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _fmt_number(value)
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return " ".join(str(value).split())  # newlines would break tables and lists


def _fmt_cell(kind: str, value: Any) -> str:
    if kind == "interval?":
        if value is None or value[0] is None:
            return "n/a"
        return f"[{_fmt(value[0])}, {_fmt(value[1])}]"
    return _fmt(value)


@dataclass(frozen=True)
class _Todo:
    path: str

    def text(self) -> str:
        return f"TODO: {PERSON_FIELDS[self.path]} [{self.path}]"


_TODO_MARK = re.compile(r"TODO: [^\[\]\n<]*\[([a-z_]+\.[a-z_]+)\]")


def todo_marks(text: str) -> list[str]:
    """Field paths of the ``TODO:`` marks in a rendered card, in order of appearance.

    A release check can require ``todo_marks(card) == []`` before a model is promoted.

    Examples
    --------
    >>> card = render_card(CardData.from_dict(_example_dict()), formats=("md",))
    >>> todo_marks(card["MODEL_CARD.md"].decode())[:2]
    ['model_details.licence', 'model_details.owner']
    """
    return _TODO_MARK.findall(text)


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


# --------------------------------------------------------------------------------------------
# Markdown

# Backslash escapes (CommonMark) keep user text literal: no HTML, emphasis, code or table
# breaks. Brackets are escaped only where they would form a link or image, so intervals such as
# [0.2, 0.8] stay readable as plain text, and underscores only at word edges, so identifiers
# such as p_value stay readable (GitHub does not emphasise intraword underscores).
_MD_SPECIAL = re.compile(r"([\\`*<>|]|!\[|\]\(|(?<!\w)_|_(?!\w))")
_MD_LINE_START = re.compile(r"^(#+|[-+]|\d+\.)(?=\s|$)")


def _md(text: str | _Todo) -> str:
    if isinstance(text, _Todo):
        return f"**{text.text()}**"
    flat = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), _fmt(text))
    # A leading "# ", "- " or "1. " would turn the text into a heading or a list.
    return _MD_LINE_START.sub(_escape_block_start, flat)


def _escape_block_start(match: re.Match[str]) -> str:
    marker = match.group(0)
    # Only punctuation can be backslash-escaped: "1." becomes "1\.", "#" becomes "\#".
    return marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker


def _md_blocks(blocks: Iterable[_Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        tag = block[0]
        if tag == "h":
            out.append(f"{'#' * block[1]} {_md(block[2])}")
        elif tag == "p":
            out.append(_md(block[1]))
        elif tag == "fields":
            out.append("\n".join(f"- **{_md(label)}:** {_md(v)}" for label, v in block[1]))
        elif tag == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in block[1]))
        elif tag == "table":
            _, columns, rows, numeric = block
            lines = [
                "| " + " | ".join(_md(c) for c in columns) + " |",
                "| " + " | ".join("---:" if n else "---" for n in numeric) + " |",
            ]
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif tag == "fig":
            out.append(f"![{_md(block[1].replace('_', ' '))}](figures/{block[1]}.png)")
        elif tag == "toc":
            out.append("**Contents**")
            out.append("\n".join(f"{i}. [{_md(t)}](#{a})" for i, (t, a) in enumerate(block[1], 1)))
    return out


def _render_md(data: CardData) -> bytes:
    title, blocks, _ = _card_blocks(data)
    parts = [f"# {_md(title)}", *_md_blocks(blocks)]
    return ("\n\n".join(parts) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# HTML (self-contained: inline CSS, figures as data URIs, every text escaped)

_CSS = """\
body { font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1b1b;
       max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; }
h2 { border-bottom: 2px solid #c8c8c8; padding-bottom: 0.2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1.2rem; font-size: 0.92rem; }
th, td { border: 1px solid #8c8c8c; padding: 0.2rem 0.55rem; text-align: left;
         vertical-align: top; }
th { background: #ececec; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
nav { border: 1px solid #c8c8c8; background: #f6f6f6; padding: 0.4rem 1.2rem;
      display: inline-block; }
mark.todo { background: #ffd966; font-weight: bold; padding: 0 0.2rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; border: 1px solid #c8c8c8; }
"""


def _h(text: str | _Todo) -> str:
    if isinstance(text, _Todo):
        return f'<mark class="todo">{html.escape(text.text())}</mark>'
    return html.escape(_fmt(text))


def _html_blocks(blocks: Iterable[_Block], anchors: list[str], figures: Mapping[str, bytes]):
    out: list[str] = []
    for block, anchor in zip(blocks, anchors, strict=True):
        tag = block[0]
        if tag == "h":
            out.append(f'<h{block[1]} id="{html.escape(anchor)}">{_h(block[2])}</h{block[1]}>')
        elif tag == "p":
            out.append(f"<p>{_h(block[1])}</p>")
        elif tag == "fields":
            items = "".join(f"<li><strong>{_h(k)}:</strong> {_h(v)}</li>" for k, v in block[1])
            out.append(f'<ul class="fields">{items}</ul>')
        elif tag == "ul":
            out.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in block[1]) + "</ul>")
        elif tag == "table":
            _, columns, rows, numeric = block
            head = "".join(f"<th>{_h(c)}</th>" for c in columns)
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td class="num">{_h(c)}</td>' if n else f"<td>{_h(c)}</td>"
                    for c, n in zip(row, numeric, strict=True)
                )
                + "</tr>\n"
                for row in rows
            )
            out.append(
                f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"
            )
        elif tag == "fig":
            name = block[1]
            uri = "data:image/png;base64," + base64.b64encode(figures[name]).decode("ascii")
            caption = _h(name.replace("_", " "))
            out.append(
                f'<figure><img src="{uri}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
        elif tag == "toc":
            items = "".join(
                f'<li><a href="#{html.escape(a)}">{_h(t)}</a></li>' for t, a in block[1]
            )
            out.append(f"<nav><strong>Contents</strong><ol>{items}</ol></nav>")
    return out


def _render_html(data: CardData) -> bytes:
    title, blocks, body_anchors = _card_blocks(data)
    anchors = [""] * (len(blocks) - len(body_anchors)) + body_anchors
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title>",
        f"<style>\n{_CSS}</style>\n</head>",
        "<body>",
        f"<h1>{_h(title)}</h1>",
        *_html_blocks(blocks, anchors, data.figures),
        "</body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


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

    With ``"md"``, the figures are returned too as ``figures/<name>.png`` (the Markdown links to
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
    ['MODEL_CARD.md', 'MODEL_CARD.html', 'MODEL_CARD.json', 'figures/ranks.png']
    >>> render_card(data) == files
    True
    """
    if not isinstance(data, CardData):
        raise TypeError(f"render_card expects CardData, got {type(data).__name__}")
    wanted = parse_formats(formats if isinstance(formats, str) else ",".join(formats))
    out = {_FILE_NAMES[f]: _RENDERERS[f](data) for f in wanted}
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

    Examples
    --------
    >>> normalise_for_comparison("run 0123456789abcdef0123456789abcdef at "
    ...                          "2024-05-01T12:00:00+00:00, version 7, ARI 0.512")
    'run <run-id> at <timestamp>, version <n>, ARI 0.512'
    """
    for pattern, replacement in _NORMALISERS:
        text = pattern.sub(replacement, text)
    return text


def figure_png(fig: Any, dpi: int = 120) -> bytes:
    """PNG bytes of a matplotlib figure, reproducible between runs (no software/date metadata).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(1, 1))
    >>> png = figure_png(fig)
    >>> plt.close(fig)
    >>> png[:4], png == figure_png(fig)
    (b'\\x89PNG', True)
    """
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Doctest helpers: a tiny, clearly invented card (not results of the study).

_TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/"
    "PchI7wAAAABJRU5ErkJggg=="
)


_EXAMPLE_JSON = """{
"model_details": {"name": "example", "version": 1, "run_id": "00000000000000000000000000000000",
  "created": "2024-01-01T00:00:00+00:00", "package_version": "0.1.0",
  "model_type": "k-means on level scores", "training_year": 2021,
  "regions": ["RU-OMS", "RU-ORE"], "citation": "Roy (2022)", "config_summary": {"k": 2},
  "licence": null, "owner": null, "reviewed_by": null},
"intended_use": {"primary_uses": ["example"], "primary_users": ["example"],
  "out_of_scope_uses": ["example"], "sign_off": null},
"factors": {"relevant_factors": [{"factor": "level", "values": "overall", "rationale": "x"}],
  "evaluation_factors": ["level"]},
"metrics": {
  "agreement": [{"typology": "federal districts", "level": "overall", "ari": 0.5, "ami": 0.4,
                 "p_value": 0.2, "ari_ci": [0.1, 0.9]}],
  "stability": {"method": "bootstrap", "pac": 0.2,
    "clusters": [{"cluster": 0, "size": 2, "jaccard_mean": 0.8, "verdict": "stable"}]},
  "internal_indices": {"silhouette": 0.3}, "surrogate_fidelity": [],
  "score_uncertainty": {"method": "Monte Carlo", "interval": "5-95 %",
    "ranks": [{"region": "RU-OMS", "level": "overall", "rank_low": 1, "rank_high": 2}]}},
"evaluation_data": {"description": "example",
  "typologies": [{"name": "federal districts", "source": "example"}]},
"training_data": {"dataset": "example", "digest": "abc", "year": 2021, "n_regions": 2,
  "n_indicators": 1, "description": "example", "indicators": []},
"quantitative_analyses": {"by_type": [], "by_level": [], "by_federal_district": []},
"ethical_considerations": ["example"],
"caveats_and_recommendations": {"caveats": ["example"], "recommendations": ["example"]},
"datasheet": {"motivation": "example",
  "composition": {"sources": [{"name": "example"}], "tables": [], "coverage": {},
                  "missingness": [], "imputations": [], "series_breaks": []},
  "collection_process": "example", "preprocessing": "example", "uses": "example",
  "distribution": "example", "maintenance": "example"}
}"""


def _example_dict() -> dict[str, Any]:
    """A minimal valid card (invented numbers, two regions) for the doctests."""

    return json.loads(_EXAMPLE_JSON)
