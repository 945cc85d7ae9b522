"""Region names in the outputs, typologies by name, and any set of regions (issue 11)."""

from __future__ import annotations

import pandas as pd
import pytest

from border_readiness.experiments.cli import main

FAST = ["--bootstrap", "20", "--consensus-reps", "20", "--quiet"]
SMALL = "[score]\nn_replicates = 200\nsobol_n = 16\n"

# English names of a few border regions, written out by hand (not read from the registry).
HAND_NAMES = {"RU-OMS": "Omsk Oblast", "RU-AL": "Altai Republic", "RU-ALT": "Altai Krai"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    config = root / "small.toml"
    config.write_text(SMALL, encoding="utf-8")
    common = ["--config", str(config), *FAST]
    assert main(["score", "--out", str(root / "score"), "--config", str(config), "--quiet"]) == 0
    for command in (["cluster"], ["typology", "validate", "federal_districts"]):
        assert main([*command, "--out", str(root / command[-1]), *common]) == 0
    assert main(["explain", "--out", str(root / "explain"), *common]) == 0
    return root


def test_every_csv_with_region_id_has_region_name_right_after_it(outputs):
    tables = sorted(outputs.rglob("*.csv"))
    with_ids = 0
    for path in tables:
        frame = pd.read_csv(path, keep_default_na=False)
        if "region_id" not in frame.columns:
            continue
        with_ids += 1
        cols = list(frame.columns)
        assert cols[cols.index("region_id") + 1] == "region_name", path
        named = dict(zip(frame["region_id"], frame["region_name"], strict=True))
        for rid, name in HAND_NAMES.items():
            if rid in named:
                assert named[rid] == name, path
        assert all(named.values()), f"{path}: a region without a name"
    # score, cluster, validate and explain each write several such tables.
    assert with_ids >= 15
    for folder in ("score", "cluster", "federal_districts", "explain"):
        assert any(p.parent.name == folder for p in tables), folder
