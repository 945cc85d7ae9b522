"""Interrupted and concurrent `run`s leave a consistent store (issue 12, items 3 and 4).

Real `border-readiness run` processes (tiny replicate counts) on one fresh SQLite store: four
at once, then one killed at each stage — SIGINT in the analysis, SIGINT while the result files
are logged, SIGTERM and SIGKILL while the model card is written. The stage is found from the
progress line the run prints on stderr. After each: exit 130/143, one line, no traceback, no run
left RUNNING (SIGKILL: the next command names it, `runs mark-failed --stale` ends it), the alias
only on a complete version, and nothing left in the run's temporary folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# One store for the whole module, used in order: the module stays on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("interrupted_runs")]

TINY = """
[score]
n_replicates = 100
sobol_n = 16
[cluster]
bootstrap = 20
consensus_reps = 20
structure_nulls = 19
[validate]
permutations = 99
[explain]
surrogate_null = 1
"""
NAME, ALIAS, COMPLETE = "border-readiness", "champion", "border_readiness.complete"
CLI = [sys.executable, "-m", "border_readiness.experiments.cli"]


def _env(tmp: Path) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}


def _command(folder: Path, *argv: str, tmp: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *argv],
        cwd=folder,
        env=_env(tmp or folder / "tmp-cmd"),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _run(folder: Path, tmp: Path, quiet: bool = False) -> subprocess.Popen:
    argv = ["run", "--config", "tiny.toml", "--out", "out", *(["--quiet"] if quiet else [])]
    return subprocess.Popen(
        [*CLI, *argv], cwd=folder, env=_env(tmp), stderr=subprocess.PIPE, text=True
    )


def _interrupt(folder: Path, tmp: Path, line: str, sig: int) -> tuple[int, str]:
    """Start a run, send ``sig`` once it prints ``line``; (exit code, stderr after the signal)."""
    proc = _run(folder, tmp)
    seen = []
    for text in proc.stderr:
        seen.append(text)
        if line in text:
            proc.send_signal(sig)
            break
    else:
        proc.wait()
        pytest.fail(f"the run never printed {line!r}:\n{''.join(seen)[-2000:]}")
    rest = proc.stderr.read()
    return proc.wait(timeout=600), rest


def _client(folder: Path):
    import mlflow

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient()


def _state(folder: Path) -> dict:
    """Runs by status, versions (complete or not) and the alias holder of the store."""
    client = _client(folder)
    exp = client.get_experiment_by_name(NAME)
    runs = client.search_runs([exp.experiment_id]) if exp else []
    versions = client.search_model_versions(f"name = '{NAME}'") if exp else []
    try:
        holder = int(client.get_model_version_by_alias(NAME, ALIAS).version)
    except Exception:
        holder = None
    return {
        "status": {r.info.run_id: r.info.status for r in runs},
        "versions": {int(v.version): v for v in versions},
        "holder": holder,
    }


def _consistent(folder: Path) -> dict:
    """The store's invariants: the alias is on a complete version whose run finished."""
    state = _state(folder)
    holder = state["holder"]
    if holder is not None:
        v = state["versions"][holder]
        assert v.tags.get(COMPLETE) == "true", f"alias on incomplete version {holder}"
        assert state["status"][v.run_id] == "FINISHED"
        client = _client(folder)
        names = {a.path for a in client.list_artifacts(v.run_id, "model_card")}
        assert "model_card/card_data.json" in names, "alias on a version without its card"
    for v in state["versions"].values():
        if v.tags.get(COMPLETE) != "true":
            assert state["status"][v.run_id] != "FINISHED"
    return state


def _one_clean_line(rest: str, name: str) -> None:
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest[-2000:]
    lines = [t for t in rest.splitlines() if t.startswith("border-readiness:")]
    assert lines == [f"border-readiness: interrupted ({name}); nothing was registered as complete"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A fresh folder in which four `run`s started at once; their (exit codes, folder)."""
    folder = tmp_path_factory.mktemp("concurrent")
    (folder / "tiny.toml").write_text(TINY, encoding="utf-8")
    procs = [_run(folder, folder / f"tmp-{i}", quiet=True) for i in range(4)]
    outcomes = [(p.wait(timeout=900), p.stderr.read()) for p in procs]
    return outcomes, folder


def test_four_concurrent_first_runs_on_a_fresh_store_all_finish(store):
    from mlflow.store.db.utils import _get_latest_schema_revision

    outcomes, folder = store
    for code, err in outcomes:
        assert code == 0, err[-3000:]
        assert "Traceback" not in err
    state = _consistent(folder)
    assert sorted(state["versions"]) == [1, 2, 3, 4]
    assert len({v.run_id for v in state["versions"].values()}) == 4
    assert set(state["status"].values()) == {"FINISHED"}
    # Same year, same data: the default rule gives the alias to the newest version.
    assert state["holder"] == 4
    for v in range(1, 5):
        assert (folder / "out" / "models" / NAME / f"v{v}" / "MODEL_CARD.md").is_file()
    # Not half-migrated: the schema is at MLflow's head revision.
    import sqlite3

    with sqlite3.connect(folder / "mlflow.db") as db:
        (revision,) = db.execute("select version_num from alembic_version").fetchone()
    assert revision == _get_latest_schema_revision()
    assert (folder / "mlflow.db.lock").is_file()  # the documented lock next to the store


def test_sigint_in_the_analysis_touches_nothing(store, tmp_path):
    _, folder = store
    before = _state(folder)
    tmp = tmp_path / "tmp"
    code, rest = _interrupt(folder, tmp, "Monte Carlo", signal.SIGINT)
    assert code == 130
    _one_clean_line(rest, "SIGINT")
    after = _consistent(folder)
    assert after["status"] == before["status"] and after["holder"] == before["holder"]
    assert list(tmp.iterdir()) == []


def test_sigint_while_logging_the_results_ends_the_run_failed(store, tmp_path):
    _, folder = store
    before = _state(folder)
    tmp = tmp_path / "tmp"
    code, rest = _interrupt(folder, tmp, "logging the result files", signal.SIGINT)
    assert code == 130, rest  # what the run printed after the signal, if it did not end cleanly
    _one_clean_line(rest, "SIGINT")
    after = _consistent(folder)
    (new,) = set(after["status"]) - set(before["status"])
    assert after["status"][new] == "FAILED"
    assert after["versions"].keys() == before["versions"].keys()  # nothing registered
    assert after["holder"] == before["holder"]
    assert list(tmp.iterdir()) == []


def test_sigterm_while_the_card_is_written_keeps_the_alias(store, tmp_path):
    _, folder = store
    before = _state(folder)
    tmp = tmp_path / "tmp"
    code, rest = _interrupt(folder, tmp, "writing the model card", signal.SIGTERM)
    assert code == 143
    _one_clean_line(rest, "SIGTERM")
    after = _consistent(folder)
    (new,) = set(after["status"]) - set(before["status"])
    assert after["status"][new] == "FAILED"
    (version,) = set(after["versions"]) - set(before["versions"])
    assert after["versions"][version].tags[COMPLETE] == "false"
    assert after["holder"] == before["holder"] != version
    assert list(tmp.iterdir()) == []
    assert _command(folder, "runs", "list").stdout == ""  # no run left RUNNING


def test_sigkill_while_the_card_is_written_is_reported_and_marked_failed(store, tmp_path):
    _, folder = store
    before = _state(folder)
    tmp = tmp_path / "tmp"
    code, _ = _interrupt(folder, tmp, "writing the model card", signal.SIGKILL)
    assert code == -signal.SIGKILL
    after = _consistent(folder)
    (new,) = set(after["status"]) - set(before["status"])
    assert after["status"][new] == "RUNNING"
    assert after["holder"] == before["holder"]  # the alias never saw the half-done version
    # The next command names the run on one line and still serves the complete champion.
    card = _command(folder, "card", "--model", f"{NAME}@{ALIAS}", "--out", "cards", tmp=tmp)
    assert card.returncode == 0, card.stderr
    warnings = [t for t in card.stderr.splitlines() if "warning" in t]
    assert len(warnings) == 1 and new in warnings[0] and "runs mark-failed" in warnings[0]
    assert "Traceback" not in card.stderr
    assert any(tmp.glob("border-readiness-run-*")), "SIGKILL leaves the run's folder"
    marked = _command(folder, "runs", "mark-failed", "--stale", tmp=tmp)
    assert marked.returncode == 0, marked.stderr
    assert f"run {new}: FAILED" in marked.stdout
    assert _consistent(folder)["status"][new] == "FAILED"
    assert not any(tmp.glob("border-readiness-run-*"))
    again = _command(folder, "runs", "mark-failed", "--stale", tmp=tmp)
    assert again.stdout.strip() == "no stale run" and "warning" not in again.stderr


def test_mark_failed_refuses_a_run_whose_process_still_runs(store, tmp_path):
    """A live process is never marked: the test's own pid stands in for a running `run`."""
    import socket

    from border_readiness.errors import UserInputError
    from border_readiness.experiments._runs import mark_failed, process_tags, stale_runs

    _, folder = store
    client = _client(folder)
    exp = client.get_experiment_by_name(NAME)
    run = client.create_run(exp.experiment_id, tags=process_tags())
    try:
        assert run.info.run_id not in {r.info.run_id for r in stale_runs(client)}
        with pytest.raises(UserInputError, match="is still running; stop it first"):
            mark_failed(client, run.info.run_id)
        # Another host's run is not judged stale from here.
        client.set_tag(run.info.run_id, "border_readiness.host", socket.gethostname() + "-x")
        assert run.info.run_id not in {r.info.run_id for r in stale_runs(client)}
    finally:
        client.set_terminated(run.info.run_id, "KILLED")
