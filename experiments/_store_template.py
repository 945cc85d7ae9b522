"""A new SQLite store starts as a copy of an empty store that MLflow migrated once.

MLflow creates a new SQLite store by running every Alembic migration since its first schema
(about 70 scripts, 1.3 CPU-s, a tenth of a default ``run``), and the result depends only on the
installed MLflow and SQLAlchemy. The first new store on a machine is created by MLflow as
always, in the user's cache, and its Default experiment (whose artifact location names the
folder it was made in) is deleted; every later new store starts as a byte copy of that file.
Opening the copy, MLflow checks its schema revision as it does for any existing store and
creates the Default experiment itself, with the new store's own artifact location, so the
copy is the store MLflow would have made (tests/test_store_template.py compares the two).

The cache folder is ``$BORDER_READINESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/border-readiness``,
else ``~/.cache/border-readiness``. Where it cannot be written, MLflow creates every store.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from border_readiness.experiments._cache import cache_dir

__all__ = ["seed_new_sqlite_store"]


def _sqlite_file(uri: str) -> Path | None:
    # Only a plain file URI (sqlite:///relative or sqlite:////absolute); in-memory stores and
    # URIs with query parameters are left to MLflow.
    if not uri.startswith("sqlite:///") or "?" in uri:
        return None
    name = uri.removeprefix("sqlite:///")
    return Path(name) if name and name != ":memory:" else None


def _template() -> Path | None:
    import mlflow
    import sqlalchemy

    folder = cache_dir()
    path = folder / f"mlflow-{mlflow.__version__}-sqlalchemy-{sqlalchemy.__version__}.db"
    if path.is_file():
        return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: MLflow migrates each new store, as without the cache
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    # Built under a name of this process's own and moved into place in one step, so that two
    # first runs never see a half-made template.
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        store = SqlAlchemyStore(f"sqlite:///{part}", (folder / "unused-artifacts").as_uri())
        store.engine.dispose()
        with sqlite3.connect(part) as db:
            db.execute("DELETE FROM experiments WHERE experiment_id = 0")
        db.close()
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


def seed_new_sqlite_store(uri: str) -> bool:
    """Start the SQLite store ``uri``, if it does not exist yet, as a copy of the template.

    Call it while holding the store's lock (:func:`~border_readiness.experiments._runs.store_lock`):
    it checks that the file is absent and then writes it.

    Parameters
    ----------
    uri : str
        A tracking URI; anything but a SQLite file that does not exist is left alone.

    Returns
    -------
    bool
        Whether the store was created from the template.

    Examples
    --------
    >>> seed_new_sqlite_store("http://127.0.0.1:5000")
    False
    """
    path = _sqlite_file(uri)
    if path is None or path.exists() or not path.parent.is_dir():
        return False
    template = _template()
    if template is None:
        return False
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(template, part)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return True
