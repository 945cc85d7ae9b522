"""The HTML model card, opened in a real browser (issue 15, item 4).

Headless Chromium (Debian's ``chromium``; ``.ci/run`` installs it when missing) loads the card
with a probe script appended to a copy of the page. The probe waits for the page's ``load``
event and writes what it measured into the DOM, which ``--dump-dom`` prints: the summary
first, with its map shown; every figure decoded (natural width > 0); the page no wider than the
window (no horizontal overflow); and every contents link pointing at an element that exists and
scrolls it into view. Where no
Chromium can be found the test is skipped and says why.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CARD = Path(__file__).resolve().parents[1] / "models/border-readiness/v1/MODEL_CARD.html"

# Runs after every image has loaded or failed ("load" waits for both); reports in a <pre>.
PROBE = """
<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const links = Array.from(document.querySelectorAll('nav a[href^="#"]'));
  const targets = links.map((a) => {
    const id = decodeURIComponent(a.getAttribute("href").slice(1));
    const el = document.getElementById(id);
    if (!el) return {id: id, found: false, reached: false};
    a.click();  // the browser's own navigation to the fragment
    const top = el.getBoundingClientRect().top;
    // At the target, or as far down as the page goes (the last sections cannot reach the top).
    const end = document.documentElement.scrollHeight - 2;
    const bottom = window.innerHeight + window.scrollY >= end;
    const reached = location.hash === "#" + id && (Math.abs(top) < 2 || bottom);
    return {id: id, found: true, reached: reached};
  });
  window.scrollTo(0, 0);
  const summaryMap = document.querySelector(".summary-map img");
  const firstSection = document.querySelector("h2");
  const out = {
    firstSection: firstSection ? firstSection.id : null,
    summaryMapWidth: summaryMap ? summaryMap.naturalWidth : 0,
    images: imgs.map((i) => ({alt: i.alt, width: i.naturalWidth, complete: i.complete})),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    links: targets,
  };
  const pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _probe(html: Path, tmp_path: Path, width: int) -> dict:
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium on PATH (install Debian's chromium: apt-get install chromium)")
    page = tmp_path / f"probe_{width}.html"
    text = html.read_text(encoding="utf-8")
    page.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",  # CI runs as root in a container
        "--disable-gpu",
        f"--user-data-dir={tmp_path / f'profile_{width}'}",
        f"--window-size={width},900",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the probe did not report; chromium said:\n{done.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 800])
def test_the_card_renders_in_chromium(tmp_path, width):
    result = _probe(CARD, tmp_path, width)
    # The card leads with the findings: its first section is the summary, with a map shown.
    assert result["firstSection"] == "summary" and result["summaryMapWidth"] > 0, result
    images = result["images"]
    assert images, "the card has no figure"
    broken = [i["alt"] for i in images if not (i["complete"] and i["width"] > 0)]
    assert not broken, f"figures that did not load: {broken}"
    # No horizontal overflow of the page: wide tables must wrap or scroll inside themselves.
    assert result["scrollWidth"] <= result["innerWidth"], result
    links = result["links"]
    assert len(links) >= 5, links
    assert all(t["found"] for t in links), [t["id"] for t in links if not t["found"]]
    assert all(t["reached"] for t in links), [t["id"] for t in links if not t["reached"]]


@pytest.mark.slow
def test_the_probe_catches_a_broken_figure_and_an_overflow(tmp_path):
    # The checks above can fail: a card with a broken image, a page-wide table and a dead link.
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><nav><a href='#nowhere'>x</a></nav>"
        "<img alt='broken' src='data:image/png;base64,AAAA'>"
        "<table><tr><td style='white-space:nowrap'>" + "wide " * 400 + "</td></tr></table>"
        "</body></html>",
        encoding="utf-8",
    )
    result = _probe(bad, tmp_path, 800)
    assert result["images"][0]["width"] == 0
    assert result["firstSection"] is None and result["summaryMapWidth"] == 0
    assert result["scrollWidth"] > result["innerWidth"]
    assert result["links"] == [{"id": "nowhere", "found": False, "reached": False}]
