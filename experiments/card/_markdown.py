"""Markdown rendering of the card's blocks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from border_readiness.experiments.card._blocks import _Block, _card_blocks
from border_readiness.experiments.card._format import _fmt, _Todo

if TYPE_CHECKING:
    from border_readiness.experiments.card.data import CardData

# Backslash escapes (CommonMark) keep user text literal: no HTML, emphasis, code or table
# breaks. Brackets are escaped only where they would form a link or image, so intervals such as
# [0.2, 0.8] stay readable as plain text, and underscores only at word edges, so identifiers
# such as p_value stay readable (GitHub does not emphasise intraword underscores).
_MD_SPECIAL = re.compile(r"([\\`*<>|]|!\[|\]\(|(?<!\w)_|_(?!\w))")
_MD_LINE_START = re.compile(r"^(#+|[-+]|\d+\.)(?=\s|$)")


def _md(text: str | _Todo) -> str:
    if isinstance(text, _Todo):
        return f"**{text.text()}**"
    flat = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), _fmt(text))
    # A leading "# ", "- " or "1. " would turn the text into a heading or a list.
    return _MD_LINE_START.sub(_escape_block_start, flat)


def _escape_block_start(match: re.Match[str]) -> str:
    marker = match.group(0)
    # Only punctuation can be backslash-escaped: "1." becomes "1\.", "#" becomes "\#".
    return marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker


def _md_blocks(blocks: Iterable[_Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        tag = block[0]
        if tag == "h":
            out.append(f"{'#' * block[1]} {_md(block[2])}")
        elif tag == "p":
            out.append(_md(block[1]))
        elif tag == "fields":
            out.append("\n".join(f"- **{_md(label)}:** {_md(v)}" for label, v in block[1]))
        elif tag == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in block[1]))
        elif tag == "table":
            _, columns, rows, numeric = block
            lines = [
                "| " + " | ".join(_md(c) for c in columns) + " |",
                "| " + " | ".join("---:" if n else "---" for n in numeric) + " |",
            ]
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif tag == "fig":
            out.append(f"![{_md(block[1].replace('_', ' '))}](figures/{block[1]}.png)")
        elif tag == "toc":
            out.append("**Contents**")
            out.append("\n".join(f"{i}. [{_md(t)}](#{a})" for i, (t, a) in enumerate(block[1], 1)))
    return out


def _render_md(data: CardData) -> bytes:
    title, blocks, _ = _card_blocks(data)
    parts = [f"# {_md(title)}", *_md_blocks(blocks)]
    return ("\n\n".join(parts) + "\n").encode("utf-8")
