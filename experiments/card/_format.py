"""Formatting of numbers, cells and ``TODO:`` marks, shared by the renderers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from border_readiness.experiments.card.schema import PERSON_FIELDS


def _fmt_number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if value == 0 or 0.001 <= abs(value) < 1e6:
        return f"{value:.3f}"
    return f"{value:.3g}"  # tiny p-values and huge indices stay readable


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
    return _fmt(value)


@dataclass(frozen=True)
class _Todo:
    path: str

    def text(self) -> str:
        return f"TODO: {PERSON_FIELDS[self.path]} [{self.path}]"
