"""The checks behind the bad-input catalogue: file kinds, numeric bounds, slow-run warnings.

The catalogue (tests/reliability/cases/inputs.toml) runs the CLI on each bad input; these
tests pin the pieces: every kind is sniffed from content, and every bounded option is refused
just outside its range by the command line and by the config key alike.
"""

from __future__ import annotations

import gzip

import pytest

from border_readiness.experiments._checks import BOUNDS, CONFIG_KEYS, warn_if_slow
from border_readiness.experiments.cli import build_parser, main
from border_readiness.experiments.config import ConfigError, load_experiment
from border_readiness.features._file_kinds import sniff
from border_readiness.features.dataset import DataValidationError, read_long_file

CSV = b"region_id,year,indicator,value\nRU-OMS,2021,grp,1.5\n"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (CSV, "text"),
        (gzip.compress(CSV, mtime=0), "gzip"),
        (b"PK\x03\x04rest", "zip"),
        (b"PAR1....PAR1", "parquet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
        (b"abc\x00def", "binary"),
        ("Омская".encode("cp1251"), "text"),  # text, refused later as not UTF-8
    ],
)
def test_the_kind_comes_from_the_first_bytes(raw, kind):
    assert sniff(raw) == kind


@pytest.mark.parametrize("name", ["a.csv", "a.xlsx", "a.parquet", "a.csv.gz", "a.txt"])
def test_a_csv_is_read_as_csv_whatever_its_name(tmp_path, name):
    (tmp_path / name).write_bytes(CSV)
    assert read_long_file(tmp_path / name)["value"].tolist() == [1.5]


def test_a_gzip_is_read_whatever_its_name(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(gzip.compress(CSV))
    assert read_long_file(tmp_path / "a.xlsx")["value"].tolist() == [1.5]


def test_a_truncated_gzip_names_the_file(tmp_path):
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(CSV)[:20])
    with pytest.raises(DataValidationError, match=r"a\.csv\.gz: truncated or corrupt gzip"):
        read_long_file(tmp_path / "a.csv.gz")


def test_every_config_key_bound_is_an_option_bound():
    assert set(CONFIG_KEYS.values()) <= set(BOUNDS)


# Options with a config key of their own, and the command that takes them.
_OPTIONS = {
    "k": ("cluster", "[cluster]\nk = {v}\n"),
    "bootstrap": ("cluster", "[cluster]\nbootstrap = {v}\n"),
    "consensus_reps": ("cluster", "[cluster]\nconsensus_reps = {v}\n"),
    "structure_nulls": ("cluster", "[cluster]\nstructure_nulls = {v}\n"),
    "surrogate_null": ("explain", "[explain]\nsurrogate_null = {v}\n"),
    "permutations": ("typology", "[validate]\npermutations = {v}\n"),
    "seed": ("score", "seed = {v}\n"),
}


@pytest.mark.parametrize("option", sorted(_OPTIONS))
@pytest.mark.parametrize("side", ["low", "high"])
def test_the_cli_and_the_config_refuse_the_same_values(option, side, tmp_path, capsys):
    bound = BOUNDS[option]
    value = bound.low - 1 if side == "low" else bound.high + 1
    command, text = _OPTIONS[option]
    flag = "--" + option.replace("_", "-")
    argv = [command, flag, str(value), "--out", str(tmp_path / "out")]
    if command == "typology":
        argv[1:1] = ["validate", "federal_districts"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and flag in err and str(bound.high) in err, err
    config = tmp_path / "c.toml"
    config.write_text(text.format(v=value), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"c\.toml: \S*{option} = {value}: expected"):
        load_experiment(config)
    assert not (tmp_path / "out").exists()


def test_values_at_the_bounds_are_accepted(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["cluster", "--k", "2", "--bootstrap", "100000", "--out", "o"])
    assert (args.k, args.bootstrap) == (2, 100_000)
    config = tmp_path / "c.toml"
    config.write_text("seed = 4294967295\n[cluster]\nbootstrap = 100000\n", encoding="utf-8")
    assert load_experiment(config).bootstrap == 100_000


def test_a_large_replicate_count_warns_with_an_estimate(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text("[validate]\npermutations = 500000\n", encoding="utf-8")
    warn_if_slow(load_experiment(config))
    err = capsys.readouterr().err
    assert "warning: permutations = 500000" in err and "expect roughly" in err
    warn_if_slow(load_experiment(None))
    assert capsys.readouterr().err == ""
