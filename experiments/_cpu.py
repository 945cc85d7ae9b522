"""CPU seconds per stage of a run, next to the wall seconds.

Wall times on a shared machine measure the neighbours as much as the run; CPU time does not.
:func:`cpu_seconds` is the process's user and system time plus that of the child processes it
has waited for (joblib's process workers once they are shut down), so a stage's figure does
not depend on how many other jobs share the cores.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

__all__ = ["StageClock", "cpu_seconds"]


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its reaped children so far.

    Returns
    -------
    float

    Examples
    --------
    >>> before = cpu_seconds()
    >>> _ = sum(i * i for i in range(10_000))
    >>> cpu_seconds() >= before
    True
    """
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class StageClock:
    """Accumulates wall and CPU seconds under stage keys (``<stage>_s``).

    Parameters
    ----------
    wall, cpu : dict, optional
        The dicts to add to (a new one each by default); a key seen twice adds up.

    Examples
    --------
    >>> clock = StageClock()
    >>> with clock("score_s"):
    ...     _ = sum(range(1000))
    >>> sorted(clock.cpu) == sorted(clock.wall) == ["score_s"]
    True
    """

    def __init__(self, wall: dict | None = None, cpu: dict | None = None) -> None:
        self.wall = {} if wall is None else wall
        self.cpu = {} if cpu is None else cpu
        self._last = (time.perf_counter(), cpu_seconds())

    def lap(self, key: str) -> None:
        """Add the time since the previous lap (or since the clock started) under ``key``.

        One call marks the end of a stage, so a long function is timed stage by stage
        without re-indenting it.

        Parameters
        ----------
        key : str
        """
        now = (time.perf_counter(), cpu_seconds())
        self.wall[key] = self.wall.get(key, 0.0) + now[0] - self._last[0]
        self.cpu[key] = self.cpu.get(key, 0.0) + now[1] - self._last[1]
        self._last = now

    @contextmanager
    def __call__(self, key: str):
        """Time the ``with`` block under ``key``."""
        w0, c0 = time.perf_counter(), cpu_seconds()
        try:
            yield
        finally:
            self.wall[key] = self.wall.get(key, 0.0) + time.perf_counter() - w0
            self.cpu[key] = self.cpu.get(key, 0.0) + cpu_seconds() - c0


def cpu_metrics(steps: dict, record: StageClock) -> dict:
    """The MLflow metrics of one run's clocks.

    Parameters
    ----------
    steps : dict
        CPU seconds per analysis step (``Analysis.cpu``).
    record : StageClock
        The tracking stages' laps.

    Returns
    -------
    dict
        ``cpu.<step>_s`` per step, ``cpu.record.<stage>_s`` and ``time.record.<stage>_s``
        per tracking stage, and ``cpu.tracking_s``, their sum.

    Examples
    --------
    >>> clock = StageClock()
    >>> clock.lap("card")
    >>> sorted(cpu_metrics({"score_s": 1.0}, clock))
    ['cpu.record.card_s', 'cpu.score_s', 'cpu.tracking_s', 'time.record.card_s']
    """
    out = {f"cpu.{k}": v for k, v in steps.items()}
    out.update({f"cpu.record.{k}_s": v for k, v in record.cpu.items()})
    out.update({f"time.record.{k}_s": v for k, v in record.wall.items()})
    out["cpu.tracking_s"] = sum(record.cpu.values())
    return out
