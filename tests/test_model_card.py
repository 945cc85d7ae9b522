"""Tests of the model-card renderer (border_readiness.experiments.card).

Every number in the fixture (tests/card_sample.py) is INVENTED to exercise the renderer; none is
a result of the study or of the bundled data.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import re

import pandas as pd
import pytest
from card_sample import (  # tests/card_sample.py: the invented card
    DIGEST,
    FILLED,
    GEBRU,
    MITCHELL,
    PNG,
    RUN_ID,
    _sample,
)

from border_readiness.experiments.card import (
    DATASHEET_HEADINGS,
    MITCHELL_HEADINGS,
    PERSON_FIELDS,
    CardData,
    CardDataError,
    normalise_for_comparison,
    parse_formats,
    render_card,
    todo_marks,
)


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
    assert len(links) == len(MITCHELL) + 2  # the summary, the nine sections, the datasheet
    assert set(links) <= ids
    md = _text(files, "MODEL_CARD.md")
    assert "1. [Summary](#summary)" in md
    assert "2. [Model details](#model-details)" in md
    assert "11. [Datasheet](#datasheet)" in md


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
    # The median rank 4.5 prints as a half, not 4.500 (issue 15).
    assert "| RU-AST | overall | 4 | 5 | 4.5 | 1 |" in md
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
        "MODEL_CARD.schema.json",
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
        (("factors", "relevant_factors"), [], r"relevant_factors: expected at least 1 row"),
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


def test_own_profiles_stand_apart_from_expert_typologies(sample):
    # The package's own profiles are made from the same indicators: the card shows them under
    # internal consistency, never in the table of agreement with expert typologies.
    text = _text(render_card(CardData.from_dict(sample, {}), ("md",)), "MODEL_CARD.md")
    experts = text.index("Agreement with expert typologies")
    own = text.index("Internal consistency with the package's own profiles (not a validation)")
    expert_table = text[experts:own]
    assert "federal districts" in expert_table and "own readiness profiles" not in expert_table
    assert "own readiness profiles" in text[own:]
    # a card stored before the table existed still loads, with an empty table
    del sample["metrics"]["internal_consistency"]
    assert CardData.from_dict(sample, {}).metrics["internal_consistency"] == []
