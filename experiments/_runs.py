"""All-or-nothing runs: the store lock, the process record of a run, stale runs.

A run records the process that logs it (``border_readiness.pid``, ``.host`` and
``.process_started`` tags). A run still ``RUNNING`` whose process is gone (killed with SIGKILL,
the machine lost power) is *stale*: the next command that opens the store names it on one
line, and ``border-readiness runs mark-failed`` ends it. Its model version, if it registered
one, carries ``border_readiness.complete = false`` and never took the alias.

The store lock (``<store>.db.lock`` next to a SQLite store; a file in the temporary folder for
a server URI) serialises what two runs must not do at once: creating and migrating a new store,
and registering a version, writing its card and moving the alias.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from border_readiness.errors import UserInputError

__all__ = [
    "COMPLETE",
    "TEMP_PREFIX",
    "mark_failed",
    "process_tags",
    "report_stale",
    "stale_runs",
    "store_lock",
]

#: Model-version tag: "true" once every artifact of its run, the card included, is logged.
COMPLETE = "border_readiness.complete"
#: Prefix of a run's temporary folder; the pid follows, so a killed run's folder is found.
TEMP_PREFIX = "border-readiness-run-"
_PID, _HOST, _STARTED = (f"border_readiness.{k}" for k in ("pid", "host", "process_started"))
#: How long a command waits for another one holding the store lock.
LOCK_TIMEOUT_S = 600


def lock_path(uri: str) -> Path:
    """Where the store lock of ``uri`` lives: next to a SQLite file, else in the temp folder."""
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///").split("?")[0] + ".lock")
    digest = hashlib.sha256(uri.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"border-readiness-store-{digest}.lock"


_LOCKS: dict = {}


@contextmanager
def store_lock(uri: str):
    """Hold an exclusive, re-entrant lock on the store ``uri`` (released if the process dies).

    Parameters
    ----------
    uri : str
        The tracking URI.

    Yields
    ------
    None
        While the lock is held; it waits up to ten minutes for another process.

    Examples
    --------
    >>> str(lock_path("sqlite:////tmp/x/mlflow.db"))
    '/tmp/x/mlflow.db.lock'
    """
    from filelock import FileLock, Timeout

    path = lock_path(uri)
    if not path.parent.is_dir():  # sqlite:////missing/x.db: MLflow's own error says why
        path = lock_path(f"missing-parent:{uri}")
    # One lock object per file: two flock()s of one process on the same file would deadlock.
    lock = _LOCKS.setdefault(str(path), FileLock(str(path), timeout=LOCK_TIMEOUT_S))
    try:
        lock.acquire()
    except Timeout:
        raise UserInputError(
            f"the store {uri} is locked by another command for {LOCK_TIMEOUT_S} s ({path})"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux), None if unknown or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie has finished; only its exit status is left
        return "zombie"
    return fields[19]


def process_tags() -> dict[str, str]:
    """The tags that name the process logging a run (pid, host, start time).

    Returns
    -------
    dict of str to str
        ``border_readiness.pid``, ``.host`` and ``.process_started`` (empty off Linux).
    """
    pid = os.getpid()
    return {_PID: str(pid), _HOST: socket.gethostname(), _STARTED: _started(pid) or ""}


def _gone(tags: dict) -> bool | None:
    """True if the run's process is gone, False if it lives, None if it cannot be told here."""
    if tags.get(_HOST) != socket.gethostname() or not tags.get(_PID, "").isdigit():
        return None
    pid = int(tags[_PID])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    started = _started(pid)
    if started == "zombie":
        return True
    # The pid was reused by a later process.
    return bool(tags.get(_STARTED)) and started is not None and started != tags[_STARTED]


def stale_runs(client) -> list:
    """The runs ``RUNNING`` in the store whose process on this host is gone.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client of the store.

    Returns
    -------
    list of mlflow.entities.Run
        Runs on other hosts, or without a process record, are not judged.
    """
    ids = [e.experiment_id for e in client.search_experiments()]
    if not ids:
        return []
    running = client.search_runs(ids, filter_string="attributes.status = 'RUNNING'")
    return [r for r in running if _gone(r.data.tags)]


def report_stale(client) -> None:
    """One warning line on stderr per stale run, saying how to mark it failed.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client of the store.
    """
    for r in stale_runs(client):
        tags = r.data.tags
        print(
            f"border-readiness: warning: run {r.info.run_id} ({r.info.run_name}) is RUNNING but "
            f"its process {tags[_PID]} on {tags[_HOST]} is gone; "
            f"`border-readiness runs mark-failed {r.info.run_id}` ends it",
            file=sys.stderr,
        )


def _remove_temp(pid: str) -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}{pid}-*"):
        shutil.rmtree(folder, ignore_errors=True)


def mark_failed(client, run_id: str) -> str:
    """End a run whose process is gone: FAILED, or FINISHED if its version was complete.

    Its temporary folder is removed. A run whose process still runs on this host is refused.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client of the store.
    run_id : str
        The run.

    Returns
    -------
    str
        The status it now has (``FAILED`` or ``FINISHED``), or its status if it had ended.
    """
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise UserInputError(f"run {run_id}: no such run in the store") from None
    if run.info.status != "RUNNING":
        return run.info.status
    if _gone(run.data.tags) is False:
        raise UserInputError(
            f"run {run_id}: its process {run.data.tags[_PID]} is still running; stop it first"
        )
    versions = client.search_model_versions(f"run_id = '{run_id}'")
    done = bool(versions) and all(v.tags.get(COMPLETE) == "true" for v in versions)
    status = "FINISHED" if done else "FAILED"
    client.set_tag(run_id, "border_readiness.ended_by", "runs mark-failed")
    client.set_terminated(run_id, status)
    _remove_temp(run.data.tags.get(_PID, "none"))
    return status
