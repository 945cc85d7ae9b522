"""HTML rendering of the card's blocks, self-contained.

Inline CSS, figures as data URIs, every text escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from border_readiness.experiments.card._blocks import _Block, _card_blocks
from border_readiness.experiments.card._format import _fmt, _Todo

if TYPE_CHECKING:
    from border_readiness.experiments.card.data import CardData

_CSS = """\
body { font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1b1b;
       max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; }
h2 { border-bottom: 2px solid #c8c8c8; padding-bottom: 0.2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1.2rem; font-size: 0.92rem; }
th, td { border: 1px solid #8c8c8c; padding: 0.2rem 0.55rem; text-align: left;
         vertical-align: top; }
th { background: #ececec; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
nav { border: 1px solid #c8c8c8; background: #f6f6f6; padding: 0.4rem 1.2rem;
      display: inline-block; }
mark.todo { background: #ffd966; font-weight: bold; padding: 0 0.2rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; border: 1px solid #c8c8c8; }
"""


def _h(text: str | _Todo) -> str:
    if isinstance(text, _Todo):
        return f'<mark class="todo">{html.escape(text.text())}</mark>'
    return html.escape(_fmt(text))


def _html_blocks(blocks: Iterable[_Block], anchors: list[str], figures: Mapping[str, bytes]):
    out: list[str] = []
    for block, anchor in zip(blocks, anchors, strict=True):
        tag = block[0]
        if tag == "h":
            out.append(f'<h{block[1]} id="{html.escape(anchor)}">{_h(block[2])}</h{block[1]}>')
        elif tag == "p":
            out.append(f"<p>{_h(block[1])}</p>")
        elif tag == "fields":
            items = "".join(f"<li><strong>{_h(k)}:</strong> {_h(v)}</li>" for k, v in block[1])
            out.append(f'<ul class="fields">{items}</ul>')
        elif tag == "ul":
            out.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in block[1]) + "</ul>")
        elif tag == "table":
            _, columns, rows, numeric = block
            head = "".join(f"<th>{_h(c)}</th>" for c in columns)
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td class="num">{_h(c)}</td>' if n else f"<td>{_h(c)}</td>"
                    for c, n in zip(row, numeric, strict=True)
                )
                + "</tr>\n"
                for row in rows
            )
            out.append(
                f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"
            )
        elif tag == "fig":
            name = block[1]
            uri = "data:image/png;base64," + base64.b64encode(figures[name]).decode("ascii")
            caption = _h(name.replace("_", " "))
            out.append(
                f'<figure><img src="{uri}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
        elif tag == "toc":
            items = "".join(
                f'<li><a href="#{html.escape(a)}">{_h(t)}</a></li>' for t, a in block[1]
            )
            out.append(f"<nav><strong>Contents</strong><ol>{items}</ol></nav>")
    return out


def _render_html(data: CardData) -> bytes:
    title, blocks, body_anchors = _card_blocks(data)
    anchors = [""] * (len(blocks) - len(body_anchors)) + body_anchors
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title>",
        f"<style>\n{_CSS}</style>\n</head>",
        "<body>",
        f"<h1>{_h(title)}</h1>",
        *_html_blocks(blocks, anchors, data.figures),
        "</body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")
