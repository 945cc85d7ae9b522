"""Tests of the model-card renderer (border_readiness.experiments.card).

Every number in the fixture below is INVENTED to exercise the renderer; none is a result of the
study or of the bundled data.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import re

import pandas as pd
import pytest

from border_readiness.experiments.card import (
    DATASHEET_HEADINGS,
    MITCHELL_HEADINGS,
    PERSON_FIELDS,
    STUDY_CITATION,
    CardData,
    CardDataError,
    normalise_for_comparison,
    parse_formats,
    render_card,
    todo_marks,
)

REGIONS = [
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
]
DISTRICT = {
    "RU-AST": "Southern",
    "RU-VGG": "Southern",
    "RU-SAR": "Volga",
    "RU-SAM": "Volga",
    "RU-ORE": "Volga",
    "RU-CHE": "Ural",
    "RU-KGN": "Ural",
    "RU-TYU": "Ural",
    "RU-OMS": "Siberian",
    "RU-NVS": "Siberian",
    "RU-ALT": "Siberian",
    "RU-AL": "Siberian",
}
LEVELS = ["transport_communication", "joint_projects", "social_services", "overall"]
RUN_ID = "3f2a9c0d4b1e4e0f9a7c6b5d4e3f2a1b"
DIGEST = "9" * 64  # a 64-hex dataset digest: must survive normalisation
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)
MITCHELL = [
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
]
GEBRU = [
    "Motivation",
    "Composition",
    "Collection process",
    "Preprocessing, cleaning and labelling",
    "Uses",
    "Distribution",
    "Maintenance",
]
FILLED = {
    "model_details.licence": "CC BY 4.0",
    "model_details.owner": "Regional economics team <team@example.org>",
    "model_details.reviewed_by": "A. Reviewer, regional economist, 2024-06-01",
    "intended_use.sign_off": "B. Lead, project lead, 2024-06-02",
}


def _sample() -> dict:
    """A realistic card for the 12 border regions (invented numbers, see module docstring)."""
    ranks = []
    for i, region in enumerate(REGIONS):
        for j, level in enumerate(LEVELS):
            low = 1 + (i + j) % 10
            ranks.append(
                {
                    "region": region,
                    "level": level,
                    "rank_low": low,
                    "rank_high": low + 1 + (i * j) % 4,
                    "rank_median": low + 0.5,
                }
            )
    return {
        "model_details": {
            "name": "border-readiness-typology",
            "version": 3,
            "run_id": RUN_ID,
            "created": "2024-05-01T12:34:56+00:00",
            "package_version": "0.1.0",
            "model_type": "k-means (k = 4) on the three readiness level scores",
            "training_year": 2021,
            "regions": REGIONS,
            "citation": STUDY_CITATION,
            "config_summary": {
                "k": 4,
                "method": "kmeans",
                "normalisation": "minmax",
                "seed": 20240501,
                "levels": LEVELS[:3],
            },
            "licence": None,
            "owner": None,
            "reviewed_by": None,
        },
        "intended_use": {
            "primary_uses": [
                "Check an expert typology of the border regions against the data",
                "Compare readiness profiles between data years",
            ],
            "primary_users": ["Regional economists", "Analysts retraining on a new edition"],
            "out_of_scope_uses": [
                "Not a ranking of governance quality",
                "Not for regions outside the 12 border regions",
            ],
            "sign_off": None,
        },
        "factors": {
            "relevant_factors": [
                {
                    "factor": "readiness level",
                    "values": LEVELS,
                    "rationale": "the three levels of the study's model",
                },
                {
                    "factor": "type/cluster",
                    "values": ["0", "1", "2", "3"],
                    "rationale": "results differ by cluster",
                },
                {
                    "factor": "federal district",
                    "values": ["Southern", "Volga", "Ural", "Siberian"],
                    "rationale": "administrative baseline",
                },
            ],
            "evaluation_factors": [
                "Agreement per readiness level and overall",
                "Stability per cluster",
            ],
        },
        "metrics": {
            "agreement": [
                {
                    "typology": "federal districts",
                    "level": "overall",
                    "ari": 0.51234,
                    "ami": 0.4321,
                    "p_value": 0.012,
                    "ari_ci": [0.21, 0.78],
                    "n_regions": 12,
                },
                {
                    "typology": "Sokolov-Rudneva stability",
                    "level": "overall",
                    "ari": 0.1,
                    "ami": None,
                    "p_value": 0.35,
                    "ari_ci": [None, None],
                    "n_regions": 10,
                },
            ],
            "stability": {
                "method": "clusterboot-style bootstrap, B = 100",
                "pac": 0.18,
                "clusters": [
                    {"cluster": 0, "size": 2, "jaccard_mean": 0.91, "verdict": "highly stable"},
                    {"cluster": 1, "size": 4, "jaccard_mean": 0.78, "verdict": "stable"},
                    {"cluster": 2, "size": 3, "jaccard_mean": 0.55, "verdict": "unstable"},
                    {"cluster": 3, "size": 2, "jaccard_mean": 0.45, "verdict": "dissolved"},
                ],
            },
            "internal_indices": {
                "silhouette": 0.41,
                "calinski_harabasz": 18.7,
                "davies_bouldin": 0.83,
            },
            "surrogate_fidelity": [
                {"target": "clusters", "model": "decision tree, depth 2", "loo_fidelity": 0.833}
            ],
            "score_uncertainty": {
                "method": "Monte Carlo over normalisation and weights",
                "interval": "5-95 % of 1000 replicates",
                "ranks": ranks,
            },
        },
        "evaluation_data": {
            "description": "Expert typologies typed in from published sources.",
            "typologies": [
                {"name": "federal districts", "source": "administrative", "n_types": 4},
                {
                    "name": "Sokolov-Rudneva stability",
                    "source": "Institute of Steppe",
                    "n_types": 3,
                },
            ],
        },
        "training_data": {
            "dataset": "bundled regions_long.csv.gz",
            "digest": DIGEST,
            "year": 2021,
            "n_regions": 12,
            "n_indicators": 9,
            "description": ["Rosstat Regions of Russia 2023", "Rosstat GRP file"],
            "indicators": [
                {
                    "indicator": "grp_per_capita",
                    "level": "joint_projects",
                    "unit": "rub",
                    "direction": 1,
                }
            ],
        },
        "quantitative_analyses": {
            "by_type": [
                {"cluster": c, "n_regions": n, "mean_overall_score": s}
                for c, n, s in [(0, 2, 0.61), (1, 4, 0.47), (2, 3, 0.33), (3, 2, 0.12)]
            ],
            "by_level": [
                {"level": lv, "ari": a}
                for lv, a in zip(LEVELS, [0.3, 0.2, 0.4, 0.51234], strict=True)
            ],
            "by_federal_district": [
                {
                    "federal_district": d,
                    "n_regions": sum(v == d for v in DISTRICT.values()),
                    "modal_cluster": m,
                }
                for d, m in [("Southern", 0), ("Volga", 1), ("Ural", 2), ("Siberian", 3)]
            ],
        },
        "ethical_considerations": ["Scores describe statistics, not people or governments."],
        "caveats_and_recommendations": {
            "caveats": ["Only 12 regions: wide intervals, permutation nulls."],
            "recommendations": ["Read the agreement next to its p-value and interval."],
        },
        "datasheet": {
            "motivation": "Operationalise the three-level model of Roy (2022) from official data.",
            "composition": {
                "sources": [{"name": "Rosstat Regions of Russia 2023", "licence": "public"}],
                "tables": [{"source_table": "3.1", "indicator": "income_per_capita"}],
                "coverage": {"regions": 12, "years": "2000-2022"},
                "missingness": [{"indicator": "grp_per_capita", "n_missing": 1}],
                "imputations": [
                    {
                        "region": "RU-AL",
                        "indicator": "grp_per_capita",
                        "method": "federal district median",
                    }
                ],
                "series_breaks": [],
            },
            "collection_process": "Read from the official workbooks by the package's readers.",
            "preprocessing": ["Per-capita denominators", "Winsorisation of outliers"],
            "uses": "Typologies of the border regions.",
            "distribution": "Bundled with the package as derived figures with provenance.",
            "maintenance": "Rebuilt when Rosstat publishes a new edition.",
        },
    }


@pytest.fixture
def sample() -> dict:
    return _sample()


@pytest.fixture
def card(sample) -> CardData:
    return CardData.from_dict(sample, figures={"rank_intervals": PNG, "profiles": PNG})


def _text(files: dict[str, bytes], name: str) -> str:
    return files[name].decode("utf-8")


# --- sections -------------------------------------------------------------------------------


def test_section_headings_are_mitchell_and_gebru():
    assert list(MITCHELL_HEADINGS) == MITCHELL
    assert list(DATASHEET_HEADINGS) == GEBRU


def test_all_headings_present_in_md_and_html(card):
    files = render_card(card)
    md, page = _text(files, "MODEL_CARD.md"), _text(files, "MODEL_CARD.html")
    md_lines = md.splitlines()
    for heading in [*MITCHELL, "Datasheet"]:
        assert f"## {heading}" in md_lines, heading
        assert re.search(rf'<h2 id="[^"]+">{re.escape(html.escape(heading))}</h2>', page), heading
    for heading in GEBRU:
        assert f"### {heading}" in md_lines, heading
        assert re.search(rf'<h3 id="[^"]+">{re.escape(html.escape(heading))}</h3>', page), heading
    # Datasheet after the nine card sections, in the paper's order.
    positions = [md_lines.index(f"## {h}") for h in [*MITCHELL, "Datasheet"]]
    assert positions == sorted(positions)


def test_table_of_contents_links_resolve(card):
    files = render_card(card)
    page = _text(files, "MODEL_CARD.html")
    all_ids = re.findall(r' id="([^"]+)"', page)
    assert len(all_ids) == len(set(all_ids))  # e.g. two "Description" headings
    ids = set(all_ids)
    links = re.findall(r'<a href="#([^"]+)">', page)
    assert len(links) == len(MITCHELL) + 1
    assert set(links) <= ids
    md = _text(files, "MODEL_CARD.md")
    assert "1. [Model details](#model-details)" in md
    assert "10. [Datasheet](#datasheet)" in md


# --- TODO marks -----------------------------------------------------------------------------


def test_todo_marks_exactly_for_missing_person_fields(card):
    files = render_card(card)
    for name in ("MODEL_CARD.md", "MODEL_CARD.html"):
        text = _text(files, name)
        assert sorted(todo_marks(text)) == sorted(PERSON_FIELDS), name
        # No other TODO anywhere (the regex above only sees well-formed marks).
        assert text.count("TODO") == len(PERSON_FIELDS), name
    assert "TODO" not in _text(files, "MODEL_CARD.json")


def test_no_todo_when_person_fields_filled(card):
    filled = card.with_person_fields(FILLED)
    assert filled.missing_person_fields() == ()
    for name, payload in render_card(filled).items():
        if name.endswith(".png"):
            continue
        assert b"TODO" not in payload, name
    md = _text(render_card(filled), "MODEL_CARD.md")
    assert "- **Licence:** CC BY 4.0" in md
    assert "still need a person" not in md


def test_todo_marks_follow_partial_filling(card):
    partial = card.with_person_fields({"model_details.owner": "Team <t@example.org>"})
    md = _text(render_card(partial, ("md",)), "MODEL_CARD.md")
    assert sorted(todo_marks(md)) == sorted(set(PERSON_FIELDS) - {"model_details.owner"})
    assert "3 field(s) still need a person's answer." in md


def test_todo_text_in_automatic_fields_is_rejected(sample):
    sample["caveats_and_recommendations"]["caveats"].append("TODO: write more")
    with pytest.raises(CardDataError, match=r"caveats_and_recommendations\.caveats\[1\].*TODO"):
        CardData.from_dict(sample)


def test_only_person_fields_may_be_none(sample):
    sample["training_data"]["digest"] = None
    with pytest.raises(CardDataError, match=r"training_data\.digest: required"):
        CardData.from_dict(sample)


def test_person_fields_may_be_absent(sample):
    del sample["intended_use"]["sign_off"]
    data = CardData.from_dict(sample)
    assert "intended_use.sign_off" in data.missing_person_fields()


# --- HTML -----------------------------------------------------------------------------------


def test_html_is_self_contained(card):
    page = _text(render_card(card, ("html",)), "MODEL_CARD.html")
    lowered = page.lower()
    for external in (
        'src="http',
        "src='http",
        'href="http',
        "href='http",
        "<link",
        "@import",
        "url(",
        "<script",
    ):
        assert external not in lowered, external
    assert "<style>" in page and "border: 1px solid" in page
    uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(uris) == 2
    assert all(base64.b64decode(u) == PNG for u in uris)


def test_text_is_escaped(sample):
    evil = '<script>alert("x")</script>'
    sample["model_details"]["name"] = evil
    sample["caveats_and_recommendations"]["caveats"].append(evil)
    sample["quantitative_analyses"]["by_type"][0]["note"] = evil
    for row in sample["quantitative_analyses"]["by_type"][1:]:
        row["note"] = "fine"
    files = render_card(CardData.from_dict(sample), ("md", "html"))
    page = _text(files, "MODEL_CARD.html")
    assert "<script" not in page
    assert page.count("&lt;script&gt;") >= 4  # title, h1, caveat, table cell
    md = _text(files, "MODEL_CARD.md")
    assert "<script>" not in md
    assert "\\<script\\>" in md


def test_html_tables_have_borders_and_numbers_align(card):
    page = _text(render_card(card, ("html",)), "MODEL_CARD.html")
    assert "<table>" in page and "<th>ari</th>" in page
    assert '<td class="num">0.512</td>' in page


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_tables_and_number_format(card):
    md = _text(render_card(card, ("md",)), "MODEL_CARD.md")
    # GitHub table: header, separator (numbers right-aligned), rows; 3 decimals.
    assert "| typology | level | ari | ami | p_value | ari_ci | n_regions |" in md
    assert "| --- | --- | ---: | ---: | ---: | --- | ---: |" in md
    assert "| federal districts | overall | 0.512 | 0.432 | 0.012 | [0.210, 0.780] | 12 |" in md
    assert "| Sokolov-Rudneva stability | overall | 0.100 | n/a | 0.350 | n/a | 10 |" in md
    assert "0.51234" not in md
    # Rows keep the input order; districts as given.
    order = [md.index(f"| {d} |") for d in ("Southern", "Volga", "Ural", "Siberian")]
    assert order == sorted(order)


def test_hennig_verdicts_and_rank_widths(card):
    md = _text(render_card(card, ("md",)), "MODEL_CARD.md")
    assert "| 3 | 2 | 0.450 | dissolved |" in md
    assert "- **PAC at the chosen k:** 0.180" in md
    # RU-AST overall: low = 1 + 3 = 4, high = 4 + 1 + 0 = 5 -> width 1.
    assert "| RU-AST | overall | 4 | 5 | 4.500 | 1 |" in md
    assert "| level | regions | median_width | max_width | widest_region |" in md


def test_figures_are_linked_and_returned(card):
    files = render_card(card)
    md = _text(files, "MODEL_CARD.md")
    assert "![rank intervals](figures/rank_intervals.png)" in md
    assert files["figures/rank_intervals.png"] == PNG
    assert list(files) == [
        "MODEL_CARD.md",
        "MODEL_CARD.html",
        "MODEL_CARD.json",
        "figures/profiles.png",
        "figures/rank_intervals.png",
    ]
    # The HTML embeds its figures, so an HTML-only render needs no other file.
    assert list(render_card(card, ("html",))) == ["MODEL_CARD.html"]


# --- JSON and determinism -------------------------------------------------------------------


def test_json_round_trips_and_equals_input(sample, card):
    text = _text(render_card(card, ("json",)), "MODEL_CARD.json")
    loaded = json.loads(text)
    assert loaded == sample
    assert "figures" not in loaded
    assert CardData.from_dict(loaded, figures=card.figures) == card
    assert text == json.dumps(loaded, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_rendering_is_deterministic(sample, card):
    first = render_card(card)
    assert render_card(card) == first
    again = CardData.from_dict(
        copy.deepcopy(sample), figures={"profiles": PNG, "rank_intervals": PNG}
    )
    assert render_card(again) == first
    # Data re-read from the JSON (keys sorted) render to the same bytes.
    reread = CardData.from_dict(json.loads(first["MODEL_CARD.json"]), figures=card.figures)
    assert render_card(reread) == first


def test_dataframes_and_numpy_values_are_accepted(sample):
    frame = pd.DataFrame(sample["metrics"]["stability"]["clusters"]).set_index("cluster")
    frame.loc[3, "jaccard_mean"] = float("nan")
    sample["metrics"]["stability"]["clusters"] = frame
    data = CardData.from_dict(sample)
    rows = data.metrics["stability"]["clusters"]
    assert rows[0] == {"cluster": 0, "size": 2, "jaccard_mean": 0.91, "verdict": "highly stable"}
    assert type(rows[0]["size"]) is int and rows[3]["jaccard_mean"] is None
    assert "| 3 | 2 | n/a | dissolved |" in _text(render_card(data, ("md",)), "MODEL_CARD.md")


# --- normalisation --------------------------------------------------------------------------


def _variant(sample: dict, **details) -> CardData:
    data = copy.deepcopy(sample)
    data["model_details"].update(details)
    return data


def test_normalise_removes_run_id_timestamp_and_version(sample):
    other = _variant(
        sample,
        run_id="0123456789abcdef0123456789abcdef",
        created="2025-02-03T04:05:06.789Z",
        version=4,
    )
    for name in ("MODEL_CARD.md", "MODEL_CARD.html", "MODEL_CARD.json"):
        a = _text(render_card(CardData.from_dict(sample)), name)
        b = _text(render_card(CardData.from_dict(other)), name)
        assert a != b
        na, nb = normalise_for_comparison(a), normalise_for_comparison(b)
        assert na == nb, name
        assert RUN_ID not in na and "2024-05-01T12:34:56" not in na
        assert DIGEST in na  # a data digest is not a run id
        assert "2000-2022" in na  # bare dates and year ranges are kept


def test_normalise_keeps_a_changed_metric(sample):
    changed = copy.deepcopy(sample)
    changed["metrics"]["agreement"][0]["ari"] = 0.47
    changed["model_details"]["run_id"] = "f" * 32
    for name in ("MODEL_CARD.md", "MODEL_CARD.html", "MODEL_CARD.json"):
        a = normalise_for_comparison(_text(render_card(CardData.from_dict(sample)), name))
        b = normalise_for_comparison(_text(render_card(CardData.from_dict(changed)), name))
        assert a != b, name


def test_normalise_patterns():
    text = (
        "run 0123456789abcdef0123456789abcdef, 2024-05-01 12:00, Version 12, "
        '"version": 3, "package_version": "0.1.0", x' + "a" * 32 + ", 2024-05-01"
    )
    assert normalise_for_comparison(text) == (
        'run <run-id>, <timestamp>, Version <n>, "version": <n>, "package_version": "0.1.0", x'
        + "a" * 32
        + ", 2024-05-01"
    )


# --- formats and validation -----------------------------------------------------------------


def test_parse_formats():
    assert parse_formats("md,html") == ("md", "html")
    assert parse_formats(" JSON , md, md ") == ("md", "json")
    with pytest.raises(ValueError, match=r"unknown card format 'pdf'") as err:
        parse_formats("md,pdf")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="no card format"):
        parse_formats(" , ")


def test_render_card_rejects_unknown_format(card):
    with pytest.raises(ValueError, match="'docx'"):
        render_card(card, ("md", "docx"))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("model_details", "regions"), ["RU-AST", "Astrakhan"], r"regions\[1\].*ISO 3166-2"),
        (("model_details", "created"), "2024-05-01", r"created.*date \*and time\*"),
        (("model_details", "created"), "yesterday", r"created.*ISO 8601"),
        (("metrics", "agreement"), [], r"agreement: expected at least 1 row"),
        (("model_details", "ownr"), "x", r"unknown field 'ownr'"),
        (("metrics", "internal_indices"), {"silhouette": float("inf")}, r"finite"),
    ],
)
def test_validation_errors_name_the_field(sample, path, value, message):
    sample[path[0]][path[1]] = value
    with pytest.raises(CardDataError, match=message) as err:
        CardData.from_dict(sample)
    assert "\n" not in str(err.value)


def test_validation_of_records_and_figures(sample):
    bad = copy.deepcopy(sample)
    bad["metrics"]["agreement"][1].pop("ami")
    with pytest.raises(CardDataError, match=r"agreement\[1\]: missing column\(s\) ami"):
        CardData.from_dict(bad)
    bad = copy.deepcopy(sample)
    bad["quantitative_analyses"]["by_level"][2]["extra"] = 1
    with pytest.raises(CardDataError, match=r"by_level\[2\]: columns differ"):
        CardData.from_dict(bad)
    bad = copy.deepcopy(sample)
    bad["metrics"]["agreement"][0]["ari_ci"] = [0.9, 0.1]
    with pytest.raises(CardDataError, match="low <= high"):
        CardData.from_dict(bad)
    bad = copy.deepcopy(sample)
    bad["metrics"]["score_uncertainty"]["ranks"][5]["rank_low"] = 12
    with pytest.raises(CardDataError, match=r"ranks\[5\]: expected rank_low <= rank_high"):
        CardData.from_dict(bad)
    with pytest.raises(CardDataError, match="PNG bytes"):
        CardData.from_dict(sample, figures={"x": b"GIF89a"})
    with pytest.raises(CardDataError, match="file names"):
        CardData.from_dict(sample, figures={"../x": PNG})
    with pytest.raises(CardDataError, match="not a person field"):
        CardData.from_dict(sample).with_person_fields({"training_data.digest": "x"})
