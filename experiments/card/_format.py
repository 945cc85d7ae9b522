"""Formatting of numbers, cells and ``TODO:`` marks, shared by the renderers.

Numbers are formatted for reading: a whole number prints without decimals (``8``, never
``8.000``), a rank as an integer or a half (``4.5``, ties average their ranks), a readiness
score (0–100) to one decimal, and any other fraction to three decimals (ARIs, p-values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from border_readiness.experiments.card.schema import PERSON_FIELDS

# Column names whose numbers are ranks (1..n, halves for ties) or 0–100 scores.
_RANK_COLUMN = re.compile(r"(^|_)rank(_|$)|(^|_)width$")
_SCORE_COLUMN = re.compile(r"(^|_)score(_|$)")


def _fmt_number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if value == 0 or 0.001 <= abs(value) < 1e6:
        return f"{value:.3f}"
    return f"{value:.3g}"  # tiny p-values and huge indices stay readable


def _fmt_rank(value: float | int) -> str:
    # Ranks are integers, or halves where tied regions share a rank; a percentile of the
    # replicate ranks is rounded to the nearest half so it reads the same way.
    half = round(float(value) * 2) / 2
    return str(int(half)) if half.is_integer() else f"{half:.1f}"


def _fmt_score(value: float | int) -> str:
    return f"{float(value):.1f}"


def _column_kind(name: str) -> str:
    """``"rank"``, ``"score"`` or ``"cell"``: how the numbers of a column named ``name`` read."""
    if _RANK_COLUMN.search(name):
        return "rank"
    if _SCORE_COLUMN.search(name):
        return "score"
    return "cell"


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _fmt_number(value)
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return " ".join(str(value).split())  # newlines would break tables and lists


def _fmt_cell(kind: str, value: Any) -> str:
    if kind == "interval?":
        if value is None or value[0] is None:
            return "n/a"
        return f"[{_fmt(value[0])}, {_fmt(value[1])}]"
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and kind == "rank":
        return _fmt_rank(value)
    if number and kind == "score":
        return _fmt_score(value)
    return _fmt(value)


@dataclass(frozen=True)
class _Todo:
    path: str

    def text(self) -> str:
        return f"TODO: {PERSON_FIELDS[self.path]} [{self.path}]"
