"""Progress output: timed lines on stderr, bars only on a terminal, silence with --quiet."""

from __future__ import annotations

import io
import re

from border_readiness.experiments._progress import ProgressPrinter


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_are_timed_and_quiet_silences_them(monkeypatch, capsys):
    ProgressPrinter(quiet=False)("bootstrap stability, B = 1000")
    assert re.fullmatch(r"\[\s*\d+\.\ds\] bootstrap stability, B = 1000\n", capsys.readouterr().err)
    ProgressPrinter(quiet=True)("anything")
    assert capsys.readouterr().err == ""


def test_bars_only_on_a_terminal_and_never_when_quiet(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert ProgressPrinter(quiet=False).bar("consensus") is None  # a log file or pipe
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert ProgressPrinter(quiet=True).bar("consensus") is None
    update = ProgressPrinter(quiet=False).bar("consensus")
    for done in (10, 20, 30):
        update(done, 30)
    shown = terminal.getvalue()
    assert "consensus" in shown and "/30 [" in shown  # tqdm throttles redraws of fast updates
