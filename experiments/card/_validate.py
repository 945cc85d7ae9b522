"""Validation of card data against :data:`~.schema._SCHEMA`.

Every value is checked and copied into plain Python (lists, dicts, str, int, float, bool, None)
so that equality with the JSON round trip is exact.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from border_readiness.experiments.card.schema import PERSON_FIELDS, CardDataError, _Spec

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
        with contextlib.suppress(TypeError, ValueError):
            value = value.item()
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
        if name not in value and sub.kind == "records" and sub.min_rows == 0:
            # A table that may be empty may also be absent (cards written before it existed).
            out[name] = []
            continue
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
