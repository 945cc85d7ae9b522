"""Expert typologies as data files: load, validate, compare-ready.

A typology says which *type* an expert puts each region in. It lives in a small TOML file (or a
plain CSV), never in code, so that a reader who has a paper can type its table in and check it in
minutes. Types are expert classes; a cluster found in the data is not a type until it has been
aligned to one.

Notes
-----
**File format**: TOML, read with the standard library's ``tomllib``::

    name = "sokolov_rudneva_border_stability"   # id: lowercase letters, digits, _
    title = "Stability of the Russia-Kazakhstan border segments"
    citation = "..."                # the full reference as published ("" only in a CSV)
    classifies = "border_segments"  # "regions": one type per region;
                                    # "border_segments": a region carries the types of its
                                    # border segments, so it may have several
    confidence = "medium"           # low | medium | high: how sure the transcription is
    confidence_note = "..."         # why that confidence (source, page, table, doubts)
    template = false                # true: a blank form to fill in; [assignments] empty
    notes = ["...", "..."]          # optional
    unassigned_note = "..."         # optional: why some regions have no type

    [[types]]                       # one entry per type, in the expert's order
    id = "most_stable"              # id: lowercase letters, digits, _
    name = "Most stable"            # the expert's name for the type
    description = "..."             # optional

    [assignments]                   # region id or name -> type id, or a list of type ids
    "RU-AST" = ["most_stable", "geometric"]
    "Омская область" = "least_stable"

Required: ``name, title, citation, classifies, confidence, confidence_note`` and at least one
``[[types]]`` entry. Region keys are resolved by the registry
(:func:`~border_readiness.features.regions.resolve_region`): ISO ids, Russian or English names
and the variants the sources print. Regions that are not listed are *unassigned*; a region is
never guessed. Several types for one region are allowed only when
``classifies = "border_segments"``.

**Plain CSV**: a CSV with the header ``region_id,type`` (comma- or semicolon-separated,
UTF-8) is accepted for quick checks: names are accepted in ``region_id``, several rows for one
region give it several types (and make the typology ``border_segments``), the name and title
come from the file name.
A CSV carries no citation and no confidence, so it loads as ``confidence = "low"``; convert it
to TOML to record where it comes from.

Errors raise :class:`TypologyError` (a ``ValueError``) with one line that names the file, the
entry or line, and what was expected.

The shipped typologies (``clustering/typologies/*.toml``, see the README there) are listed by
:func:`shipped_typologies`.

Examples
--------
>>> t = load_typology(shipped_typologies()["federal_districts"])
>>> t.classifies, len(t.types), len(t.regions)
('regions', 4, 12)
>>> t.as_series()["RU-OMS"]
'siberian'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

# The file parsers live in a private module: this one is the typology model and its loaders.
from border_readiness.clustering._typology_parse import (
    CLASSIFIES,
    CONFIDENCE,
    TypeInfo,
    TypologyError,
    _how_to_fill,
    _parse_csv,
    _parse_toml,
    _read_text,
    _region_label,
)
from border_readiness.features.regions import BORDER_REGIONS, region_table

__all__ = [
    "CLASSIFIES",
    "CONFIDENCE",
    "TypeInfo",
    "Typology",
    "TypologyCheck",
    "TypologyError",
    "check_typology",
    "load_typology",
    "shipped_typologies",
    "typology",
]


@dataclass(frozen=True)
class Typology:
    """An expert typology: types and which region carries which type.

    Attributes
    ----------
    name, title, citation : str
        Id (``[a-z0-9_]+``), human title and the full reference as published.
    classifies : {"regions", "border_segments"}
        ``border_segments``: a region carries the types of its border segments (maybe several).
    confidence : {"low", "medium", "high"}
        How sure the transcription is; ``confidence_note`` says why.
    template : bool
        A blank form (no assignments) to be filled in from a paper.
    origin : {"expert", "own"}
        ``"expert"``: a published typology, which the data are validated against. ``"own"``:
        made by this package from the same indicators (its readiness profiles); agreement with
        it is internal consistency, not validation, and reports keep it apart.
    types : dict
        Type id -> :class:`TypeInfo` ``(name, description)``, in the expert's order.
    assignments : dict
        Region id -> tuple of type ids, in file order. Unlisted regions are unassigned.
    notes : tuple of str
        Free-text notes of the file (transcription choices, caveats).
    unassigned_note : str
        Why some regions have no type (empty when the file gives no reason).
    source : str
        The file it was read from (not part of equality).

    Examples
    --------
    >>> t = load_typology(shipped_typologies()["sokolov_rudneva_border_stability"])
    >>> t.assignments["RU-AST"]
    ('most_stable', 'geometric')
    >>> t.as_series(multi="first")["RU-AST"]
    'most_stable'
    >>> t.unassigned()
    ['RU-SAM', 'RU-AL']
    """

    name: str
    title: str
    citation: str
    classifies: str
    confidence: str
    confidence_note: str
    template: bool
    types: dict[str, TypeInfo]
    assignments: dict[str, tuple[str, ...]]
    notes: tuple[str, ...] = ()
    unassigned_note: str = ""
    origin: str = "expert"
    source: str = field(default="", compare=False)

    @property
    def regions(self) -> tuple[str, ...]:
        """Ids of the assigned regions, in file order.

        Returns
        -------
        tuple of str
            The keys of :attr:`assignments` (registry region ids).
        """
        return tuple(self.assignments)

    @property
    def is_own(self) -> bool:
        """Whether this package made the typology (``origin = "own"``), not an expert.

        Returns
        -------
        bool
            True for the package's own profiles: agreement with them is internal consistency.
        """
        return self.origin == "own"

    def unassigned(self, among: Iterable[str] = BORDER_REGIONS) -> list[str]:
        """Regions of ``among`` (default: the 12 border regions) that carry no type.

        Parameters
        ----------
        among : iterable of str, default the 12 border regions
            Region ids to check, e.g. the regions of a clustering.

        Returns
        -------
        list of str
            The ids of ``among`` absent from :attr:`assignments`, in the order of ``among``.
        """
        return [r for r in among if r not in self.assignments]

    def as_series(self, multi: Literal["tuple", "first"] = "tuple") -> pd.Series:
        """Region id -> type id (or tuple of type ids), one entry per assigned region.

        Parameters
        ----------
        multi : {"tuple", "first"}
            For a region with several types: all of them as a tuple, or the first one listed.
            A region with one type always gives the plain type id.

        Returns
        -------
        Series
            Named after the typology, indexed by ``region_id`` (object dtype), in file order.

        Raises
        ------
        ValueError
            If ``multi`` is neither "tuple" nor "first".

        Examples
        --------
        >>> t = load_typology(shipped_typologies()["sokolov_rudneva_border_stability"])
        >>> t.as_series()[["RU-AST", "RU-OMS"]].tolist()
        [('most_stable', 'geometric'), 'least_stable']
        """
        if multi not in ("tuple", "first"):
            raise ValueError(f"multi={multi!r}: expected 'tuple' or 'first'")
        values = [
            types[0] if len(types) == 1 or multi == "first" else types
            for types in self.assignments.values()
        ]
        index = pd.Index(list(self.assignments), name="region_id", dtype=object)
        return pd.Series(values, index=index, name=self.name, dtype=object)

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per (region, type): ``region_id, type, type_name``.

        Returns
        -------
        DataFrame
            Columns ``region_id``, ``type`` (type id) and ``type_name`` (the expert's name);
            a region with several types has several rows.
        """
        rows = [
            (rid, tid, self.types[tid].name)
            for rid, tids in self.assignments.items()
            for tid in tids
        ]
        return pd.DataFrame(rows, columns=["region_id", "type", "type_name"])

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready dict of every field (types as a list, to keep their order).

        Returns
        -------
        dict
            The fields of the typology; ``types`` is a list of ``{id, name, description}``,
            ``assignments`` maps region id -> list of type ids.

        Examples
        --------
        >>> d = load_typology(shipped_typologies()["federal_districts"]).to_dict()
        >>> d["types"][0]["id"], d["assignments"]["RU-AST"]
        ('southern', ['southern'])
        """
        return {
            "name": self.name,
            "title": self.title,
            "citation": self.citation,
            "classifies": self.classifies,
            "confidence": self.confidence,
            "confidence_note": self.confidence_note,
            "template": self.template,
            "types": [
                {"id": tid, "name": info.name, "description": info.description}
                for tid, info in self.types.items()
            ],
            "assignments": {rid: list(tids) for rid, tids in self.assignments.items()},
            "notes": list(self.notes),
            "unassigned_note": self.unassigned_note,
            "source": self.source,
        }


@dataclass(frozen=True)
class TypologyCheck:
    """The outcome of :func:`check_typology`.

    ``ok`` is False when the file does not load (``messages`` then holds the one-line error).
    For a valid file, ``messages`` reports coverage of the 12 border regions, unused types and
    anything that deserves a second look; for a template, ``how_to_fill`` explains step by step
    how to fill it in from the paper.

    Attributes
    ----------
    ok : bool
        Whether the file loaded and validated.
    n_regions, n_types : int
        Assigned regions and declared types (0 when ``ok`` is False).
    messages : list of str
        The error, or the coverage report and warnings, one line each.
    how_to_fill : str
        Step-by-step instructions for a template; empty otherwise.
    typology : Typology or None
        The loaded typology (None when ``ok`` is False).
    """

    ok: bool
    n_regions: int
    n_types: int
    messages: list[str]
    how_to_fill: str = ""
    typology: Typology | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (the typology itself as :meth:`Typology.to_dict`).

        Returns
        -------
        dict
            ``ok``, ``n_regions``, ``n_types``, ``messages``, ``how_to_fill`` and
            ``typology`` (a dict, or None when the file did not load).
        """
        return {
            "ok": self.ok,
            "n_regions": self.n_regions,
            "n_types": self.n_types,
            "messages": list(self.messages),
            "how_to_fill": self.how_to_fill,
            "typology": self.typology.to_dict() if self.typology else None,
        }


def shipped_typologies() -> dict[str, Path]:
    """The typology files shipped with the package, by name (the file stem).

    Returns
    -------
    dict of str to Path
        File stem -> path of each ``clustering/typologies/*.toml``, sorted by file name.

    Examples
    --------
    >>> sorted(shipped_typologies())  # doctest: +NORMALIZE_WHITESPACE
    ['border_readiness_profiles_2021', 'federal_districts', 'roy_2022_three_levels_template',
     'sokolov_rudneva_border_stability']
    """
    folder = resources.files("border_readiness.clustering") / "typologies"
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    }


def typology(name_or_path: str | os.PathLike[str]) -> Typology:
    """A shipped typology by name (:func:`shipped_typologies`), or a typology file.

    Parameters
    ----------
    name_or_path : str or path-like
        The name of a shipped typology (e.g. ``"federal_districts"``), or else the path of a
        ``.toml`` or ``.csv`` typology file.

    Returns
    -------
    Typology
        The loaded, validated typology.

    Raises
    ------
    TypologyError
        If the file does not exist or is invalid (see :func:`load_typology`).

    Examples
    --------
    >>> typology("federal_districts").name
    'federal_districts'
    """
    shipped = shipped_typologies()
    key = str(name_or_path)
    return load_typology(shipped.get(key, name_or_path))


def load_typology(path: str | os.PathLike[str]) -> Typology:
    r"""Read and validate a typology file (``.toml``, or ``.csv`` with ``region_id,type``).

    Parameters
    ----------
    path : str or path-like
        The file. Only this file is read.

    Returns
    -------
    Typology
        The typology; a CSV gets its name and title from the file stem and ``confidence =
        "low"``.

    Raises
    ------
    TypologyError
        One line naming the file, the entry or line, and what was expected.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> csv_file = folder / "my_zones.csv"
    >>> _ = csv_file.write_text(
    ...     "region_id,type\nОмская область,east\nRU-AST,west\n", encoding="utf-8")
    >>> t = load_typology(csv_file)
    >>> t.name, t.classifies, t.assignments
    ('my_zones', 'regions', {'RU-OMS': ('east',), 'RU-AST': ('west',)})
    >>> _ = csv_file.write_text("region_id,type\nОмскк,east\n", encoding="utf-8")
    >>> load_typology(csv_file)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    border_readiness.clustering.typologies.TypologyError: ...my_zones.csv, line 2: unknown region
    'Омскк'; ...
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not suffix and not path.exists():
        raise TypologyError(
            f"{path}: neither a shipped typology ({', '.join(shipped_typologies())}; see "
            "border-readiness typology list) nor a .toml or .csv typology file"
        )
    if suffix not in (".toml", ".csv"):
        raise TypologyError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; expected a .toml "
            "typology file or a .csv with the header region_id,type"
        )
    text = _read_text(path)
    if not text.strip():
        expected = (
            "a typology (name, title, citation, ..., [[types]], [assignments])"
            if suffix == ".toml"
            else "the header region_id,type and one row per region"
        )
        raise TypologyError(f"{path}: empty file; expected {expected}")
    fields = _parse_toml(text, path) if suffix == ".toml" else _parse_csv(text, path)
    return Typology(**fields)


def check_typology(path: str | os.PathLike[str]) -> TypologyCheck:
    """Validate a typology file and report what a reader should know about it.

    Never raises for a bad file: ``ok`` is False and ``messages`` holds the error.

    Parameters
    ----------
    path : str or path-like
        The name of a shipped typology (:func:`shipped_typologies`), or a ``.toml`` or ``.csv``
        typology file.

    Returns
    -------
    TypologyCheck
        ``ok``, counts, messages on coverage (of the 12 border regions), unused types and
        doubtful entries, and for a template the steps to fill it in.

    Examples
    --------
    >>> c = check_typology(shipped_typologies()["sokolov_rudneva_border_stability"])
    >>> c.ok, c.n_regions, c.n_types
    (True, 10, 4)
    >>> c = check_typology("roy_2022_three_levels_template")  # a shipped typology by name
    >>> c.ok, c.n_regions, "Set `template = false`" in c.how_to_fill
    (True, 0, True)
    """
    path = shipped_typologies().get(str(path), path)
    try:
        typology = load_typology(path)
    except TypologyError as exc:
        return TypologyCheck(ok=False, n_regions=0, n_types=0, messages=[str(exc)])
    table = region_table()
    messages: list[str] = []
    label = _region_label
    if typology.template:
        messages.append(
            "template: a blank form with no assignments yet; see how_to_fill for the steps"
        )
    else:
        assigned = [r for r in BORDER_REGIONS if r in typology.assignments]
        missing = typology.unassigned()
        messages.append(
            f"{len(assigned)} of {len(BORDER_REGIONS)} border regions assigned"
            + (f"; unassigned: {', '.join(label(r) for r in missing)}" if missing else "")
        )
        if missing and typology.unassigned_note:
            messages.append(f"unassigned, as the file explains: {typology.unassigned_note}")
        elif missing:
            messages.append(
                "unassigned regions without an unassigned_note: say whether the source leaves "
                "them out or they were forgotten"
            )
        for rid in typology.assignments:
            if rid == "RU-TYU-WHOLE":
                messages.append(
                    "RU-TYU-WHOLE is Tyumen Oblast *with* its autonomous okrugs; the border "
                    'unit is RU-TYU (without them): write "RU-TYU" unless the source means '
                    "the whole oblast"
                )
            elif rid not in BORDER_REGIONS and table.at[rid, "country"] == "RU":
                messages.append(f"{label(rid)} is not one of the 12 border regions")
        used = {t for tids in typology.assignments.values() for t in tids}
        unused = [t for t in typology.types if t not in used]
        if unused:
            messages.append(f"types with no regions: {', '.join(unused)}")
        multi = [r for r, tids in typology.assignments.items() if len(tids) > 1]
        if multi:
            messages.append(
                f"regions with several types (border segments): {', '.join(multi)}; "
                "as_series(multi='first') keeps the first listed"
            )
    if not typology.citation:
        messages.append("no citation: convert to TOML and record the source as published")
    if typology.confidence == "low":
        messages.append(f"confidence low: {typology.confidence_note}")
    return TypologyCheck(
        ok=True,
        n_regions=len(typology.assignments),
        n_types=len(typology.types),
        messages=messages,
        how_to_fill=_how_to_fill(typology, Path(path)) if typology.template else "",
        typology=typology,
    )


# -- reading -------------------------------------------------------------------------------------
