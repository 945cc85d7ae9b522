"""The card's Markdown and HTML from Jinja2 templates (``templates/`` beside this module).

Both templates read the blocks of :mod:`._blocks`. The HTML environment escapes every value
(autoescape on); the Markdown one escapes with CommonMark backslashes instead. In both, text
between backticks is inline code: a ``<code>`` element in the HTML, a code span in the
Markdown, so no backtick shows literally. The CSS lives in one place, ``templates/card.css``,
included into the page's ``<style>``. Rendering is deterministic: the same blocks give the same
bytes.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from border_readiness.experiments.card._blocks import _Block, _card_blocks
from border_readiness.experiments.card._format import _fmt, _Todo

if TYPE_CHECKING:
    import jinja2

    from border_readiness.experiments.card.data import CardData

_CODE = re.compile(r"`([^`\n]+)`")

# Backslash escapes (CommonMark) keep user text literal: no HTML, emphasis, code or table
# breaks. Brackets are escaped only where they would form a link or image, so intervals such as
# [0.2, 0.8] stay readable as plain text, and underscores only at word edges, so identifiers
# such as p_value stay readable (GitHub does not emphasise intraword underscores).
_MD_SPECIAL = re.compile(r"([\\`*<>|]|!\[|\]\(|(?<!\w)_|_(?!\w))")
_MD_LINE_START = re.compile(r"^(#+|[-+]|\d+\.)(?=\s|$)")


def _escape_block_start(match: re.Match[str]) -> str:
    marker = match.group(0)
    # Only punctuation can be backslash-escaped: "1." becomes "1\.", "#" becomes "\#".
    return marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker


def _md(text: str | _Todo | Any) -> str:
    if isinstance(text, _Todo):
        return f"**{text.text()}**"
    flat, out, last = _fmt(text), [], 0
    for m in _CODE.finditer(flat):
        out.append(_MD_SPECIAL.sub(lambda s: "\\" + s.group(0), flat[last : m.start()]))
        # A code span shows its text literally; only a pipe would still end a table cell.
        out.append("`" + m.group(1).replace("|", "\\|") + "`")
        last = m.end()
    out.append(_MD_SPECIAL.sub(lambda s: "\\" + s.group(0), flat[last:]))
    # A leading "# ", "- " or "1. " would turn the text into a heading or a list.
    return _MD_LINE_START.sub(_escape_block_start, "".join(out))


def _inline(text: str | _Todo | Any) -> Markup:
    if isinstance(text, _Todo):
        return Markup('<mark class="todo">{}</mark>').format(text.text())
    flat, out, last = _fmt(text), Markup(""), 0
    for m in _CODE.finditer(flat):
        out += escape(flat[last : m.start()]) + Markup("<code>{}</code>").format(m.group(1))
        last = m.end()
    return out + escape(flat[last:])


def _plain(text: str | _Todo | Any) -> str:
    """Text without code marks, for attributes such as an image's ``alt``."""
    return _CODE.sub(r"\1", text.text() if isinstance(text, _Todo) else _fmt(text))


def _flat(blocks: list[_Block]) -> list[_Block]:
    out: list[_Block] = []
    for b in blocks:
        out.extend(_flat(b[2]) if b[0] == "div" else [b])
    return out


@cache
def _environment(kind: str) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("border_readiness.experiments.card", "templates"),
        autoescape=kind == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=_md, inline=_inline, plain=_plain)
    return env


def _render_md(data: CardData) -> bytes:
    title, blocks = _card_blocks(data)
    template = _environment("md").get_template("card.md.j2")
    return template.render(title=title, blocks=_flat(blocks)).encode("utf-8")


def _render_html(data: CardData) -> bytes:
    title, blocks = _card_blocks(data)
    uris = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for name, png in data.figures.items()
    }
    template = _environment("html").get_template("card.html.j2")
    return template.render(title=title, blocks=blocks, uris=uris).encode("utf-8")
