"""A new store copied from the migrated template is the store MLflow itself would have made."""

from __future__ import annotations

import re
import sqlite3

import pytest

mlflow = pytest.importorskip("mlflow")

from border_readiness.experiments import _store_template  # noqa: E402
from border_readiness.experiments.tracking import connect  # noqa: E402


def _schema(path):
    # Each table's columns and constraints as a set: MLflow's own migrations write a table's
    # constraints in an order that varies with the hash seed, so two stores MLflow made
    # itself differ in the order of the lines of their CREATE TABLE, never in the lines.
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        revision = db.execute("SELECT version_num FROM alembic_version").fetchall()
    tables = [
        (kind, name, sorted(part.strip() for part in re.split(r",\s*\n", sql or "")))
        for kind, name, sql in rows
    ]
    return tables, revision


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BORDER_READINESS_CACHE_DIR", str(folder))
    return folder


def test_a_copied_store_has_mlflows_own_schema_and_default_experiment(tmp_path, cache):
    made = tmp_path / "by-mlflow"
    made.mkdir()
    reference = mlflow.MlflowClient(f"sqlite:///{made / 'mlflow.db'}")
    ref_default = reference.get_experiment("0")

    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        connect(f"sqlite:///{folder / 'mlflow.db'}", "border-readiness")
    assert len(list(cache.glob("mlflow-*.db"))) == 1  # made once, by the first store
    assert not list(cache.glob("*.part")) and not list(second.glob("*.part"))

    assert _schema(second / "mlflow.db") == _schema(made / "mlflow.db")
    copied = mlflow.MlflowClient(f"sqlite:///{second / 'mlflow.db'}")
    default = copied.get_experiment("0")
    assert default.name == ref_default.name == "Default"
    # The Default experiment is the new store's, not the template's cache folder.
    assert str(cache) not in default.artifact_location
    names = [e.name for e in copied.search_experiments()]
    assert sorted(names) == ["Default", "border-readiness"]


def test_the_second_new_store_runs_no_migration(tmp_path, cache, monkeypatch):
    (tmp_path / "a").mkdir()
    connect(f"sqlite:///{tmp_path / 'a' / 'mlflow.db'}", "x")

    def no_migrations(engine):
        raise AssertionError("MLflow migrated a store that was copied from the template")

    monkeypatch.setattr(mlflow.store.db.utils, "_initialize_tables", no_migrations)
    (tmp_path / "b").mkdir()
    client, _, _ = connect(f"sqlite:///{tmp_path / 'b' / 'mlflow.db'}", "x")
    assert client.get_experiment_by_name("x") is not None


def test_an_existing_store_is_never_overwritten(tmp_path, cache):
    (tmp_path / "s").mkdir()
    uri = f"sqlite:///{tmp_path / 's' / 'mlflow.db'}"
    _, exp_id, _ = connect(uri, "kept")
    assert _store_template.seed_new_sqlite_store(uri) is False
    assert mlflow.MlflowClient(uri).get_experiment(exp_id).name == "kept"


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:5000", "sqlite:///:memory:", "sqlite:///x.db?timeout=5", "file:///t"]
)
def test_other_stores_are_left_to_mlflow(uri, cache):
    assert _store_template.seed_new_sqlite_store(uri) is False
    assert not cache.exists()


def test_an_unwritable_cache_leaves_the_store_to_mlflow(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BORDER_READINESS_CACHE_DIR", str(blocker / "cache"))
    (tmp_path / "s").mkdir()
    uri = f"sqlite:///{tmp_path / 's' / 'mlflow.db'}"
    assert _store_template.seed_new_sqlite_store(uri) is False
    client, _, _ = connect(uri, "y")
    assert client.get_experiment_by_name("y") is not None
