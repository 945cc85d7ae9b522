"""Builders shared by several case files: the bundled data and small files written from it."""

from __future__ import annotations

from pathlib import Path

from _catalogue import builder


@builder
def nothing(tmp: Path) -> dict[str, str]:
    """No input file: the case's arguments say it all."""
    return {}


@builder
def text_file(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> dict[str, str]:
    """A file ``tmp/in/<name>`` holding ``text`` (``{file}``)."""
    path = tmp / "in" / name
    path.write_bytes(text.encode(encoding))
    return {"file": str(path)}
