"""The region registry: ids, name variants, errors."""

import pytest

from border_readiness.features.regions import (
    BORDER_REGIONS,
    UnknownRegionError,
    normalize_name,
    region_table,
    resolve_region,
    russian_subjects,
)


def test_85_russian_subjects_with_districts():
    subjects = russian_subjects()
    assert len(subjects) == 85
    table = region_table()
    assert set(table.loc[subjects, "federal_district"]) == {
        "RU-FD-CEN",
        "RU-FD-NW",
        "RU-FD-S",
        "RU-FD-NC",
        "RU-FD-VOL",
        "RU-FD-URA",
        "RU-FD-SIB",
        "RU-FD-FE",
    }


def test_border_regions_match_the_domain_brief():
    assert BORDER_REGIONS == (
        "RU-AST",
        "RU-VGG",
        "RU-SAR",
        "RU-SAM",
        "RU-ORE",
        "RU-CHE",
        "RU-KGN",
        "RU-TYU",
        "RU-OMS",
        "RU-NVS",
        "RU-ALT",
        "RU-AL",
    )
    # Federal districts as the domain brief lists them.
    fd = region_table().loc[list(BORDER_REGIONS), "federal_district"].to_dict()
    assert {k for k, v in fd.items() if v == "RU-FD-S"} == {"RU-AST", "RU-VGG"}
    assert {k for k, v in fd.items() if v == "RU-FD-VOL"} == {"RU-SAR", "RU-SAM", "RU-ORE"}
    assert {k for k, v in fd.items() if v == "RU-FD-URA"} == {"RU-CHE", "RU-KGN", "RU-TYU"}
    assert {k for k, v in fd.items() if v == "RU-FD-SIB"} == {"RU-OMS", "RU-NVS", "RU-ALT", "RU-AL"}


@pytest.mark.parametrize(
    ("name", "rid"),
    [
        ("Белгоpодская область", "RU-BEL"),  # Latin p
        ("Республтка Адыгея", "RU-AD"),  # typo in a Rosstat table
        ("Владимировская область", "RU-VLA"),
        ("Республика Северная Осетия -Алания", "RU-SE"),
        ("Республика Северная Осетия_Алания", "RU-SE"),
        ("Ханты-Ман\u00adсийский автономный округ - Югра", "RU-KHM"),  # soft hyphen
        ("Республика Саха(Якутия)", "RU-SA"),
        ("г. Санкт- Петербург", "RU-SPE"),
        ("Камчатская область", "RU-KAM"),  # old name
        ("Сибирский федеральный округ²⁾", "RU-FD-SIB"),
        ("Российская Федерация1)", "RU"),
        ("Омская область", "RU-OMS"),
        ("Omsk Oblast", "RU-OMS"),
        ("RU-OMS", "RU-OMS"),
    ],
)
def test_name_variants_resolve(name, rid):
    assert resolve_region(name) == rid


def test_tyumen_and_arkhangelsk_ids_denote_rows_without_okrugs():
    assert resolve_region("Тюменская область без автономных округов") == "RU-TYU"
    assert resolve_region("Тюменская область (без ХМАО-Югры и ЯНАО)") == "RU-TYU"
    assert resolve_region("Тюменская область") == "RU-TYU-WHOLE"
    assert resolve_region("Архангельская область без автономного округа") == "RU-ARK"
    assert resolve_region("Архангельская область") == "RU-ARK-WHOLE"
    kinds = region_table()["kind"]
    assert kinds["RU-TYU-WHOLE"] == kinds["RU-ARK-WHOLE"] == "subject_with_okrugs"


def test_unknown_name_lists_closest_known():
    with pytest.raises(UnknownRegionError, match="Омская область \\(RU-OMS\\)"):
        resolve_region("Омскя обл")


def test_country_restriction():
    with pytest.raises(UnknownRegionError):
        resolve_region("Омская область", country="KZ")


def test_normalize_ignores_case_punctuation_homoglyphs():
    assert normalize_name("ОМСКАЯ  область") == normalize_name("омская-область")
    assert normalize_name("Aktobe") == normalize_name("Аktоbе")  # Cyrillic А, о, е


def test_no_alias_is_shared_between_units():
    # The registry refuses to load when one name maps to two units; loading it is the check.
    resolve_region("Омская область")
    names = region_table()["name_ru"]
    assert names.is_unique
