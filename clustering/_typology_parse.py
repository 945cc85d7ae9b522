"""Reading typology files: TOML and CSV parsing, one-line errors, the template guide.

Private to :mod:`border_readiness.clustering.typologies`, which builds the
:class:`~border_readiness.clustering.typologies.Typology` from the fields parsed here and
re-exports :class:`TypologyError`, :class:`TypeInfo`, ``CLASSIFIES`` and ``CONFIDENCE``.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from border_readiness.errors import UserInputError
from border_readiness.features.regions import (
    BORDER_REGIONS,
    UnknownRegionError,
    region_table,
    resolve_region,
)

if TYPE_CHECKING:
    from border_readiness.clustering.typologies import Typology

# Users meet these by the public module's name (tracebacks, reprs, pickles), as before the
# parsing moved here.
_PUBLIC_MODULE = "border_readiness.clustering.typologies"

#: Allowed values of ``classifies``.
CLASSIFIES = ("regions", "border_segments")
#: Allowed values of ``confidence``.
CONFIDENCE = ("low", "medium", "high")

_ID = re.compile(r"^[a-z0-9_]+$")
_REQUIRED = ("name", "title", "citation", "classifies", "confidence", "confidence_note")
_TOP_FIELDS = (*_REQUIRED, "origin", "template", "notes", "unassigned_note", "types", "assignments")
# Who made the typology: an expert (published; what the data are validated against) or this
# package itself (built from the same indicators: agreement with it is internal consistency).
ORIGINS = ("expert", "own")
_TYPE_FIELDS = ("id", "name", "description")
# Registry rows that are sums of regions, not regions: typing them would compare apples with
# baskets of apples.
_AGGREGATE_KINDS = {"country", "federal_district", "subjects_total", "not_allocated"}


class TypologyError(UserInputError):
    """An invalid typology file; the one-line message names the file, the entry and the fix."""

    __module__ = _PUBLIC_MODULE


class TypeInfo(NamedTuple):
    """A type as the expert names and describes it."""

    name: str
    description: str


TypeInfo.__module__ = _PUBLIC_MODULE


def _read_text(path: Path) -> str:
    from border_readiness.features._file_kinds import decode_utf8, describe, sniff

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TypologyError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise TypologyError(f"{path}: is a folder; expected a typology file") from None
    except OSError as exc:
        raise TypologyError(f"{path}: cannot read ({exc.strerror})") from None
    kind = sniff(raw)
    if kind == "utf16":
        raise TypologyError(f"{path}: UTF-16 text, expected UTF-8; re-save it as UTF-8")
    if kind != "text":  # a workbook or archive saved under .toml/.csv: say what it is
        raise TypologyError(
            f"{path}: binary content ({describe(kind)}), expected a UTF-8 TOML or CSV typology"
        )
    return decode_utf8(raw, str(path), TypologyError)


def _resolve(key: str, where: str) -> str:
    try:
        rid = resolve_region(key)
    except UnknownRegionError as exc:
        raise TypologyError(
            f"{where}: {exc}; expected a region id (RU-OMS) or name (Омская область)"
        ) from None
    kind = region_table().at[rid, "kind"]
    if kind in _AGGREGATE_KINDS:
        raise TypologyError(
            f"{where}: {key!r} is {rid}, an aggregate ({kind}), not a region; "
            "expected a federal subject or oblast"
        )
    return rid


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    """The fields of the :class:`Typology` a TOML file describes."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TypologyError(_toml_error(text, path, exc)) from None
    if not raw:
        raise TypologyError(f"{path}: empty file (only comments); expected a typology")
    unknown = [k for k in raw if k not in _TOP_FIELDS]
    if unknown:
        raise TypologyError(
            f"{path}: unknown field {unknown[0]!r}{_did_you_mean(unknown[0], _TOP_FIELDS)}; "
            f"expected {', '.join(_TOP_FIELDS)}"
        )
    for key in _REQUIRED:
        if key not in raw:
            raise TypologyError(f"{path}: missing required field {key!r}")
        if not isinstance(raw[key], str):
            raise TypologyError(f"{path}: {key} = {raw[key]!r}: expected a string")
    for key in ("name", "title", "confidence_note"):
        if not raw[key].strip():
            raise TypologyError(f"{path}: {key} is empty; expected text")
    name = raw["name"]
    if not _ID.match(name):
        raise TypologyError(
            f"{path}: name = {name!r}: expected an id of lowercase letters, digits and _"
        )
    classifies, confidence = raw["classifies"], raw["confidence"]
    if classifies not in CLASSIFIES:
        raise TypologyError(
            f"{path}: classifies = {classifies!r}: expected one of {', '.join(CLASSIFIES)}"
        )
    if confidence not in CONFIDENCE:
        raise TypologyError(
            f"{path}: confidence = {confidence!r}: expected one of {', '.join(CONFIDENCE)}"
        )
    template = raw.get("template", False)
    if not isinstance(template, bool):
        raise TypologyError(f"{path}: template = {template!r}: expected true or false")
    origin = raw.get("origin", "expert")
    if origin not in ORIGINS:
        raise TypologyError(f"{path}: origin = {origin!r}: expected one of {', '.join(ORIGINS)}")
    notes = raw.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise TypologyError(f"{path}: notes: expected a list of strings")
    unassigned_note = raw.get("unassigned_note", "")
    if not isinstance(unassigned_note, str):
        raise TypologyError(f"{path}: unassigned_note: expected a string")

    types = _parse_types(raw.get("types"), path)
    entries = raw.get("assignments", {})
    if not isinstance(entries, dict):
        raise TypologyError(f"{path}: assignments: expected a table [assignments]")
    if template and entries:
        raise TypologyError(
            f"{path}: template = true but [assignments] has {len(entries)} entries; a template "
            "is a blank form: set template = false once you fill in the assignments"
        )
    if not template and not entries:
        raise TypologyError(
            f"{path}: no [assignments]; expected region = type entries (or template = true "
            "for a blank form)"
        )
    assignments: dict[str, tuple[str, ...]] = {}
    first_key: dict[str, str] = {}
    for key, value in entries.items():
        where = f"{path}, [assignments] {key!r}"
        rid = _resolve(key, where)
        if rid in assignments:
            raise TypologyError(
                f"{where}: duplicate assignment: region {rid} is already given by "
                f"{first_key[rid]!r}; list all its types in one entry"
            )
        tids = _parse_value(value, where)
        for tid in tids:
            _check_type_id(tid, types, where)
        if len(set(tids)) < len(tids):
            raise TypologyError(f"{where}: duplicate assignment: a type is listed twice")
        if len(tids) > 1 and classifies == "regions":
            raise TypologyError(
                f'{where}: {len(tids)} types {list(tids)} but classifies = "regions" allows '
                'one type per region; use classifies = "border_segments" if the source '
                "types border segments"
            )
        assignments[rid] = tids
        first_key[rid] = key
    return dict(
        name=name,
        title=raw["title"],
        citation=raw["citation"],
        classifies=classifies,
        confidence=confidence,
        confidence_note=raw["confidence_note"],
        origin=origin,
        template=template,
        types=types,
        assignments=assignments,
        notes=tuple(notes),
        unassigned_note=unassigned_note,
        source=str(path),
    )


def _parse_types(entries: Any, path: Path) -> dict[str, TypeInfo]:
    if entries is None:
        raise TypologyError(f"{path}: missing required field 'types' (at least one [[types]])")
    if not isinstance(entries, list) or not entries:
        raise TypologyError(f"{path}: types: expected one or more [[types]] entries")
    types: dict[str, TypeInfo] = {}
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise TypologyError(f"{path}: types #{n}: expected a [[types]] table")
        where = f"{path}, [[types]] #{n}" + (f" (id {entry['id']!r})" if "id" in entry else "")
        unknown = [k for k in entry if k not in _TYPE_FIELDS]
        if unknown:
            raise TypologyError(
                f"{where}: unknown field {unknown[0]!r}"
                f"{_did_you_mean(unknown[0], _TYPE_FIELDS)}; expected {', '.join(_TYPE_FIELDS)}"
            )
        for key in ("id", "name"):
            if key not in entry:
                raise TypologyError(f"{where}: missing required field {key!r}")
        for key in _TYPE_FIELDS:
            if key in entry and not isinstance(entry[key], str):
                raise TypologyError(f"{where}: {key} = {entry[key]!r}: expected a string")
        tid = entry["id"]
        if not _ID.match(tid):
            raise TypologyError(
                f"{where}: id {tid!r}: expected an id of lowercase letters, digits and _ "
                "(put the expert's wording in name)"
            )
        if tid in types:
            raise TypologyError(f"{where}: type id {tid!r} declared twice")
        if not entry["name"].strip():
            raise TypologyError(f"{where}: name is empty; expected the expert's name of the type")
        types[tid] = TypeInfo(entry["name"], entry.get("description", ""))
    return types


def _parse_value(value: Any, where: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise TypologyError(
            f"{where}: empty type list; expected a type id (leave out regions "
            "the source does not type)"
        )
    for v in values:
        if not isinstance(v, str):
            raise TypologyError(f"{where}: {v!r}: expected a type id or a list of type ids")
        if not v.strip():
            raise TypologyError(f"{where}: empty type; expected a type id declared in [[types]]")
    return tuple(values)


def _check_type_id(tid: str, types: Mapping[str, TypeInfo], where: str) -> None:
    if tid not in types:
        raise TypologyError(
            f"{where}: type {tid!r} is not declared in [[types]]"
            f"{_did_you_mean(tid, types)}; declared: {', '.join(types)}"
        )


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    # 0.5 rather than difflib's 0.6 so that abbreviations such as 'desc' still find a match.
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")


def _toml_error(text: str, path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """Turn tomllib's message into one line; find the line of a duplicate key or table.

    Python 3.11's tomllib reports a duplicate key only as "Cannot overwrite a value (at end of
    document)", which tells a user nothing, so the duplicate is located here by a light scan.
    """
    message = str(exc)
    if "overwrite" in message or "twice" in message:
        found = _find_duplicate(text)
        if found:
            line, first, key, table = found
            if key is None:
                return (
                    f"{path}, line {line}: [{table}] declared twice (first at line {first}); "
                    "expected one table"
                )
            where = f"[{table}]" if table else "the top level"
            hint = (
                f"; a region may appear only once: list several types as "
                f'"{key}" = ["type_a", "type_b"]'
                if table == "assignments"
                else ""
            )
            return (
                f"{path}, line {line}: duplicate key {key!r} in {where} (first at line "
                f"{first}){hint}"
            )
        return f"{path}: duplicate key or table ({message})"
    return f"{path}: not valid TOML: {message}"


def _find_duplicate(text: str) -> tuple[int, int, str | None, str] | None:
    tables_seen: dict[str, int] = {}
    keys_seen: dict[str, int] = {}
    table = ""
    in_multiline = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        # A key-like line inside a multi-line string is text, not a key.
        quotes = line.count('"""') + line.count("'''")
        if in_multiline:
            in_multiline = quotes % 2 == 0
            continue
        if quotes % 2 == 1:
            in_multiline = True
        match = _TABLE.match(line)
        if match:
            table = match.group(2).strip().strip("\"'")
            keys_seen = {}
            if match.group(1) == "[":
                if table in tables_seen:
                    return lineno, tables_seen[table], None, table
                tables_seen[table] = lineno
            continue
        match = _KEY.match(line)
        if match:
            key = match.group(1).strip()
            if key[:1] in "\"'" and key[-1:] == key[:1]:
                key = key[1:-1]
            if key in keys_seen:
                return lineno, keys_seen[key], key, table
            keys_seen[key] = lineno
    return None


def _parse_csv(text: str, path: Path) -> dict[str, Any]:
    """The fields of the :class:`Typology` a ``region_id,type`` CSV describes."""
    first_line = next(line for line in text.splitlines() if line.strip())
    # Excel with a Russian locale writes ';'-separated "CSV".
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    while not any(header):
        header = [cell.strip().lower() for cell in next(reader)]
    if sorted(header) != ["region_id", "type"]:
        looks_like_data = _is_region(header[0])
        raise TypologyError(
            f"{path}, line {reader.line_num}: "
            + ("no header; " if looks_like_data else f"columns {','.join(header)}; ")
            + "expected the header region_id,type"
        )
    col_region, col_type = header.index("region_id"), header.index("type")
    assignments: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise TypologyError(
                f"{path}, line {line}: {len(row)} cells; expected 2 (region_id,type)"
            )
        name, tid = row[col_region].strip(), row[col_type].strip()
        where = f"{path}, line {line}"
        if not name:
            raise TypologyError(f"{where}: empty region_id; expected a region id or name")
        rid = _resolve(name, where)
        if not tid:
            raise TypologyError(f"{where} ({rid}): empty type; expected a type label")
        if (rid, tid) in seen:
            raise TypologyError(
                f"{where}: duplicate assignment: {rid} = {tid!r} already on line {seen[rid, tid]}"
            )
        seen[rid, tid] = line
        assignments.setdefault(rid, []).append(tid)
    if not assignments:
        raise TypologyError(f"{path}: header only; expected one row per region after it")
    type_ids = list(dict.fromkeys(t for tids in assignments.values() for t in tids))
    multi = any(len(tids) > 1 for tids in assignments.values())
    return dict(
        name=re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_") or "typology",
        title=path.stem,
        citation="",
        classifies="border_segments" if multi else "regions",
        confidence="low",
        confidence_note=(
            "a plain CSV records no source or confidence; convert it to TOML to record them"
        ),
        template=False,
        types={t: TypeInfo(t, "") for t in type_ids},
        assignments={rid: tuple(tids) for rid, tids in assignments.items()},
        notes=(),
        unassigned_note="",
        source=str(path),
    )


def _is_region(name: str) -> bool:
    try:
        resolve_region(name)
    except UnknownRegionError:
        return False
    return True


def _region_label(rid: str) -> str:
    table = region_table()
    return f"{rid} ({table.at[rid, 'name_en']})" if rid in table.index else rid


def _how_to_fill(typology: Typology, path: Path) -> str:
    table = region_table()
    regions = "\n".join(
        f'       "{rid}"  {table.at[rid, "name_ru"]}  ({table.at[rid, "name_en"]})'
        for rid in BORDER_REGIONS
    )
    types = ", ".join(typology.types)
    # A placeholder, not a real type, in the example line: a concrete pairing would read as a
    # hint of what the paper says.
    return f"""\
How to fill in {path.name} from the paper ({typology.citation.rstrip(".")}):
  1. Copy the file (the shipped one is a form; keep it blank) and give the copy a new name,
     e.g. `name = "{typology.name.removesuffix("_template")}"` in a file of the same name.
  2. Check the [[types]] against the paper's typology table. The form declares: {types}.
     If the paper's types differ, replace them: one [[types]] entry per type of the paper,
     `id` in lowercase letters, digits and _, `name` as printed in the paper, `description`
     with the paper's wording.
  3. Copy each region's type from the paper's table into [assignments], one line per region:
       "RU-OMS" = "<type id>"
     where <type id> is one of the [[types]] ids. Use the ids of border-readiness's region
     registry or the Russian names as printed («Омская область» works as a key). The 12
     border regions:
{regions}
     A region the paper does not classify is left out; say why in `unassigned_note`.
     If the paper gives one region several types (border segments), set
     `classifies = "border_segments"` and write a list: "RU-AST" = ["type_a", "type_b"].
  4. Set `template = false`.
  5. Set `confidence` (high: copied from the paper's table; medium: read from its text or a
     figure; low: inferred) and say why in `confidence_note`, with the page or table number.
  6. Run `border-readiness typology validate FILE` (in Python:
     `border_readiness.clustering.typologies.check_typology("FILE")`) and fix what it reports.
"""
