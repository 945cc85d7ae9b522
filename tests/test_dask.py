"""Dask for real: a LocalCluster on 127.0.0.1 runs the commands' replicate loops.

With ``--scheduler`` (or ``[compute] scheduler``) every output table is byte-identical to the
serial run, wall-clock fields aside, and the loops' tasks are seen on the cluster.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")  # the test extra brings it (pyproject.toml)

from border_readiness.experiments import _compute  # noqa: E402
from border_readiness.experiments.cli import main  # noqa: E402
from border_readiness.features import composite  # noqa: E402

# One worker runs this module: its tests share the cluster.
pytestmark = pytest.mark.xdist_group("test_dask")

# Small counts, but each loop still cut into several joblib tasks (batches of 1000 Monte Carlo
# replicates, 250 bootstrap/consensus replicates, 50 structure nulls, 25 Sobol' resamples,
# 1000 permutations), so that the cluster really runs them.
SMALL = """seed = 0
[score]
n_replicates = 2500
sobol_n = 16
[cluster]
bootstrap = 300
consensus_reps = 260
structure_nulls = 60
[validate]
typologies = ["federal_districts"]
permutations = 1500
[explain]
surrogate_null = 2
"""
#: Fields that are wall-clock times or MLflow's ids of one run, not results.
CLOCK_FIELDS = {"elapsed_s", "created", "run_id"}


@pytest.fixture(scope="module")
def cluster():
    # Worker threads in this process: cheap to start, and joblib's Dask backend still sends
    # every task through the scheduler.
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        # tcp, not the in-process transport: the commands connect by address, as to a cluster
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    ) as local:
        yield local


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster.scheduler_address) as c:
        yield c


@contextlib.contextmanager
def tasks_run(client) -> Iterator[list[str]]:
    """The keys of the tasks the cluster ran inside the block (from any client)."""
    keys: list[str] = []
    with distributed.get_task_stream(client) as stream:
        yield keys
    keys.extend(str(record["key"]) for record in stream.data)


def _ran(keys: list[str], function: str) -> bool:
    # joblib's Dask backend names a task batch_of_<function>_<n>_calls-<token>.
    return any(f"batch_of_{function}_" in key for key in keys)


def _without_clock(value):
    if isinstance(value, dict):
        return {k: _without_clock(v) for k, v in value.items() if k not in CLOCK_FIELDS}
    if isinstance(value, list):
        return [_without_clock(v) for v in value]
    return value


def _tables(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix in {".csv", ".json"}
    )


def assert_same_tables(serial: Path, spread: Path) -> None:
    names = _tables(serial)
    assert names, f"no tables in {serial}"
    assert names == _tables(spread)
    for name in names:
        a, b = (serial / name).read_bytes(), (spread / name).read_bytes()
        if name.endswith(".json"):
            a, b = (_without_clock(json.loads(x)) for x in (a, b))
        assert a == b, f"{name} differs between the serial and the Dask run"


def test_score_on_dask_is_identical(cluster, client, config, tmp_path):
    serial, spread = tmp_path / "serial", tmp_path / "dask"
    assert main(["score", "--config", str(config), "--out", str(serial), "--quiet"]) == 0
    argv = ["score", "--config", str(config), "--out", str(spread), "--quiet"]
    with tasks_run(client) as keys:
        assert main([*argv, "--scheduler", cluster.scheduler_address]) == 0
    assert_same_tables(serial, spread)
    # The Monte Carlo batches and the Sobol' bootstrap went to the cluster.
    for function in ("ranks", "_bootstrap_estimates"):
        assert _ran(keys, function), (function, keys)


def test_cluster_on_dask_from_the_config_is_identical(cluster, client, config, tmp_path):
    serial, spread = tmp_path / "serial", tmp_path / "dask"
    assert main(["cluster", "--config", str(config), "--out", str(serial), "--quiet"]) == 0
    on_dask = tmp_path / "on_dask.toml"
    on_dask.write_text(
        f'{SMALL}[compute]\nscheduler = "{cluster.scheduler_address}"\n', encoding="utf-8"
    )
    with tasks_run(client) as keys:
        assert main(["cluster", "--config", str(on_dask), "--out", str(spread), "--quiet"]) == 0
    assert_same_tables(serial, spread)
    # bootstrap, consensus, leave-one-out and the structure test's nulls
    for function in ("_bootstrap_batch", "_consensus_batch", "_refit", "_replicates"):
        assert _ran(keys, function), (function, keys)


def test_typology_validate_on_dask_is_identical(cluster, client, config, tmp_path):
    serial, spread = tmp_path / "serial", tmp_path / "dask"
    argv = ["typology", "validate", "federal_districts", "--config", str(config), "--quiet"]
    assert main([*argv, "--out", str(serial)]) == 0
    address = cluster.scheduler_address
    with tasks_run(client) as keys:
        assert main([*argv, "--out", str(spread), "--scheduler", address, "--n-jobs", "2"]) == 0
    assert_same_tables(serial, spread)
    assert _ran(keys, "_permutation_batch") or _ran(keys, "_selection_permutation_batch"), keys


@pytest.mark.slow
def test_run_on_dask_is_identical(cluster, config, tmp_path, monkeypatch):
    # The whole tracked job, card included (its JSON holds full-precision figures that the
    # CSV tables round, e.g. the silhouette that scikit-learn would split over the workers).
    monkeypatch.chdir(tmp_path)
    for name, extra in (("serial", []), ("dask", ["--scheduler", cluster.scheduler_address])):
        uri = f"sqlite:///{tmp_path / name}.db"
        argv = ["run", "--config", str(config), "--tracking-uri", uri, "--quiet"]
        assert main([*argv, "--out", str(tmp_path / name), *extra]) == 0
    assert_same_tables(tmp_path / "serial", tmp_path / "dask")


def test_monte_carlo_follows_the_joblib_config(client):
    # n_jobs=None defers to joblib.parallel_config (it once meant "serial" here).
    import joblib

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.lognormal(size=(6, 4)), columns=list("abcd"))
    kwargs = dict(n_replicates=3000, batch_size=1000, random_state=5, weightings=("equal", "pca"))
    kwargs["normalisations"] = ("minmax", "zscore", "rank")
    args = (X, dict.fromkeys("abcd", 1), dict(a="t", b="t", c="s", d="s"))
    serial = composite.monte_carlo_ranks(*args, **kwargs).ranks
    with tasks_run(client) as keys, joblib.parallel_config(backend="dask", client=client):
        spread = composite.monte_carlo_ranks(*args, **kwargs).ranks
    np.testing.assert_array_equal(serial, spread)
    assert sum(_ran([key], "ranks") for key in keys) >= 1, keys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_one_line_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_compute, "CONNECT_TIMEOUT_S", 1)
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert main(["score", "--out", str(out), "--scheduler", address]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("border-readiness: error: --scheduler tcp://")
    assert "cannot reach a Dask scheduler" in err[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("nonsense://x", "unknown scheme 'nonsense'"),
        ("tcp://host", "missing port number"),
        ("", "missing port number"),
    ],
)
def test_malformed_scheduler_address_is_one_line(address, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["cluster", "--out", str(out), "--scheduler", address]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "expected an address like tcp://host:8786" in err[0]
    assert message in err[0]
    assert not out.exists()


def test_config_scheduler_error_names_the_config(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_compute, "CONNECT_TIMEOUT_S", 1)
    config = tmp_path / "c.toml"
    config.write_text(f'[compute]\nscheduler = "tcp://127.0.0.1:{_free_port()}"\n', "utf-8")
    assert main(["score", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{config}: [compute] scheduler tcp://127.0.0.1:" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n-jobs", "0"], "expected -1 or an integer >= 1"),
        (["--config", "bad_jobs.toml"], "compute.n_jobs must be -1 or an integer >= 1"),
    ],
)
def test_bad_n_jobs_is_refused(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad_jobs.toml").write_text("[compute]\nn_jobs = -3\n", encoding="utf-8")
    assert main(["cluster", "--out", str(tmp_path / "out"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["score"],
        ["cluster"],
        ["typology", "validate", "federal_districts"],
        ["explain"],
        ["run"],
        ["retrain", "--year", "2021"],
    ],
)
def test_every_command_with_replicate_loops_takes_a_scheduler(command):
    from border_readiness.experiments.cli import build_parser

    argv = [*command, "--out", "o", "--scheduler", "tcp://host:8786", "--n-jobs", "-1"]
    args = build_parser().parse_args(argv)
    assert (args.scheduler, args.n_jobs) == ("tcp://host:8786", -1)


def test_commands_without_replicate_loops_run_as_they_are(tmp_path, capsys):
    # no scheduler option, and nothing about Dask is imported or connected
    assert main(["typology", "check", "federal_districts"]) == 0
    assert main(["card", "--run-id", "x", "--scheduler", "tcp://host:8786"]) == 2
    assert "unrecognized arguments: --scheduler" in capsys.readouterr().err
