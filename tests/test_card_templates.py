"""The card from Jinja2 templates, its typed schema and the summary that leads it (issue 15).

Every number of the fixture (tests/card_sample.py) is INVENTED to exercise the renderer.
"""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
from card_sample import PNG, _sample  # tests/card_sample.py: the invented card

from border_readiness.experiments.card import CardData, CardDataError, render_card
from border_readiness.experiments.card._format import _fmt_cell, _fmt_number
from border_readiness.experiments.card._model import card_json_schema

FIGURES = {"rank_intervals": PNG, "embedding": PNG, "profiles": PNG}


@pytest.fixture
def sample() -> dict:
    return _sample()


def _page(sample: dict, figures=FIGURES) -> str:
    files = render_card(CardData.from_dict(sample, figures), ("html",))
    return files["MODEL_CARD.html"].decode()


# --- templates ------------------------------------------------------------------------------


def test_templates_render_deterministically(sample):
    first = render_card(CardData.from_dict(sample, FIGURES))
    again = render_card(CardData.from_dict(copy.deepcopy(sample), dict(FIGURES)))
    assert first == again
    reread = CardData.from_dict(json.loads(first["MODEL_CARD.json"]), FIGURES)
    assert render_card(reread) == first


def test_templates_are_package_data():
    from importlib.resources import files

    folder = files("border_readiness.experiments.card") / "templates"
    names = {p.name for p in folder.iterdir()}
    assert {"card.md.j2", "card.html.j2", "card.css"} <= names


def test_css_is_in_one_place(sample):
    from importlib.resources import files

    css = (files("border_readiness.experiments.card") / "templates" / "card.css").read_text()
    page = _page(sample)
    assert page.count("<style>") == 1 and css.strip() in page
    assert "style=" not in page  # no inline style attributes anywhere else


def test_autoescape_escapes_a_region_name(sample):
    sample["summary"]["headline"][0]["name"] = "<b>Omsk</b>"
    sample["summary"]["agreement"][0]["disagreeing"] = "<b>Omsk</b>"
    page = _page(sample)
    assert "<b>" not in page
    assert page.count("&lt;b&gt;Omsk&lt;/b&gt;") == 2
    md = render_card(CardData.from_dict(sample), ("md",))["MODEL_CARD.md"].decode()
    assert "<b>" not in md and "\\<b\\>Omsk\\</b\\>" in md


def test_backticks_become_code_not_literal(sample):
    sample["caveats_and_recommendations"]["recommendations"].append(
        "Run `border-readiness typology validate` and read `contingency.csv`."
    )
    page = _page(sample)
    assert "`" not in page
    assert "<code>border-readiness typology validate</code>" in page
    md = render_card(CardData.from_dict(sample), ("md",))["MODEL_CARD.md"].decode()
    assert "- Run `border-readiness typology validate` and read `contingency.csv`." in md


# --- schema ---------------------------------------------------------------------------------


def test_schema_file_is_the_exported_schema(sample):
    files = render_card(CardData.from_dict(sample), ("json",))
    assert sorted(files) == ["MODEL_CARD.json", "MODEL_CARD.schema.json"]
    schema = json.loads(files["MODEL_CARD.schema.json"])
    assert schema == json.loads(json.dumps(card_json_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)


def test_json_card_validates_against_its_schema_and_a_broken_one_fails(sample):
    # jsonschema, not pydantic: an independent validator reads the exported file.
    files = render_card(CardData.from_dict(sample), ("json",))
    schema = json.loads(files["MODEL_CARD.schema.json"])
    card = json.loads(files["MODEL_CARD.json"])
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(card)) == []
    broken = [
        ("structure", lambda c: c["metrics"].pop("structure")),  # a required section
        ("pac", lambda c: c["metrics"]["stability"].__setitem__("pac", "high")),
        ("region id", lambda c: c["model_details"]["regions"].append("Omsk")),
        ("unknown", lambda c: c["training_data"].__setitem__("surprise", 1)),
        ("ari", lambda c: c["summary"]["agreement"][0].__setitem__("ari", None)),
        ("empty", lambda c: c["caveats_and_recommendations"].__setitem__("caveats", [])),
        ("interval", lambda c: c["metrics"]["agreement"][0].__setitem__("ari_ci", [0.1])),
    ]
    for what, breaks in broken:
        bad = copy.deepcopy(card)
        breaks(bad)
        assert list(validator.iter_errors(bad)), what


def test_the_typed_model_is_enforced(sample):
    sample["summary"]["headline"][0]["score"] = "high"
    with pytest.raises(CardDataError, match=r"summary\.headline\[0\]\.score"):
        CardData.from_dict(sample)


# --- summary --------------------------------------------------------------------------------


def _h2(text: str) -> list[str]:
    return re.findall(r"<h2 id=\"[^\"]+\">([^<]+)</h2>", text)


def test_summary_is_first_and_complete(sample):
    page = _page(sample)
    assert _h2(page)[0] == "Summary" and _h2(page)[1] == "Model details"
    summary = page[page.index(">Summary</h2>") : page.index("<nav>")]  # above the contents
    # The map (the embedding until a map is drawn), headline scores with rank intervals.
    assert summary.count("<img ") == 1 and "Invented: the 2-D map, PCA, 2021." in summary
    assert '<td>Region 0</td><td class="num">70.0</td><td class="num">1 (1–3)</td>' in summary
    assert '<td>Region 3</td><td class="num">57.2</td><td class="num">4.5 (2–6)</td>' in summary
    # Agreement in words and numbers, with the named disagreeing regions.
    assert (
        "Federal districts: agreement beyond chance: ARI 0.512 (95 % CI 0.210 to 0.780), "
        "permutation p = 0.012. Regions that disagree: Region 2, Region 5." in summary
    )
    assert "Sokolov-Rudneva border stability: no agreement beyond chance: ARI 0.100" in summary
    assert "Cluster 0 (2 regions: Region 0, Region 1): highly stable, mean Jaccard 0.910" in (
        summary
    )
    assert "CIS share of foreign trade (% of foreign trade turnover; 6.2)" in summary
    assert "Only 12 regions (invented caveat)." in summary


def test_summary_shows_the_typology_map_when_there_is_one(sample):
    page = _page(sample, {**FIGURES, "map_typology": PNG})
    summary = page[page.index(">Summary</h2>") : page.index("<nav>")]
    assert 'id="figure-map_typology"' in summary and "figure-embedding" not in summary


def test_every_figure_has_a_caption(sample):
    # consensus and map_expert_districts have no caption in the card: generic ones are used.
    figures = {**FIGURES, "consensus": PNG, "shap_surrogate_cluster_0": PNG}
    figures["map_expert_districts"] = PNG
    page = _page(sample, figures)
    found = re.findall(r'<figure id="figure-([^"]+)"><img [^>]+><figcaption>([^<]+)<', page)
    assert {name for name, _ in found} == set(figures)
    for name, caption in found:
        assert caption.strip() and caption != name.replace("_", " "), name
    md = render_card(CardData.from_dict(sample, figures), ("md",))["MODEL_CARD.md"].decode()
    for name in figures:
        after = md[md.rindex(f"(figures/{name}.png)") :].splitlines()
        assert after[2].startswith("*") and len(after[2]) > 3, name


def test_tables_scroll_in_a_box_not_the_page(sample):
    page = _page(sample)
    assert page.count("<table>") == page.count('<div class="table-wrap">\n<table>') > 5
    assert re.search(r"\.table-wrap \{[^}]*overflow-x: auto", page)


def test_numbers_read_as_numbers():
    # Hand-worked: a whole float drops its decimals, a rank rounds to a half, a score to 0.1.
    assert _fmt_number(8.0) == "8" and _fmt_number(0.5123) == "0.512"
    assert _fmt_cell("rank", 8.0) == "8" and _fmt_cell("rank", 4.5) == "4.5"
    assert _fmt_cell("rank", 4.4) == "4.5" and _fmt_cell("rank", 4.2) == "4"
    assert _fmt_cell("score", 43.47329) == "43.5" and _fmt_cell("score", 50) == "50.0"


def test_no_number_prints_with_three_zero_decimals(sample):
    for name, payload in render_card(CardData.from_dict(sample, FIGURES)).items():
        if name.endswith((".md", ".html")):
            assert not re.search(r"\b\d+\.000\b", payload.decode()), name


def test_figures_in_reading_order():
    from border_readiness.experiments.card._summary import _figure_order

    names = ["shap_surrogate_cluster_0", "zeta", "embedding", "shap_joint_projects", "map_typology"]
    names += ["rank_intervals", "map_scores", "consensus"]
    assert _figure_order(names) == [
        "map_typology",
        "map_scores",
        "rank_intervals",
        "embedding",
        "consensus",
        "shap_joint_projects",
        "shap_surrogate_cluster_0",
        "zeta",
    ]


# --- the data side: drivers and captions from an analysis (hand-made, invented values) -------


def _fake_analysis():
    from types import SimpleNamespace

    import pandas as pd

    shap = pd.DataFrame(
        {
            "region_id": ["RU-OMS", "RU-ORE", "RU-OMS", "RU-ORE", "RU-MOW", "RU-MOW"],
            "target": ["joint_projects"] * 6,
            "feature": ["a", "a", "b", "b", "a", "b"],
            # a: mean |SHAP| over the two border regions (1 + 3) / 2 = 2; b: (4 + 2) / 2 = 3.
            # RU-MOW is not a scored region: its 100s must not count.
            "shap_value": [1.0, -3.0, 4.0, -2.0, 100.0, 100.0],
        }
    )
    catalogue = [
        SimpleNamespace(id="a", label="Indicator A", unit="km, great circle (source)"),
        SimpleNamespace(id="b", label="Indicator B", unit="% of households (Rosstat 17.6.2)"),
    ]
    sur = SimpleNamespace(
        max_depth=2,
        fidelity_loo=0.5,
        shap_values=pd.DataFrame(
            {
                "region_id": ["RU-OMS", "RU-ORE"] * 2,
                "target": ["cluster 0"] * 4,
                "feature": ["a", "a", "b", "b"],
                "shap_value": [0.0, 0.0, 0.25, -0.25],
            }
        ),
    )
    return SimpleNamespace(
        explanation=SimpleNamespace(level_shap=shap, surrogate=sur),
        prep=SimpleNamespace(regions=["RU-OMS", "RU-ORE"], catalogue=catalogue, year=2021),
        run=SimpleNamespace(k=2, method="kmeans", consensus=SimpleNamespace(scheme="ccp")),
        cfg=SimpleNamespace(
            consensus_reps=50,
            score=SimpleNamespace(n_replicates=100, weighting="equal", aggregation="linear"),
        ),
        embedding=None,
        validations={},
    )


def test_drivers_rank_indicators_by_mean_absolute_shap_over_the_scored_regions():
    from border_readiness.experiments.card._summary_data import _drivers

    rows = _drivers(_fake_analysis())
    assert [(r["indicator"], r["mean_abs_shap"]) for r in rows] == [("b", 3.0), ("a", 2.0)]
    assert rows[0]["label"] == "Indicator B" and rows[0]["unit"] == "% of households"
    assert rows[1]["unit"] == "km"


def test_captions_say_year_method_and_the_zero_shap_of_the_surrogate():
    from border_readiness.experiments.card._summary_data import figure_captions

    caps = {r["name"]: r["caption"] for r in figure_captions(_fake_analysis())}
    sur = caps["shap_surrogate_cluster_0"]
    assert "Only the 1 of 2 indicators the tree splits on (b)" in sur
    assert "exactly 0" in sur and "Data year 2021." in sur
    assert "100 Monte Carlo replicates" in caps["rank_intervals"]
    assert "k = 2" in caps["consensus"] and "50" in caps["consensus"]
    assert all("Data year 2021." in c for c in caps.values())


def test_a_card_recorded_before_the_summary_still_renders():
    from pathlib import Path

    committed = Path(__file__).parents[1] / "models" / "border-readiness" / "v1" / "MODEL_CARD.json"
    card = json.loads(committed.read_text(encoding="utf-8"))
    card.pop("summary", None)
    card["quantitative_analyses"].pop("figure_captions", None)
    data = CardData.from_dict(card, {"embedding": PNG})
    page = render_card(data, ("html",))["MODEL_CARD.html"].decode()
    assert _h2(page)[0] == "Summary" and "Not recorded: the card was made before" in page
    # A figure without a recorded caption still gets one that says what it shows.
    assert "<figcaption>2-D map of the regions&#39; indicator profiles" in page
