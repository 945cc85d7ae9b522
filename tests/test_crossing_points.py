"""Issue 14 item 4: the crossing points are not shipped, and the card and README say so.

No published list of the Russia-Kazakhstan crossing points by Russian region could be read whole
(README, "Crossing points on the border"). These tests keep the card's and README's statement
true: they fail as soon as a crossing-point indicator or data file is added without updating
what the card and README say, or if the card stops saying it.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from border_readiness.experiments.card import build
from border_readiness.features.catalogue import default_catalogue_path, load_catalogue

PROJECT = Path(__file__).resolve().parents[1]
README = PROJECT / "README.md"
MENTIONS_CROSSING = re.compile(r"crossing|пункт\w* пропуска", re.IGNORECASE)


def _crossing_point_indicators() -> list[str]:
    # The rationale may mention crossing points (roads lead to them); what matters is whether an
    # indicator measures them, so only the id, formula, label and unit are read.
    return [
        i.id
        for i in load_catalogue()
        if any(MENTIONS_CROSSING.search(f) for f in (i.id, i.formula, i.label, i.unit))
    ]


def _crossing_point_files() -> list[str]:
    data = default_catalogue_path().parent
    return sorted(p.name for p in data.iterdir() if "crossing" in p.name.lower())


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Crossing points on the border\n")
    end = text.index("\n### ", start + 1)
    return text[start:end]


def test_the_detectors_can_fail():
    # The same pattern must catch an indicator that does count crossing points.
    assert MENTIONS_CROSSING.search("crossing_points_per_100km")
    assert MENTIONS_CROSSING.search("пункты пропуска на 100 км")
    assert not MENTIONS_CROSSING.search("paved_road_density")


def test_no_crossing_point_indicator_or_file_while_the_card_says_none():
    assert "not in the transport level" in build._CROSSING_POINTS_CAVEAT
    assert _crossing_point_indicators() == [], (
        "a crossing-point indicator is in the catalogue: update _CROSSING_POINTS_CAVEAT in "
        "experiments/card/build.py and the README section 'Crossing points on the border'"
    )
    assert _crossing_point_files() == [], (
        "a crossing-point data file is shipped: update the card caveat and the README section"
    )


def test_the_card_lists_the_crossing_points_caveat():
    # build_card_data needs a whole run; its source is read instead, so removing the caveat
    # from the card's caveats list fails here.
    assert "_CROSSING_POINTS_CAVEAT," in inspect.getsource(build.build_card_data)


def test_the_readme_says_not_shipped_and_its_counts_add_up():
    section = _readme_section()
    assert "Not shipped, and not in the model." in section
    # The decree summary's visible names: 17 multilateral + 9 bilateral = 26 of the 30 it
    # announces, 4 not visible. Checked against each other, not against the code.
    visible = re.search(r"(\d+) of the (\d+) names are visible \((\d+) multilateral", section)
    bilateral = re.search(r"(\d+) bilateral in \d+\) and (\d+) are not", section)
    assert visible and bilateral
    shown, total, multi = map(int, visible.groups())
    bi, hidden = map(int, bilateral.groups())
    assert multi + bi == shown and shown + hidden == total == 30
