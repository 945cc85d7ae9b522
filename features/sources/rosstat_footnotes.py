"""Footnotes of Rosstat tables that say a figure includes another subject.

Some tables of «Регионы России» print a subject's figure with a footnote such as «С 2000 г. -
включая данные по Московской области» (17.8, mobile subscriptions): the city's row counts the
oblast too and the oblast's row is ``...``. Read naively, the city gets a figure that is not its
own and the oblast a gap that the compiler would fill as if the figure were merely missing, so
the oblast's subscribers would be counted twice. This module finds such notes (the scan lists
every footnote of a table that uses an inclusion wording) and tells which of them name a
subject, so that :mod:`.rosstat` can store the figure under the aggregate id of both
(``RU-MOW+RU-MOS``, kind ``subjects_combined`` in the registry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from border_readiness.features.sources._cells import strip_footnote

__all__ = [
    "INCLUSION_WORDS",
    "SCAN_COLUMNS",
    "FootnoteNote",
    "inclusion_notes",
    "named_subject",
    "scan_bundle_footnotes",
    "sheet_footnotes",
]

#: Columns of :func:`scan_bundle_footnotes`.
SCAN_COLUMNS = [
    "file", "table", "indicator", "mark", "footnote", "rows", "included", "from_year",
    "to_year", "territorial",
]  # fmt: skip

#: Wordings that may mean "this figure includes another territory"; a note that uses one of
#: them is listed by the scan, and is a territorial inclusion when it also names a subject.
INCLUSION_WORDS = re.compile(
    r"включая|включены|включен[аоы]?\b|с уч[её]том|including|included", re.IGNORECASE
)
_RULE = re.compile(r"^[_\-—¾]{3,}$")
_NOTE_START = re.compile(r"(?:^|(?<=\s))(\d{1,2})\)\s*")
_FROM_YEAR = re.compile(r"\b[сС]\s*(\d{4})\s*г")
_TO_YEAR = re.compile(r"\b[дД]о\s*(\d{4})\s*г")
# Only these wordings fold a territory into a row: «с учетом изменения их границы» does not.
_FOLDS = re.compile(r"включая|включены|including", re.IGNORECASE)


@dataclass(frozen=True)
class FootnoteNote:
    """One footnote of a table that uses an inclusion wording.

    Attributes
    ----------
    sheet : str
        The table (sheet name, e.g. ``"17.8."``).
    mark : str
        The footnote's number as printed (``"2"`` for ``2)``).
    text : str
        The footnote's text, as published.
    rows : tuple of str
        Region ids of the rows whose label carries the mark (empty when the mark sits on the
        title or a column).
    included : str or None
        Region id of the subject the note says is included, when the text names one.
    from_year : int or None
        First year the inclusion applies to («С 2000 г.»); None when the note gives none.
    to_year : int or None
        First year it no longer applies to («До 2012 г.»); None when the note gives none.
    """

    sheet: str
    mark: str
    text: str
    rows: tuple[str, ...]
    included: str | None
    from_year: int | None
    to_year: int | None = None

    @property
    def territorial(self) -> bool:
        """Whether the note folds a named subject into the figure of another row.

        Returns
        -------
        bool
            True when the text says «включая» (including) a named subject other than the rows
            carrying the mark.
        """
        return (
            self.included is not None
            and bool(_FOLDS.search(self.text))
            and any(r != self.included for r in self.rows)
        )


def sheet_footnotes(rows: list[tuple]) -> dict[str, str]:
    """The numbered footnotes printed below a table's rule, by mark.

    Parameters
    ----------
    rows : list of tuple
        The sheet's rows as read (``iter_rows(values_only=True)``).

    Returns
    -------
    dict
        Mark (``"1"``, ``"2"``…) -> text; a cell holding several notes is split at each
        ``N)``. Empty when the sheet has no rule or no numbered note below it.

    Examples
    --------
    >>> sheet_footnotes([("Омская область", 1), ("_____",), ("1) Без учета. 2) Включая X.",)])
    {'1': 'Без учета.', '2': 'Включая X.'}
    """
    notes: dict[str, str] = {}
    below = False
    for row in rows:
        text = re.sub(r"\s+", " ", str(row[0])).strip() if row and row[0] is not None else ""
        if not below:
            below = bool(_RULE.match(text)) or text.startswith("___")
            continue
        parts = _NOTE_START.split(text)
        # split() gives [before, mark1, text1, mark2, text2, ...]
        for mark, body in zip(parts[1::2], parts[2::2], strict=True):
            notes.setdefault(mark, body.strip())
    return notes


@lru_cache(maxsize=1)
def _subject_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    from border_readiness.features.regions import region_table

    table = region_table()
    subjects = table[(table["country"] == "RU") & (table["kind"] == "subject")]
    out = []
    for rid, name in subjects["name_ru"].items():
        # Footnotes name a subject in an oblique case («по Московской области»): match each
        # word by its stem (the word less its last two letters, at least three letters kept).
        words = [w for w in re.split(r"[\s\-–]+", name) if w and w != "г."]
        stems = [re.escape(w[: max(3, len(w) - 2)]) + r"\w*" for w in words]
        out.append((rid, re.compile(r"\b" + r"[\s\-–]+".join(stems), re.IGNORECASE)))
    # Longest names first, so «Архангельская область без автономного округа» wins over parts.
    return tuple(sorted(out, key=lambda p: -len(p[1].pattern)))


def named_subject(text: str) -> str | None:
    """The subject a footnote's text names, if any (the longest name found).

    Parameters
    ----------
    text : str
        A footnote.

    Returns
    -------
    str or None
        The subject's region id.

    Examples
    --------
    >>> named_subject("С 2000 г. - включая данные по Ленинградской области.")
    'RU-LEN'
    >>> named_subject("Данные за 2011-2021 годы без учета итогов ВПН-2020.") is None
    True
    """
    for rid, pattern in _subject_patterns():
        if pattern.search(text):
            return rid
    return None


def inclusion_notes(sheet: str, rows: list[tuple], row_ids: dict[str, str]) -> list[FootnoteNote]:
    """The footnotes of one table that use an inclusion wording, with the rows they mark.

    Parameters
    ----------
    sheet : str
        The table's sheet name.
    rows : list of tuple
        The sheet's rows as read.
    row_ids : dict
        Printed row label -> region id, for the region rows of the table.

    Returns
    -------
    list of FootnoteNote
        In mark order.

    Examples
    --------
    >>> rows = [("г. Москва2)", 1.0), ("___",), ("2) Включая данные по Московской области.",)]
    >>> [n.included for n in inclusion_notes("x", rows, {"г. Москва2)": "RU-MOW"})]
    ['RU-MOS']
    """
    notes = sheet_footnotes(rows)
    marked: dict[str, list[str]] = {}
    for label, rid in row_ids.items():
        _, marks = strip_footnote(label)
        for mark in filter(None, marks.split(",")):
            marked.setdefault(mark, []).append(rid)
    out = []
    for mark, text in sorted(notes.items(), key=lambda kv: int(kv[0])):
        if not INCLUSION_WORDS.search(text):
            continue
        year, until = _FROM_YEAR.search(text), _TO_YEAR.search(text)
        out.append(
            FootnoteNote(
                sheet=sheet.strip(),
                mark=mark,
                text=text,
                rows=tuple(marked.get(mark, ())),
                included=named_subject(text),
                from_year=int(year.group(1)) if year else None,
                to_year=int(until.group(1)) if until else None,
            )
        )
    return out


def _marked_labels(rows: list[tuple]) -> dict[str, str]:
    # Labels in the first column that carry a footnote mark and name a region, above the rule.
    from border_readiness.features.regions import UnknownRegionError, resolve_region

    out: dict[str, str] = {}
    for row in rows:
        text = re.sub(r"\s+", " ", str(row[0])).strip() if row and row[0] is not None else ""
        if _RULE.match(text) or text.startswith("___"):
            break
        if not text or not strip_footnote(text)[1]:
            continue
        try:
            out[text] = resolve_region(text, country="RU")
        except UnknownRegionError:
            continue  # the title or a heading: its note applies to no row
    return out


def scan_bundle_footnotes(raw_root: str | Path, manifest: str | Path | None = None) -> pd.DataFrame:
    """Every footnote with an inclusion wording in the Rosstat tables a bundle manifest lists.

    Parameters
    ----------
    raw_root : path-like
        The raw folder (``shared/data/raw``).
    manifest : path-like, optional
        A bundle manifest; default the packaged ``features/data/bundle.toml``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCAN_COLUMNS`, one row per footnote: the workbook, table and indicator,
        the mark and text, the region ids of the rows marked (``|``-joined), the subject the
        text names, the first year, and whether it is a territorial inclusion (a subject's
        figure that includes another subject, stored by the reader under their aggregate id).

    Raises
    ------
    SourceFormatError
        When a workbook or sheet the manifest lists is missing.

    Examples
    --------
    >>> scan = scan_bundle_footnotes("../shared/data/raw")  # doctest: +SKIP
    >>> scan.loc[scan.territorial, ["table", "rows", "included"]]  # doctest: +SKIP
    """
    import tomllib

    import openpyxl  # slow to import; only the scan needs it

    from border_readiness.features.sources._errors import SourceFormatError

    if manifest is None:
        from importlib import resources

        manifest = str(resources.files("border_readiness.features") / "data" / "bundle.toml")
    with open(manifest, "rb") as fh:
        spec = tomllib.load(fh)["rosstat"]
    folder = Path(raw_root) / spec["folder"]
    records = []
    for group in spec["table"]:
        path = folder / group["file"]
        if not path.is_file():
            raise SourceFormatError(f"{path}: file not found (listed in {Path(manifest).name})")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for entry in group["tables"]:
                if entry["sheet"] not in wb.sheetnames:
                    raise SourceFormatError(f"{path.name}: no sheet {entry['sheet']!r}")
                rows = [tuple(r) for r in wb[entry["sheet"]].iter_rows(values_only=True)]
                for n in inclusion_notes(entry["sheet"], rows, _marked_labels(rows)):
                    records.append(
                        (group["file"], n.sheet, entry["indicator"], n.mark, n.text,
                         "|".join(n.rows), n.included or "", n.from_year, n.to_year, n.territorial)
                    )  # fmt: skip
        finally:
            wb.close()
    scan = pd.DataFrame.from_records(records, columns=SCAN_COLUMNS)
    return scan.astype({"from_year": "Int64", "to_year": "Int64", "territorial": bool})
