"""Phones (390 CSS px): nothing a reader runs or reads as output is cut off.

Threshold, and why: shell commands and observed output must not scroll sideways at all
(1 px for rounding): a pinned version or the end of a command off-screen is how a reader
pastes the wrong thing. Config files (YAML, JSON, nginx templates) may scroll: wrapping them
would blur indentation that carries meaning, and they are copied whole with the button; each
such block must then be reachable by keyboard and named (reader.js). The page itself never
scrolls sideways, and no table runs past the screen: a table wider than the screen keeps its
words whole and scrolls in its own box (tests/site/test_layout.py), which stays on screen."""

from __future__ import annotations

from .conftest import VARIANTS

MEASURE = """() => {
  const blocks = [...document.querySelectorAll(".highlight pre")].map((pre) => {
    const box = pre.closest("[class*='highlight-']");
    return {kind: [...box.classList].find((c) => c.startsWith("highlight-")),
            captured: box.classList.contains("captured"),
            overflow: pre.scrollWidth - pre.clientWidth,
            focusable: pre.getAttribute("tabindex") === "0" && !!pre.getAttribute("aria-label"),
            start: pre.textContent.slice(0, 60)};
  });
  const tables = [...document.querySelectorAll("article table")].map(
    (t) => (t.closest(".table-wrapper") || t).getBoundingClientRect().right
           - document.documentElement.clientWidth);
  return {blocks, tables, page: document.scrollingElement.scrollWidth - innerWidth};
}"""
SHELL = {"highlight-bash", "highlight-console"}


def test_nothing_is_cut_off_on_a_phone(chromium, site_url, site_pages):
    context = chromium.new_context(**VARIANTS["light-390"])
    page = context.new_page()
    cut, scrolling = [], 0
    try:
        for rel in site_pages:
            page.goto(site_url + rel)
            seen = page.evaluate(MEASURE)
            if seen["page"] > 1:
                cut.append(f"{rel}: the page scrolls sideways by {seen['page']} px")
            cut += [f"{rel}: a table runs {over:.0f} px past the screen"
                    for over in seen["tables"] if over > 1]
            for b in seen["blocks"]:
                if b["overflow"] <= 1:
                    continue
                if b["captured"] or b["kind"] in SHELL:
                    cut.append(f"{rel}: {b['kind']} block cut by {b['overflow']} px: "
                               f"{b['start']!r}")
                elif not b["focusable"]:
                    cut.append(f"{rel}: a sideways-scrolling {b['kind']} block is not "
                               f"reachable by keyboard: {b['start']!r}")
                else:
                    scrolling += 1
    finally:
        context.close()
    print(f"{len(site_pages)} pages at 390 px: {scrolling} config blocks scroll sideways")
    assert not cut, "cut off on a phone:\n" + "\n".join(cut)
