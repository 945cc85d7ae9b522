"""The region registry: ids, names and their variants, federal districts, border facts.

Region ids are ISO 3166-2 codes (``RU-OMS``, ``KZ-55``). Aggregate rows that statistical offices
publish beside the subjects get ids of their own so that no row is silently dropped and nothing
is counted twice: ``RU`` (the national total), ``RU-FD-*`` (federal districts), ``RU-TYU-WHOLE``
and ``RU-ARK-WHOLE`` (Tyumen and Arkhangelsk oblasts *including* their autonomous okrugs).
``RU-TYU`` and ``RU-ARK`` denote the oblasts *without* their okrugs, as the issue and the study
require: the border unit is Tyumen without Khanty-Mansi and Yamalo-Nenets.

The registry itself is declarative data (``features/data/regions_*.csv`` and
``region_aliases.csv``); the border facts (``border_facts.csv``) are computed from the polygons
in the raw folder by ``border-readiness data build``.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from importlib import resources

import pandas as pd

from border_readiness.errors import UserInputError
from border_readiness.features.sources._cells import strip_footnote

__all__ = [
    "BORDER_REGIONS",
    "UnknownRegionError",
    "border_facts",
    "normalize_name",
    "region_table",
    "resolve_region",
    "russian_subjects",
]

#: The 12 Russian federal subjects on the Kazakhstan border (domain brief), west to east.
BORDER_REGIONS: tuple[str, ...] = (
    "RU-AST", "RU-VGG", "RU-SAR", "RU-SAM", "RU-ORE", "RU-CHE",
    "RU-KGN", "RU-TYU", "RU-OMS", "RU-NVS", "RU-ALT", "RU-AL",
)  # fmt: skip

# Latin letters that look like Cyrillic ones (and the reverse) occur in both directions in the
# sources: «Белгоpодская» with a Latin p, 'Аktоbе' with Cyrillic А/о/е. Folding every look-alike
# to one script makes both spellings meet.
_LATIN_TO_CYRILLIC = str.maketrans("abcehkmoptxy", "авсенкмортху")
_NOT_LETTER = re.compile(r"[^0-9a-zа-я]+")


class UnknownRegionError(UserInputError):
    """A name that the registry cannot resolve; the message lists the closest known names."""


def normalize_name(name: str) -> str:
    """Fold a region name to the key used for matching.

    Footnote marks, case, spacing, punctuation, ``ё`` and Latin/Cyrillic look-alikes are
    ignored.

    Parameters
    ----------
    name : str
        A region name as printed in a source (anything else is converted with ``str``).

    Returns
    -------
    str
        Lower-case letters and digits only, Latin look-alikes folded to Cyrillic; two spellings
        of one name give the same key.

    Examples
    --------
    >>> normalize_name("Белгоpодская область1)") == normalize_name("Белгородская область")
    True
    >>> normalize_name("Республика Северная Осетия -Алания")
    'республикасевернаяосетияалания'
    """
    text, _ = strip_footnote(str(name))
    text = text.casefold().replace("ё", "е").replace("\u00ad", "")
    text = text.translate(_LATIN_TO_CYRILLIC)
    return _NOT_LETTER.sub("", text)


@lru_cache(maxsize=1)
def region_table() -> pd.DataFrame:
    """The registry as a table, one row per unit (subjects, oblasts, aggregates).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``region_id``; columns ``country`` (``"RU"``/``"KZ"``), ``kind``,
        ``name_ru``, ``name_en``, ``federal_district``, ``aliases`` (``|``-separated), ``note``,
        ``valid_from``, ``valid_to`` (years as text, empty when open-ended). All values are
        strings. Cached: the same object on every call, so do not modify it.

    Examples
    --------
    >>> t = region_table()
    >>> t.loc["RU-OMS", "name_en"]
    'Omsk Oblast'
    """
    files = resources.files("border_readiness.features") / "data"
    frames = []
    for country, fname in (("RU", "regions_ru.csv"), ("KZ", "regions_kz.csv")):
        path = files / fname
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as fh:
            frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
        frame.insert(1, "country", country)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).fillna("")
    for col in ("valid_from", "valid_to", "federal_district", "note"):
        if col not in table:
            table[col] = ""
    return table.set_index("region_id", verify_integrity=True)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table = region_table()
    keys: dict[str, str] = {}

    def add(name: str, rid: str) -> None:
        key = normalize_name(name)
        if not key:
            return
        if keys.get(key, rid) != rid:
            raise RuntimeError(f"registry: name {name!r} maps to both {keys[key]} and {rid}")
        keys[key] = rid

    for rid, row in table.iterrows():
        add(rid, rid)
        add(row["name_ru"], rid)
        add(row["name_en"], rid)
        for alias in filter(None, row["aliases"].split("|")):
            add(alias, rid)
    files = resources.files("border_readiness.features") / "data"
    with (files / "region_aliases.csv").open(encoding="utf-8") as fh:
        extra = pd.read_csv(fh, dtype=str, keep_default_na=False)
    for rid, alias in zip(extra["region_id"], extra["alias"], strict=True):
        if rid not in table.index:
            raise RuntimeError(f"region_aliases.csv: unknown region_id {rid!r}")
        add(alias, rid)
    return keys


def resolve_region(name: str, *, country: str | None = None) -> str:
    """Resolve a region name or id, in any of the variants the sources use, to its id.

    Parameters
    ----------
    name : str
        A name as printed in a source (Russian, English, with footnote marks, homoglyphs,
        known typos or old names) or an id.
    country : {"RU", "KZ"}, optional
        Restrict the match to one country.

    Returns
    -------
    str
        The registry id, e.g. ``"RU-OMS"`` or ``"KZ-55"``.

    Raises
    ------
    UnknownRegionError
        With the closest known names, when nothing matches.

    Examples
    --------
    >>> resolve_region("Омская область")
    'RU-OMS'
    >>> resolve_region("Тюменская область без автономных округов")
    'RU-TYU'
    """
    rid = _lookup().get(normalize_name(name))
    if rid is not None and (country is None or region_table().at[rid, "country"] == country):
        return rid
    raise UnknownRegionError(
        f"unknown region {str(name).strip()!r}; "
        f"closest known: {', '.join(closest_names(name, country))}"
    )


def closest_names(name: str, country: str | None = None, n: int = 3) -> list[str]:
    """The ``n`` registry names closest to ``name`` (for error messages).

    Parameters
    ----------
    name : str
        The name that did not resolve.
    country : {"RU", "KZ"}, optional
        Only consider units of this country.
    n : int, default 3
        How many candidates to return at most.

    Returns
    -------
    list of str
        ``"<Russian name> (<id>)"`` entries, closest first, without repeats.
    """
    table = region_table()
    if country is not None:
        table = table[table["country"] == country]
    candidates: dict[str, str] = {}
    for rid, row in table.iterrows():
        for label in (row["name_ru"], row["name_en"], rid):
            candidates[normalize_name(label)] = f"{row['name_ru']} ({rid})"
    keys = difflib.get_close_matches(normalize_name(name), list(candidates), n=n, cutoff=0.0)
    return list(dict.fromkeys(candidates[k] for k in keys))


def russian_subjects() -> list[str]:
    """Ids of the 85 Russian federal subjects (okrug-free rows for Tyumen and Arkhangelsk).

    Returns
    -------
    list of str
        Registry ids of kind ``subject``, in registry order.
    """
    table = region_table()
    return table.index[(table["country"] == "RU") & (table["kind"] == "subject")].tolist()


@lru_cache(maxsize=1)
def border_facts() -> pd.DataFrame:
    """Geographic facts computed from the polygons in the raw folder (all approximate).

    One row per Russian subject: ``area_km2``, ``centroid_lat/lon``, ``capital_lat/lon``,
    ``border_kz_km`` (length of the shared border with Kazakhstan), ``kz_neighbours`` and
    ``ru_neighbours`` (ids separated by ``|``). Rebuilt by ``border-readiness data build``.

    Returns
    -------
    pandas.DataFrame
        The shipped ``features/data/border_facts.csv``, indexed by ``region_id``, with the
        columns of :func:`border_readiness.features.sources.geometry.border_facts`. Cached.
    """
    files = resources.files("border_readiness.features") / "data"
    with (files / "border_facts.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False).set_index("region_id")
