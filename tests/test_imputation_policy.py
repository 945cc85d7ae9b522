"""Imputation is visible and limited: counts per indicator and method, and the policy."""

import pandas as pd
import pytest

from border_readiness.experiments.cli import main
from border_readiness.features.dataset import load_dataset
from border_readiness.features.imputation_policy import (
    ImputationPolicyError,
    check_indicator_share,
    imputation_counts,
    indicator_shares,
)
from border_readiness.features.regions import BORDER_REGIONS

# Synthetic log (test data, not statistics): x is gap-filled in 3 of 4 regions, y in 1, and
# z is a structural zero everywhere (a published '-', never limited).
LOG = pd.DataFrame(
    {
        "region_id": ["A", "B", "C", "D", "A", "B", "C", "D"],
        "indicator": ["x", "x", "x", "y", "z", "z", "z", "z"],
        "method": ["carried forward from 2021", "carried forward from 2021",
                   "median of RU-FD-SIB subjects", "carried forward from 2020"]
        + ["structural zero (source: '-', no such phenomenon)"] * 4,
    }
)  # fmt: skip
REGIONS = ["A", "B", "C", "D"]


def test_shares_count_regions_per_indicator_and_skip_structural_zeros():
    assert indicator_shares(LOG, REGIONS).to_dict() == {"x": 0.75, "y": 0.25}
    assert indicator_shares(LOG, ["A", "B"]).to_dict() == {"x": 1.0}


def test_counts_are_per_indicator_and_method():
    got = {(r.indicator, r.method): r.cells for r in imputation_counts(LOG, REGIONS).itertuples()}
    assert got[("x", "carried forward from 2021")] == 2
    assert got[("x", "median of RU-FD-SIB subjects")] == 1
    assert got[("z", "structural zero (source: '-', no such phenomenon)")] == 4
    assert sum(got.values()) == len(LOG)


def test_the_limit_refuses_above_and_admits_at_or_below():
    check_indicator_share(LOG, REGIONS, 0.75)  # exactly at the limit: admitted
    with pytest.raises(ImputationPolicyError) as err:
        check_indicator_share(LOG, REGIONS, 0.5, year=2022)
    msg = str(err.value)
    assert msg.startswith("2022: ") and "x 3 of 4" in msg and "y " not in msg
    assert "carried forward from 2021 × 2" in msg and "median of RU-FD-SIB subjects × 1" in msg
    assert "\n" not in msg


def _cis_gaps_2022() -> int:
    """Border regions without CIS exports in 2022 but with them in 2021, from the long table."""
    data = load_dataset()
    cis = data[(data.indicator == "exports_cis") & data.region_id.isin(BORDER_REGIONS)]
    have = cis.dropna(subset=["value"]).groupby("year")["region_id"].nunique()
    return int(have.get(2021, 0) - have.get(2022, 0))


def test_2022_is_refused_with_the_list_and_nothing_written(tmp_path, capsys):
    assert _cis_gaps_2022() == 12  # regional foreign trade is published to 2021 only
    out = tmp_path / "o"
    assert main(["score", "--year", "2022", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "max_imputed_share_indicator = 0.5" in err and "\n" not in err
    for feature in ("cis_trade_growth_5y", "cis_trade_per_capita", "cis_trade_share"):
        assert f"{feature} 12 of 12 (carried forward from 2021 × 12)" in err
    assert not out.exists()


def test_accepted_on_purpose_2022_prints_the_36_cells(tmp_path, capsys):
    config = tmp_path / "small.toml"
    config.write_text("[score]\nn_replicates = 200\nsobol_n = 16\n", encoding="utf-8")
    argv = ["score", "--year", "2022", "--config", str(config), "--out", str(tmp_path / "o")]
    assert main([*argv, "--max-imputed-share-indicator", "1"]) == 0
    printed = capsys.readouterr().out
    line = next(ln for ln in printed.splitlines() if ln.startswith("imputed in the 12"))
    assert f"{3 * _cis_gaps_2022()} cells" in line
    assert line.count("carried forward from 2021 × 12") == 3
    written = pd.read_csv(tmp_path / "o" / "imputations.csv")
    scored = written[written.region_id.isin(BORDER_REGIONS) & (written.kind == "gap fill")]
    assert len(scored) == 36


def test_the_default_2021_fit_passes_and_says_no_cell_was_gap_filled(tmp_path, capsys):
    config = tmp_path / "small.toml"
    config.write_text("[score]\nn_replicates = 200\nsobol_n = 16\n", encoding="utf-8")
    assert main(["score", "--config", str(config), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "imputed in the 12 scored regions (2021): none" in printed


def test_the_per_region_limit_comes_from_the_config(tmp_path, capsys):
    from border_readiness.features.indicators import compile_indicators

    c = compile_indicators(load_dataset(), year=2016)
    gap = c.imputations[~c.imputations.method.str.startswith("structural zero")]
    filled = sorted(set(gap.region_id) & set(BORDER_REGIONS))
    assert filled  # 2016 has border regions with a gap fill
    config = tmp_path / "strict.toml"
    config.write_text("[score]\nmax_imputed_share = 0.0\n", encoding="utf-8")
    argv = ["score", "--year", "2016", "--config", str(config), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert all(rid in err for rid in filled) and not (tmp_path / "o").exists()
