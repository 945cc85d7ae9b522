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
import tomllib
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import pandas as pd

from border_readiness.errors import UserInputError
from border_readiness.features.sources._cells import strip_footnote

__all__ = [
    "BORDER_REGIONS",
    "UnknownRegionError",
    "border_facts",
    "closest_names",
    "normalize_name",
    "region_table",
    "resolve_region",
    "russian_subjects",
    "spelling_key",
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


def _registry_names() -> list[tuple[str, str]]:
    """Every (name, region id) pair of the registry: ids, Russian and English names, aliases."""
    table = region_table()
    pairs: list[tuple[str, str]] = []
    for rid, row in table.iterrows():
        pairs += [(rid, rid), (row["name_ru"], rid), (row["name_en"], rid)]
        pairs += [(alias, rid) for alias in row["aliases"].split("|") if alias]
    files = resources.files("border_readiness.features") / "data"
    with (files / "region_aliases.csv").open(encoding="utf-8") as fh:
        extra = pd.read_csv(fh, dtype=str, keep_default_na=False)
    for rid, alias in zip(extra["region_id"], extra["alias"], strict=True):
        if rid not in table.index:
            raise RuntimeError(f"region_aliases.csv: unknown region_id {rid!r}")
        pairs.append((alias, rid))
    return pairs


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    keys: dict[str, str] = {}
    for name, rid in _registry_names():
        key = normalize_name(name)
        if not key:
            continue
        if keys.get(key, rid) != rid:
            raise RuntimeError(f"registry: name {name!r} maps to both {keys[key]} and {rid}")
        keys[key] = rid
    return keys


@lru_cache(maxsize=1)
def _name_rules() -> dict:
    files = resources.files("border_readiness.features") / "data"
    with (files / "region_name_rules.toml").open("rb") as fh:
        rules = tomllib.load(fh)
    rules["table"] = str.maketrans(rules["transliteration"])
    rules["ignored"] = frozenset(rules["ignored"]["words"])
    return rules


def spelling_key(name: str) -> str:
    """A name in Latin letters with the romanisation differences folded (rules are data).

    Cyrillic (Russian and Kazakh) is transliterated, accents dropped, and the folds of
    ``features/data/region_name_rules.toml`` applied, so that ``Tyumen``, ``Tjumen`` and
    ``Тюмень`` meet.

    Parameters
    ----------
    name : str
        A name in any script.

    Returns
    -------
    str
        Lower-case Latin words separated by single spaces.

    Examples
    --------
    >>> spelling_key("Тюменская обл.") == spelling_key("Tjumenskaja obl")
    True
    >>> spelling_key("Qostanay") == spelling_key("Kostanay")
    True
    """
    rules = _name_rules()
    text, _ = strip_footnote(str(name))
    text = text.casefold().replace("\u00ad", "").translate(rules["table"])
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    for old, new in rules["folds"].items():
        text = text.replace(old, new)
    return " ".join(re.findall(r"[0-9a-z]+", text))


def _word_key(name: str) -> str:
    """The spelling key with designations made canonical, ignored words dropped, words sorted."""
    rules = _name_rules()
    words = (rules["designations"].get(w, w) for w in spelling_key(name).split())
    return " ".join(sorted(w for w in words if w not in rules["ignored"]))


@lru_cache(maxsize=1)
def _word_lookup() -> dict[str, frozenset[str]]:
    # A name without a designation word ("Kustanai") also matches with its unit's designation
    # ("Kustanai region"), as the unit's English and Russian names spell it.
    canonical = set(_name_rules()["designations"].values())
    table = region_table()
    keys: dict[str, set[str]] = {}
    for name, rid in _registry_names():
        words = _word_key(name).split()
        if not words:
            continue
        keys.setdefault(" ".join(words), set()).add(rid)
        if not canonical.intersection(words) and rid in table.index:
            official = _word_key(table.at[rid, "name_en"]).split()
            designation = [w for w in official if w in canonical]
            if designation:
                keys.setdefault(" ".join(sorted(words + designation)), set()).add(rid)
    # And the bare stem ("Omsk", "Orenburg") matches every unit whose name it is without the
    # designation, so a stem two units share ("Altai": the Republic and the Krai) is ambiguous.
    stems: dict[str, set[str]] = {}
    for key, ids in keys.items():
        stem = " ".join(w for w in key.split() if w not in canonical)
        if stem and stem != key:
            stems.setdefault(stem, set()).update(ids)
    for stem, ids in stems.items():
        keys.setdefault(stem, set()).update(ids)
    for name, ids in _name_rules()["ambiguous"].items():
        keys.setdefault(_word_key(name), set()).update(ids)
    return {k: frozenset(v) for k, v in keys.items()}


def resolve_region(name: str, *, country: str | None = None) -> str:
    """Resolve a region name or id, in any of the variants the sources use, to its id.

    The name is matched as printed (up to case, spacing, footnotes and look-alike letters),
    else in its Latin spelling with the designation words made canonical, so English and
    transliterated names and their variants resolve ("Omsk Region", "Republic of Altai",
    "Orenburgskaya oblast", "Qostanay region").

    Parameters
    ----------
    name : str
        A name as printed in a source (Russian, English, transliterated, with footnote marks,
        homoglyphs, known typos or old names) or an id.
    country : {"RU", "KZ"}, optional
        Restrict the match to one country.

    Returns
    -------
    str
        The registry id, e.g. ``"RU-OMS"`` or ``"KZ-55"``.

    Raises
    ------
    UnknownRegionError
        With the closest known names, when nothing matches (or the name fits two units).

    Examples
    --------
    >>> resolve_region("Омская область")
    'RU-OMS'
    >>> resolve_region("Тюменская область без автономных округов")
    'RU-TYU'
    >>> resolve_region("Republic of Altai"), resolve_region("Orenburgskaya oblast")
    ('RU-AL', 'RU-ORE')
    """
    table = region_table()

    def fits(rid: str) -> bool:
        return country is None or table.at[rid, "country"] == country

    rid = _lookup().get(normalize_name(name))
    if rid is not None and fits(rid):
        return rid
    found = sorted(r for r in _word_lookup().get(_word_key(name), ()) if fits(r))
    if len(found) == 1:
        return found[0]
    what = f"ambiguous region {str(name).strip()!r}" if found else "unknown region"
    if found:
        raise UnknownRegionError(f"{what}: fits {', '.join(found)}; give the id")
    raise UnknownRegionError(
        f"{what} {str(name).strip()!r}; closest known: {', '.join(closest_names(name, country))}"
    )


def _similarity(query: str, candidate: str) -> float:
    """Similarity of two keys; a query that matches the start of a long name counts whole."""
    full = difflib.SequenceMatcher(None, query, candidate).ratio()
    head = difflib.SequenceMatcher(None, query, candidate[: len(query)]).ratio()
    return max(full, 0.95 * head)


def closest_names(
    name: str, country: str | None = None, n: int = 3, *, among: Iterable[str] | None = None
) -> list[str]:
    """The ``n`` registry names closest to ``name`` (for error messages).

    Every name, alias and id of the registry is compared with ``name``, both as printed and
    in its Latin spelling (:func:`spelling_key`), so a misspelling in either script finds a
    name written in the other.

    Parameters
    ----------
    name : str
        The name that did not resolve.
    country : {"RU", "KZ"}, optional
        Only consider units of this country.
    n : int, default 3
        How many candidates to return at most.
    among : iterable of str, optional
        Only consider these region ids (the regions being analysed), not the whole registry.

    Returns
    -------
    list of str
        ``"<name> (<id>)"`` entries, closest first, without repeats; the name is the English
        one for a query in Latin letters, else the Russian one.

    Examples
    --------
    >>> closest_names("Tjumen")[0]
    'Tyumen Oblast (without autonomous okrugs) (RU-TYU)'
    >>> closest_names("Тюмин")[0]
    'Тюменская область без автономных округов (RU-TYU)'
    """
    table = region_table()
    latin = not re.search(r"[а-яёәғқңөұүһі]", str(name).casefold())
    label_col = "name_en" if latin else "name_ru"
    query = (normalize_name(name), spelling_key(name).replace(" ", ""))
    best: dict[str, float] = {}
    allowed = None if among is None else set(among)
    for alias, rid in _registry_names():
        if country is not None and table.at[rid, "country"] != country:
            continue
        if allowed is not None and rid not in allowed:
            continue
        keys = (normalize_name(alias), spelling_key(alias).replace(" ", ""))
        pairs = [(q, k) for q, k in zip(query, keys, strict=True) if q and k]
        score = max((_similarity(q, k) for q, k in pairs), default=0.0)
        best[rid] = max(score, best.get(rid, 0.0))
    ranked = sorted(best, key=lambda r: (-best[r], r))[:n]
    return [f"{table.at[r, label_col]} ({r})" for r in ranked]


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
