"""Typology files: the format, its one-line errors, and the shipped typologies."""

import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from border_readiness.clustering.typologies import (
    Typology,
    TypologyError,
    check_typology,
    load_typology,
    shipped_typologies,
)
from border_readiness.features.regions import BORDER_REGIONS, region_table

SHIPPED = {
    "sokolov_rudneva_border_stability",
    "federal_districts",
    "roy_2022_three_levels_template",
    "border_readiness_profiles_2021",
}

# docs/domain.md, "Expert typologies with published region assignments", item 1, region by
# region: most stable = parts of Astrakhan, Volgograd, Saratov, Orenburg; least stable =
# Chelyabinsk, Kurgan, Tyumen, Omsk, Novosibirsk; geometric = parts of Astrakhan, Volgograd,
# Orenburg, and Altai Krai; intermediate: regions not listed; Samara, Altai Republic: not
# mentioned.
SOKOLOV_RUDNEVA = {
    "RU-AST": {"most_stable", "geometric"},
    "RU-VGG": {"most_stable", "geometric"},
    "RU-SAR": {"most_stable"},
    "RU-ORE": {"most_stable", "geometric"},
    "RU-CHE": {"least_stable"},
    "RU-KGN": {"least_stable"},
    "RU-TYU": {"least_stable"},
    "RU-OMS": {"least_stable"},
    "RU-NVS": {"least_stable"},
    "RU-ALT": {"geometric"},
}

# docs/domain.md, item 3.
FEDERAL_DISTRICTS = {
    "southern": {"RU-AST", "RU-VGG"},
    "volga": {"RU-SAR", "RU-SAM", "RU-ORE"},
    "ural": {"RU-CHE", "RU-KGN", "RU-TYU"},
    "siberian": {"RU-OMS", "RU-NVS", "RU-ALT", "RU-AL"},
}

HEADER = """\
name = "test_typology"
title = "A test typology"
citation = "Nobody (no year), hand-made for the tests."
classifies = "regions"
confidence = "low"
confidence_note = "made up for a test"
"""
TYPES = """
[[types]]
id = "west"
name = "West"

[[types]]
id = "east"
name = "East"
"""


def write_toml(tmp_path: Path, assignments: str, *, header: str = HEADER, types: str = TYPES):
    path = tmp_path / "test_typology.toml"
    path.write_text(f"{header}{types}\n[assignments]\n{assignments}", encoding="utf-8")
    return path


def write_csv(tmp_path: Path, text: str, name: str = "my_typology.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load_error(path: Path) -> str:
    with pytest.raises(TypologyError) as info:
        load_typology(path)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    assert path.name in message, "errors name the file"
    return message


# -- the shipped files ------------------------------------------------------------------------


def test_shipped_files_are_listed_and_installed_as_package_data():
    assert set(shipped_typologies()) == SHIPPED
    folder = resources.files("border_readiness.clustering") / "typologies"
    assert (folder / "README.md").is_file()
    for path in shipped_typologies().values():
        assert path.is_file()
        assert path.parent.name == "typologies"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_file_loads_and_checks(name):
    path = shipped_typologies()[name]
    typology = load_typology(path)
    assert typology.name == name == path.stem
    assert typology.citation and typology.confidence_note
    check = check_typology(path)
    assert check.ok, check.messages
    assert check.n_types == len(typology.types)
    assert check.n_regions == len(typology.assignments)
    assert set(typology.assignments) <= set(BORDER_REGIONS)
    json.dumps(typology.to_dict())  # exportable


def test_sokolov_rudneva_equals_the_domain_brief_exactly():
    t = load_typology(shipped_typologies()["sokolov_rudneva_border_stability"])
    assert {rid: set(types) for rid, types in t.assignments.items()} == SOKOLOV_RUDNEVA
    assert t.classifies == "border_segments"
    assert list(t.types) == ["most_stable", "least_stable", "geometric", "intermediate"]
    assert t.unassigned() == ["RU-SAM", "RU-AL"]
    assert "Samara" in t.unassigned_note and "Altai Republic" in t.unassigned_note
    assert t.confidence == "medium"
    assert "A. A. Sokolov" in t.citation and "O. S. Rudneva" in t.citation
    assert "Institute of Steppe" in t.citation and "Orenburg" in t.citation
    # The brief gives no journal or year: none may appear in the citation.
    assert not re.search(r"\b(19|20)\d\d\b", t.citation)
    assert any("not published per region" in note for note in t.notes)


def test_sokolov_rudneva_multi_type_regions_and_empty_intermediate():
    t = load_typology(shipped_typologies()["sokolov_rudneva_border_stability"])
    multi = [rid for rid, types in t.assignments.items() if len(types) > 1]
    assert multi == ["RU-AST", "RU-VGG", "RU-ORE"]
    used = {tid for types in t.assignments.values() for tid in types}
    assert "intermediate" not in used
    check = check_typology(shipped_typologies()["sokolov_rudneva_border_stability"])
    assert "types with no regions: intermediate" in check.messages
    assert any("RU-SAM" in m and "RU-AL" in m for m in check.messages)


def test_federal_districts_agree_with_the_registry():
    t = load_typology(shipped_typologies()["federal_districts"])
    by_type = {tid: {r for r, ts in t.assignments.items() if tid in ts} for tid in t.types}
    assert by_type == FEDERAL_DISTRICTS
    registry_ids = {"southern": "RU-FD-S", "volga": "RU-FD-VOL", "ural": "RU-FD-URA",
                    "siberian": "RU-FD-SIB"}  # fmt: skip
    districts = region_table()["federal_district"]
    for rid in BORDER_REGIONS:
        assert registry_ids[t.as_series()[rid]] == districts[rid], rid
    assert t.classifies == "regions" and t.confidence == "high"


def test_roy_template_is_blank_and_explains_how_to_fill():
    path = shipped_typologies()["roy_2022_three_levels_template"]
    t = load_typology(path)
    assert t.template is True
    assert t.assignments == {} and t.regions == ()
    assert list(t.types) == ["transport_communication", "joint_projects", "social_services"]
    assert "10.15826/recon.2022.8.4.028" in t.citation and "R-Economy 8(4)" in t.citation
    assert any("not available" in note for note in t.notes)
    check = check_typology(path)
    assert check.ok and check.n_regions == 0
    steps = check.how_to_fill
    for needed in ("[assignments]", "Set `template = false`", "confidence",
                   "border-readiness typology validate FILE", "Омская область"):  # fmt: skip
        assert needed in steps, needed
    assert all(f'"{rid}"' in steps for rid in BORDER_REGIONS)
    assert re.search(r"1\..*2\..*3\..*4\..*5\..*6\.", steps, flags=re.S)


def test_roy_template_filled_in_as_the_steps_say_validates(tmp_path):
    text = shipped_typologies()["roy_2022_three_levels_template"].read_text(encoding="utf-8")
    text = text.replace('name = "roy_2022_three_levels_template"', 'name = "roy_2022_filled"')
    text = text.replace("template = true", "template = false")
    text = text.replace('confidence = "low"', 'confidence = "high"')
    text += '"Омская область" = "joint_projects"\n"RU-ALT" = "transport_communication"\n'
    path = tmp_path / "roy_2022_filled.toml"
    path.write_text(text, encoding="utf-8")
    t = load_typology(path)
    assert t.assignments == {"RU-OMS": ("joint_projects",), "RU-ALT": ("transport_communication",)}
    check = check_typology(path)
    assert check.ok and check.how_to_fill == ""
    assert any("2 of 12 border regions assigned" in m for m in check.messages)


def test_profiles_file_is_labelled_as_the_packages_own():
    t = load_typology(shipped_typologies()["border_readiness_profiles_2021"])
    with open(resources.files("border_readiness.features") / "data" / "profiles.toml", "rb") as fh:
        rules = tomllib.load(fh)["type"]
    assert [(tid, info.name) for tid, info in t.types.items()] == [
        (r["name"], r["label"]) for r in rules
    ]
    assert "border-readiness" in t.title and "not an expert" in t.title
    assert "score" in t.citation and "2021" in t.citation
    assert any("Regenerated by re-running score" in note for note in t.notes)
    assert set(t.assignments) == set(BORDER_REGIONS)


def test_profiles_file_matches_a_fresh_score_run():
    # About 2 s (200 replicates suffice: profile types depend on the point scores only).
    from border_readiness.features.dataset import load_dataset
    from border_readiness.features.indicators import compile_indicators, national_reference
    from border_readiness.features.scoring import ScoreConfig, score_regions

    d = load_dataset()
    profiles = score_regions(
        compile_indicators(d, year=2021),
        list(BORDER_REGIONS),
        reference=national_reference(d, year=2021),
        config=ScoreConfig(n_replicates=200, sobol_n=16),
    ).profiles
    fresh = dict(zip(profiles["region_id"], profiles["profile_type"], strict=True))
    shipped = load_typology(shipped_typologies()["border_readiness_profiles_2021"])
    assert shipped.as_series().to_dict() == fresh, (
        "border_readiness_profiles_2021.toml is out of date: re-run "
        "`border-readiness score --year 2021 --out DIR` and copy profiles.csv into it"
    )


# -- the API -----------------------------------------------------------------------------------


def test_as_series_modes_and_exports():
    t = load_typology(shipped_typologies()["sokolov_rudneva_border_stability"])
    s = t.as_series()
    assert s.index.name == "region_id" and s.name == t.name
    assert s["RU-ORE"] == ("most_stable", "geometric") and s["RU-KGN"] == "least_stable"
    assert t.as_series(multi="first")["RU-ORE"] == "most_stable"
    with pytest.raises(ValueError, match="multi='both'"):
        t.as_series(multi="both")
    frame = t.to_frame()
    assert len(frame) == 13 and list(frame.columns) == ["region_id", "type", "type_name"]
    d = t.to_dict()
    assert d["assignments"]["RU-AST"] == ["most_stable", "geometric"]
    assert [x["id"] for x in d["types"]] == list(t.types)


def test_typology_is_frozen():
    t = load_typology(shipped_typologies()["federal_districts"])
    with pytest.raises(AttributeError):
        t.name = "other"  # type: ignore[misc]
    assert isinstance(t, Typology)


def test_csv_with_russian_names_resolves(tmp_path):
    path = write_csv(
        tmp_path,
        "region_id,type\nОмская область,east\nАстраханская область,west\n"
        "Тюменская область без автономных округов,east\nAltai Krai,east\n",
    )
    t = load_typology(path)
    assert t.assignments == {
        "RU-OMS": ("east",),
        "RU-AST": ("west",),
        "RU-TYU": ("east",),
        "RU-ALT": ("east",),
    }
    assert t.name == "my_typology" and t.title == "my_typology"
    assert t.classifies == "regions" and t.confidence == "low" and t.citation == ""
    assert list(t.types) == ["east", "west"]


def test_csv_several_rows_for_one_region_make_border_segments(tmp_path):
    path = write_csv(tmp_path, "region_id,type\nRU-AST,stable\nRU-AST,geometric\nRU-OMS,x\n")
    t = load_typology(path)
    assert t.classifies == "border_segments"
    assert t.assignments["RU-AST"] == ("stable", "geometric")


def test_csv_semicolons_and_bom_are_accepted(tmp_path):
    path = write_csv(tmp_path, "\ufeffregion_id;type\r\nRU-OMS;east\r\n")
    assert load_typology(path).assignments == {"RU-OMS": ("east",)}


def test_check_points_out_the_whole_tyumen_oblast(tmp_path):
    path = write_csv(tmp_path, "region_id,type\nТюменская область,east\n")
    assert load_typology(path).regions == ("RU-TYU-WHOLE",)
    check = check_typology(path)
    assert check.ok and any("RU-TYU (without them)" in m for m in check.messages)


def test_check_reports_a_bad_file_without_raising(tmp_path):
    path = write_toml(tmp_path, '"RU-OMS" = "north"\n')
    check = check_typology(path)
    assert not check.ok and check.n_regions == 0
    assert len(check.messages) == 1 and "'north' is not declared" in check.messages[0]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(st.sampled_from(BORDER_REGIONS), st.sampled_from(["west", "east"]), min_size=1)
)
def test_toml_round_trip(tmp_path, assignments):
    body = "".join(f'"{rid}" = "{tid}"\n' for rid, tid in assignments.items())
    t = load_typology(write_toml(tmp_path, body))
    assert t.assignments == {rid: (tid,) for rid, tid in assignments.items()}
    assert t.as_series().to_dict() == assignments


# -- one test per error ------------------------------------------------------------------------


def test_error_unknown_region_lists_closest_names(tmp_path):
    message = load_error(write_toml(tmp_path, '"Омская облась" = "east"\n'))
    assert "[assignments] 'Омская облась'" in message
    assert "unknown region" in message and "closest known: Омская область (RU-OMS)" in message
    message = load_error(write_csv(tmp_path, "region_id,type\nRU-OMS,east\nОмскк,east\n"))
    assert "line 3" in message and "closest known:" in message and "RU-OMS" in message


def test_error_empty_type(tmp_path):
    message = load_error(write_toml(tmp_path, '"RU-OMS" = ""\n'))
    assert "'RU-OMS'" in message and "empty type" in message
    message = load_error(write_csv(tmp_path, "region_id,type\nRU-OMS,east\nRU-AST, \n"))
    assert "line 3 (RU-AST): empty type" in message


def test_error_type_not_declared(tmp_path):
    message = load_error(write_toml(tmp_path, '"RU-OMS" = "eats"\n'))
    assert "type 'eats' is not declared in [[types]]" in message
    assert "did you mean 'east'" in message and "declared: west, east" in message


def test_error_duplicate_assignment_in_csv(tmp_path):
    message = load_error(
        write_csv(tmp_path, "region_id,type\nRU-OMS,east\nRU-AST,west\nОмская область,east\n")
    )
    assert "line 4: duplicate assignment: RU-OMS = 'east' already on line 2" in message


def test_error_duplicate_key_in_toml(tmp_path):
    path = write_toml(tmp_path, '"RU-OMS" = "east"\n"RU-AST" = "west"\n"RU-OMS" = "west"\n')
    message = load_error(path)
    first = HEADER.count("\n") + TYPES.count("\n") + 3  # header, types, blank, [assignments]
    assert f"line {first + 2}: duplicate key 'RU-OMS' in [assignments]" in message
    assert f"(first at line {first})" in message
    assert "a region may appear only once" in message


def test_error_one_region_under_two_spellings_in_toml(tmp_path):
    message = load_error(write_toml(tmp_path, '"RU-OMS" = "east"\n"Омская область" = "west"\n'))
    assert "duplicate assignment: region RU-OMS is already given by 'RU-OMS'" in message


def test_error_assignments_table_declared_twice(tmp_path):
    path = write_toml(tmp_path, '"RU-OMS" = "east"\n[assignments]\n"RU-AST" = "west"\n')
    assert "[assignments] declared twice" in load_error(path)


def test_error_unknown_field(tmp_path):
    path = write_toml(tmp_path, '"RU-OMS" = "east"\n', header=HEADER + "year = 2022\n")
    message = load_error(path)
    assert "unknown field 'year'" in message and "expected name, title" in message
    types = TYPES + 'desc = "typo"\n'
    message = load_error(write_toml(tmp_path, '"RU-OMS" = "east"\n', types=types))
    assert "[[types]] #2 (id 'east'): unknown field 'desc'" in message
    assert "did you mean 'description'" in message


@pytest.mark.parametrize(
    "field", ["name", "title", "citation", "classifies", "confidence", "confidence_note"]
)
def test_error_missing_field(tmp_path, field):
    header = "".join(line + "\n" for line in HEADER.splitlines() if not line.startswith(field))
    message = load_error(write_toml(tmp_path, '"RU-OMS" = "east"\n', header=header))
    assert f"missing required field {field!r}" in message


def test_error_missing_types_or_type_id(tmp_path):
    assert "missing required field 'types'" in load_error(
        write_toml(tmp_path, '"RU-OMS" = "east"\n', types="")
    )
    types = TYPES.replace('id = "east"\n', "")
    assert "[[types]] #2: missing required field 'id'" in load_error(
        write_toml(tmp_path, '"RU-OMS" = "east"\n', types=types)
    )


def test_error_several_types_in_a_regions_typology(tmp_path):
    message = load_error(write_toml(tmp_path, '"RU-AST" = ["west", "east"]\n'))
    assert "2 types ['west', 'east'] but classifies = \"regions\"" in message
    assert "border_segments" in message
    ok = HEADER.replace('"regions"', '"border_segments"')
    t = load_typology(write_toml(tmp_path, '"RU-AST" = ["west", "east"]\n', header=ok))
    assert t.assignments["RU-AST"] == ("west", "east")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('classifies = "regions"', 'classifies = "segments"', "classifies = 'segments': expected"),
        ('confidence = "low"', 'confidence = "certain"', "confidence = 'certain': expected one"),
        ('name = "test_typology"', 'name = "Test Typology"', "expected an id of lowercase"),
    ],
)
def test_error_bad_values(tmp_path, old, new, expected):
    message = load_error(
        write_toml(tmp_path, '"RU-OMS" = "east"\n', header=HEADER.replace(old, new))
    )
    assert expected in message


def test_error_cp1251_csv(tmp_path):
    path = write_csv(tmp_path, "region_id,type\nОмская область,east\n", encoding="cp1251")
    message = load_error(path)
    assert "cp1251" in message and "expected UTF-8" in message


@pytest.mark.parametrize("name", ["empty.toml", "empty.csv"])
def test_error_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_text("  \n", encoding="utf-8")
    assert "empty file" in load_error(path)


def test_error_toml_with_only_comments_is_empty(tmp_path):
    path = tmp_path / "comments.toml"
    path.write_text("# nothing here yet\n", encoding="utf-8")
    assert "empty file" in load_error(path)


def test_error_assignments_in_a_template(tmp_path):
    header = HEADER + "template = true\n"
    message = load_error(write_toml(tmp_path, '"RU-OMS" = "east"\n', header=header))
    assert "template = true but [assignments] has 1 entries" in message


def test_error_no_assignments_outside_a_template(tmp_path):
    assert "no [assignments]" in load_error(write_toml(tmp_path, ""))


def test_error_csv_header(tmp_path):
    assert "line 1: no header; expected the header region_id,type" in load_error(
        write_csv(tmp_path, "RU-OMS,east\nRU-AST,west\n")
    )
    assert "columns region,class; expected the header region_id,type" in load_error(
        write_csv(tmp_path, "region,class\nRU-OMS,east\n")
    )
    assert "header only" in load_error(write_csv(tmp_path, "region_id,type\n"))


def test_error_aggregate_is_not_a_region(tmp_path):
    message = load_error(write_csv(tmp_path, "region_id,type\nСибирский федеральный округ,x\n"))
    assert "RU-FD-SIB, an aggregate (federal_district)" in message


def test_error_invalid_toml_and_missing_file(tmp_path):
    assert "not valid TOML" in load_error(write_toml(tmp_path, '"RU-OMS" = \n'))
    assert "file not found" in load_error(tmp_path / "absent.toml")
    assert "expected a .toml" in load_error(write_csv(tmp_path, "x", name="types.txt"))


# -- hygiene -----------------------------------------------------------------------------------


def test_import_does_not_pull_mlflow():
    code = "import sys, border_readiness.clustering.typologies; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_origin_marks_the_packages_own_profiles_apart():
    # Only the package's own profile typology is "own"; every published one is "expert".
    origins = {name: load_typology(path).origin for name, path in shipped_typologies().items()}
    assert origins.pop("border_readiness_profiles_2021") == "own"
    assert set(origins.values()) == {"expert"}


def test_error_unknown_origin(tmp_path):
    message = load_error(
        write_toml(tmp_path, '"RU-OMS" = "east"\n', header=HEADER + 'origin = "mine"\n')
    )
    assert "origin = 'mine'" in message and "expert, own" in message
