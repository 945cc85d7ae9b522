"""Where the replicate loops run: ``--scheduler`` / ``--n-jobs`` and ``[compute]``.

Every replicate loop of the package (bootstrap, consensus, leave-one-out, structure nulls, Monte
Carlo, Sobol' model runs and bootstrap, permutations, bootstrap intervals, the surrogate's
leave-one-out and null) runs through joblib with ``n_jobs=None``, i.e. under the caller's
``joblib.parallel_config``. A command given a scheduler address therefore connects a
``dask.distributed.Client`` and runs inside ``joblib.parallel_config(backend="dask")``; given
only ``n_jobs`` it runs under ``joblib.parallel_config(n_jobs=...)`` (joblib's own processes).
Replicates draw their numbers from per-replicate or per-block seeds, never per worker, so the
output tables are identical to a serial run whatever the backend.

Dask is an optional dependency (``pip install 'border-readiness[dask]'``), imported only when a
scheduler is given. A scheduler that cannot be reached is a one-line error before any work.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from border_readiness.errors import UsageError

__all__ = ["add_compute_options", "compute_session", "n_jobs_option"]

#: Seconds to wait for a scheduler before giving up (an unreachable one fails in this time).
CONNECT_TIMEOUT_S = 10


def n_jobs_option(text: str) -> int:
    """An argparse ``type=`` for ``--n-jobs``: -1 (every core) or a positive integer.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    int
        The number of joblib workers (-1: all).

    Examples
    --------
    >>> n_jobs_option("2"), n_jobs_option("-1")
    (2, -1)
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected -1 or an integer >= 1") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"{value}: expected -1 or an integer >= 1")
    return value


def add_compute_options(p: argparse.ArgumentParser) -> None:
    """Add ``--scheduler ADDRESS`` and ``--n-jobs N`` to a command with replicate loops.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_compute_options(p)
    >>> p.parse_args(["--scheduler", "tcp://127.0.0.1:8786", "--n-jobs", "4"]).n_jobs
    4
    """
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler (e.g. tcp://host:8786) to spread the replicate loops over; "
        "identical numbers to a serial run; needs border-readiness[dask] (default: the "
        "config's [compute] scheduler, else none)",
    )
    p.add_argument(
        "--n-jobs",
        type=n_jobs_option,
        metavar="N",
        help="joblib workers for the replicate loops, -1 for all (default: the config's "
        "[compute] n_jobs, else serial; with --scheduler, every Dask worker)",
    )


def _settings(args: argparse.Namespace) -> tuple[str | None, int | None, str]:
    """The scheduler, n_jobs and where the scheduler came from (for the error message)."""
    scheduler, n_jobs = getattr(args, "scheduler", None), getattr(args, "n_jobs", None)
    where = f"--scheduler {scheduler}"
    if scheduler is None or n_jobs is None:
        from border_readiness.experiments.config import load_experiment

        # The config is read again by the command; its errors are the same one line here.
        cfg = load_experiment(getattr(args, "config", None))
        if scheduler is None:
            scheduler, where = cfg.scheduler, f"{cfg.source}: [compute] scheduler {cfg.scheduler}"
        n_jobs = cfg.n_jobs if n_jobs is None else n_jobs
    return scheduler, n_jobs, where


def _connect(address: str, where: str):
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            f"{where}: Dask is not installed; pip install 'border-readiness[dask]'"
        ) from None
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    # A malformed address is refused before a Client exists: one that fails to construct
    # leaves a finaliser that prints a traceback and waits 20 s on exit.
    try:
        scheme, location = parse_address(address, strict=False)
        if scheme not in backends:
            raise ValueError(f"unknown scheme {scheme!r}; known: {', '.join(sorted(backends))}")
        if scheme != "inproc":
            parse_host_port(location)
    except ValueError as exc:
        raise UsageError(f"{where}: expected an address like tcp://host:8786 ({exc})") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise UsageError(f"{where}: cannot reach a Dask scheduler there ({reason})") from None


@contextlib.contextmanager
def compute_session(args: argparse.Namespace) -> Iterator[None]:
    """Run a command's replicate loops where ``--scheduler``/``--n-jobs`` (or the config) say.

    Commands without the options (``data``, ``typology check``, ``card``, ...) run as they are.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Yields
    ------
    None
        Inside ``joblib.parallel_config`` (``backend="dask"`` with a connected client when a
        scheduler is given), or unchanged when neither is set.

    Raises
    ------
    UsageError
        Dask is not installed, or the scheduler cannot be reached, before any work starts.

    Examples
    --------
    >>> import argparse
    >>> with compute_session(argparse.Namespace(command="data")):
    ...     pass
    """
    if not hasattr(args, "scheduler"):
        yield
        return
    scheduler, n_jobs, where = _settings(args)
    if scheduler is None and n_jobs is None:
        yield
        return
    import joblib

    if scheduler is None:
        with joblib.parallel_config(n_jobs=n_jobs):
            yield
        return
    client = _connect(scheduler, where)
    try:
        # joblib's Dask backend finds the client through the backend arguments; -1 (its default)
        # uses every worker thread of the cluster.
        with joblib.parallel_config(backend="dask", n_jobs=n_jobs or -1, client=client):
            yield
    finally:
        client.close()
