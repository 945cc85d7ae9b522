"""Progress on long work: timed lines on stderr, and bars for replicate loops on a terminal."""

from __future__ import annotations

import sys
import time

__all__ = ["ProgressPrinter", "progress_printer"]


class ProgressPrinter:
    """Timed progress lines on stderr, and progress bars for replicate loops.

    ``say("message")`` prints ``[  3.0s] message``; ``say.bar(label)`` returns a
    ``callback(done, total)`` that drives a tqdm bar on stderr, shown only on a terminal (logs
    and pipes get the timed lines alone). ``quiet`` silences both.
    """

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:5.1f}s] {msg}", file=sys.stderr, flush=True)

    def bar(self, label: str):
        if self.quiet or not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        state: dict = {}

        def update(done: int, total: int) -> None:
            if "bar" not in state:
                state["bar"] = tqdm(total=total, desc=f"        {label}", leave=False, unit="rep")
            state["bar"].update(done - state["bar"].n)
            if done >= total:
                state["bar"].close()

        return update


def progress_printer(quiet: bool) -> ProgressPrinter:
    """A :class:`ProgressPrinter` (silent with --quiet)."""
    return ProgressPrinter(quiet)
