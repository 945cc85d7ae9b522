"""``border-readiness runs list | mark-failed``: runs left RUNNING by a killed process."""

from __future__ import annotations

import argparse

__all__ = ["add_runs_parser"]

EXAMPLE = "border-readiness runs mark-failed --stale"


def add_runs_parser(sub, parser_class) -> None:
    """Add ``runs list`` and ``runs mark-failed`` to the sub-commands ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The top-level sub-commands.
    parser_class : type
        The parser class of the sub-commands (errors as one line).
    """
    runs = sub.add_parser("runs", help="list runs left RUNNING, mark killed ones failed")
    rsub = runs.add_subparsers(dest="runs_command", required=True, parser_class=parser_class)
    p = rsub.add_parser(
        "list",
        help="the runs still RUNNING, and whether their process is gone",
        description="The runs RUNNING in the store, with their process and whether it is gone.",
    )
    p.set_defaults(func=_cmd_list)
    _add_uri(p)
    p = rsub.add_parser(
        "mark-failed",
        help="end runs whose process was killed (FAILED)",
        description="End runs left RUNNING by a killed process: FAILED (FINISHED if their "
        "model version was complete), their temporary folder removed. A run whose process "
        "still runs on this host is refused.",
        epilog=f"example: {EXAMPLE}",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("run_id", nargs="*", default=[], help="run ids")
    which.add_argument("--stale", action="store_true", help="every run whose process is gone")
    p.set_defaults(func=_cmd_mark_failed)
    _add_uri(p)


def _add_uri(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tracking-uri",
        help="MLflow tracking URI (default: sqlite:///./mlflow.db)",
    )


def _cmd_list(args: argparse.Namespace) -> int:
    from border_readiness.experiments._runs import _gone
    from border_readiness.experiments.tracking import open_store

    client, _ = open_store(args.tracking_uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    running = client.search_runs(ids, "attributes.status = 'RUNNING'") if ids else []
    for r in running:
        tags = r.data.tags
        state = {True: "process gone", False: "process running", None: "unknown"}
        pid, host = (tags.get(f"border_readiness.{k}", "?") for k in ("pid", "host"))
        process = f"{pid}@{host}"
        print(f"{r.info.run_id}\t{r.info.run_name}\t{process}\t{state[_gone(tags)]}")
    return 0


def _cmd_mark_failed(args: argparse.Namespace) -> int:
    from border_readiness.experiments._runs import mark_failed, stale_runs
    from border_readiness.experiments.tracking import open_store

    client, _ = open_store(args.tracking_uri)
    ids = [r.info.run_id for r in stale_runs(client)] if args.stale else args.run_id
    for run_id in ids:
        print(f"run {run_id}: {mark_failed(client, run_id)}")
    if args.stale and not ids:
        print("no stale run")
    return 0
