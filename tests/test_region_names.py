"""Region names in other scripts and spellings (issue 11, deliverable 5)."""

from __future__ import annotations

import pytest

from border_readiness.features.regions import (
    UnknownRegionError,
    closest_names,
    region_table,
    resolve_region,
    spelling_key,
)

# The examples and common variants, with the ids worked out by hand from ISO 3166-2.
NAMES = [
    ("Tyumen Oblast", "RU-TYU"),  # the border unit, without its okrugs
    ("Tyumen Region", "RU-TYU"),
    ("Omsk Region", "RU-OMS"),
    ("Omsk oblast", "RU-OMS"),
    ("Omskaya oblast'", "RU-OMS"),
    ("Republic of Altai", "RU-AL"),
    ("Altai Republic", "RU-AL"),
    ("Respublika Altay", "RU-AL"),
    ("Altai Krai", "RU-ALT"),
    ("Altai Territory", "RU-ALT"),
    ("Altayskiy kray", "RU-ALT"),
    ("Orenburgskaya oblast", "RU-ORE"),
    ("Orenburgskaja oblast", "RU-ORE"),
    ("Orenburg Province", "RU-ORE"),
    ("Оренбургская обл.", "RU-ORE"),
    ("Novosibirsk Region", "RU-NVS"),
    ("Republic of Tatarstan", "RU-TA"),
    ("Kostanay region", "KZ-39"),
    ("Qostanay region", "KZ-39"),
    ("Kustanai region", "KZ-39"),
    ("Kostanayskaya oblast", "KZ-39"),
    ("Qostanay oblysy", "KZ-39"),
    ("Pavlodar oblast", "KZ-55"),
    ("North Kazakhstan Province", "KZ-59"),
    ("Aqtöbe region", "KZ-15"),
]


@pytest.mark.parametrize(("name", "rid"), NAMES)
def test_english_transliterated_and_variant_names_resolve(name, rid):
    assert resolve_region(name) == rid


def test_every_registry_name_resolves_to_its_own_unit():
    table = region_table()
    for rid, row in table.iterrows():
        for name in (rid, row["name_en"], row["name_ru"]):
            assert resolve_region(name) == rid, name


def test_russian_tyumen_oblast_stays_the_whole_oblast():
    # Rosstat prints «Тюменская область» for the oblast with its okrugs; that reading of the
    # sources must not change.
    assert resolve_region("Тюменская область") == "RU-TYU-WHOLE"


def test_a_name_two_units_share_resolves_to_neither():
    with pytest.raises(UnknownRegionError, match=r"ambiguous.*KZ-19, KZ-75"):
        resolve_region("Almaty")


@pytest.mark.parametrize(
    ("name", "rid"),
    [("Omsk", "RU-OMS"), ("Orenburg", "RU-ORE"), ("Kurgan", "RU-KGN"), ("Kostanay", "KZ-39"),
     ("Chelyabinsk", "RU-CHE"), ("Nenets", "RU-NEN")],
)  # fmt: skip
def test_a_bare_stem_resolves_when_one_unit_has_it(name, rid):
    assert resolve_region(name) == rid


def test_a_stem_two_units_share_is_ambiguous_not_the_first_one():
    # "Altai" is both the Altai Republic and Altai Krai: neither may be guessed.
    with pytest.raises(UnknownRegionError, match=r"ambiguous.*RU-AL, RU-ALT"):
        resolve_region("Altai")
    assert resolve_region("Moscow") == "RU-MOW"  # an exact name wins over the oblast's stem


def test_spelling_key_folds_romanisations():
    assert spelling_key("Тюмень") == spelling_key("Tjumen") == spelling_key("Tiumen")
    assert spelling_key("Qostanay") == spelling_key("Kostanai")


def ids(suggestions: list[str]) -> list[str]:
    return [s.rsplit("(", 1)[1].rstrip(")") for s in suggestions]


def test_latin_misspelling_suggests_the_english_name():
    suggestions = closest_names("Tjumenn")
    assert suggestions[0].startswith("Tyumen Oblast") and ids(suggestions)[0] == "RU-TYU"
    with pytest.raises(UnknownRegionError, match=r"closest known: Tyumen Oblast"):
        resolve_region("Tjumenn")
    assert resolve_region("Tjumen") == "RU-TYU"  # a romanisation of the bare stem resolves


def test_cyrillic_misspelling_suggests_the_russian_name():
    suggestions = closest_names("Тюмин")
    assert suggestions[0].startswith("Тюменская") and ids(suggestions)[0] == "RU-TYU"


def test_suggestions_search_the_other_script():
    # "Kustanaiskaja" is a Latin misspelling of the Cyrillic-only alias «Кустанайская»; the
    # Cyrillic «Павлодр» misspells a name whose Latin form is "Pavlodar".
    assert ids(closest_names("Kustanaiskaja obl"))[0] == "KZ-39"
    assert ids(closest_names("Павлодр", country="KZ"))[0] == "KZ-55"
    assert ids(closest_names("Orenburgskja"))[0] == "RU-ORE"
