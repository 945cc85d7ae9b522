"""SIGINT and SIGTERM end a command cleanly: one line, exit 130 or 143, nothing half-done.

The signal becomes an exception (:class:`KeyboardInterrupt`, :class:`Terminated`) that unwinds
the command: an open MLflow run ends ``FAILED``, its model version keeps
``border_readiness.complete = false`` and never takes the alias, the store lock is released and
temporary folders are removed. Further signals while it unwinds are ignored, so the clean-up
completes. SIGKILL cannot be handled: see :mod:`border_readiness.experiments._runs`.
"""

from __future__ import annotations

import signal
import sys
import threading

__all__ = ["Terminated", "run_guarded"]


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, so that no ``except Exception`` swallows it)."""


def _on_signal(signum, frame) -> None:
    # The clean-up (ending the run, removing temporary folders) is not cut short by a second.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


def run_guarded(func, args) -> int:
    """``func(args)``, with SIGINT and SIGTERM ending it as one line and exit 130 or 143.

    Parameters
    ----------
    func : callable
        A command handler, returning its exit code.
    args : argparse.Namespace
        Its arguments.

    Returns
    -------
    int
        ``func``'s exit code; 130 after SIGINT, 143 after SIGTERM.
    """
    if threading.current_thread() is not threading.main_thread():
        return func(args)  # handlers can only be installed in the main thread
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return func(args)
    except (KeyboardInterrupt, Terminated) as exc:
        name, code = ("SIGINT", 130) if isinstance(exc, KeyboardInterrupt) else ("SIGTERM", 143)
        print(
            f"border-readiness: interrupted ({name}); nothing was registered as complete",
            file=sys.stderr,
        )
        return code
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
