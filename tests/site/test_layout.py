"""Layout a reader can read, at 1280 and 390 px, on every page:

- no table cell breaks inside a word: each word (Unicode word segmentation: `per-developer`
  may wrap at its hyphen and a path at its `/`, `ANTHROPIC_DEFAULT_SONNET_MODEL` or `gateway`
  never) sits on one line; a table too wide for the screen scrolls sideways in its own
  container instead, which must then be reachable by keyboard and named (reader.js);
- no heading ends in an empty line: the hidden header link (¶) never wraps onto a line of
  its own under a long heading;
- on a phone, where copy buttons always show, no copy button covers the first line of the
  code it copies;
- a file the text names is a link: each snippet named as inline code leads to the block that
  shows it (docs/_ext/snippet_links.py), and each page choosing-a-setup tells a reader to read
  first is a link to it.

One browser context per width, one script per page measures everything."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.harness.project import SNIPPETS

from .conftest import VARIANTS

MEASURE = """(phone) => {
  const found = {words: [], headings: [], buttons: [], scrolling: []};
  const lines = (rects) => {  // distinct lines a list of rects sits on
    const tops = [...rects].filter((r) => r.width > 0).map((r) => r.top).sort((a, b) => a - b);
    return tops.filter((t, i) => i === 0 || t - tops[i - 1] > 2).length;
  };
  const segmenter = new Intl.Segmenter("en", {granularity: "word"});
  for (const table of document.querySelectorAll("article table.docutils")) {
    const box = table.closest(".table-wrapper") || table.parentElement;
    if (box.scrollWidth > box.clientWidth + 1) {
      found.scrolling.push({focusable: box.getAttribute("tabindex") === "0"
                                       && !!box.getAttribute("aria-label"),
                            start: table.textContent.trim().slice(0, 60)});
    }
    for (const cell of table.querySelectorAll("td, th")) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const {segment, index, isWordLike} of segmenter.segment(node.data)) {
          if (!isWordLike || segment.length < 2) continue;
          const range = document.createRange();
          range.setStart(node, index);
          range.setEnd(node, index + segment.length);
          if (lines(range.getClientRects()) > 1) {
            found.words.push({word: segment, cell: cell.textContent.trim().slice(0, 60)});
          }
        }
      }
    }
  }
  for (const h of document.querySelectorAll("article :is(h1, h2, h3, h4, h5, h6)")) {
    const link = h.querySelector(":scope > a.headerlink");
    if (!link) continue;
    const text = document.createRange();
    text.setStart(h, 0);
    text.setEndBefore(link);
    const bottom = Math.max(...[...text.getClientRects()].filter((r) => r.width > 0)
                                                            .map((r) => r.bottom));
    const mark = link.getBoundingClientRect();
    if (mark.top + mark.height / 2 > bottom) {
      found.headings.push({heading: text.toString().trim(), lines: lines(text.getClientRects()),
                           height: h.getBoundingClientRect().height});
    }
  }
  if (phone) {
    for (const button of document.querySelectorAll("button.copybtn")) {
      const pre = document.querySelector(button.dataset.clipboardTarget);
      const all = document.createRange();
      all.selectNodeContents(pre);
      const rects = [...all.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (!rects.length) continue;
      const top = Math.min(...rects.map((r) => r.top));
      const visible = pre.getBoundingClientRect();
      const b = button.getBoundingClientRect();
      const covered = rects.filter((r) => r.top < top + 2).some((r) =>
        Math.max(r.left, visible.left, b.left) < Math.min(r.right, visible.right, b.right)
        && Math.max(r.top, b.top) < Math.min(r.bottom, b.bottom));
      if (covered) found.buttons.push(pre.textContent.split("\\n")[0].slice(0, 60));
    }
  }
  return found;
}"""


@pytest.mark.parametrize("variant", ["light-1280", "light-390"])
def test_words_headings_and_copy_buttons_keep_their_place(chromium, site_url, site_pages,
                                                          variant):
    phone = VARIANTS[variant]["is_mobile"]
    context = chromium.new_context(**VARIANTS[variant])
    page = context.new_page()
    wrong, scrolling = [], 0
    try:
        for rel in site_pages:
            page.goto(site_url + rel)
            seen = page.evaluate(MEASURE, phone)
            wrong += [f"{rel}: a table cell breaks {w['word']!r} across lines: {w['cell']!r}"
                      for w in seen["words"]]
            wrong += [f"{rel}: heading {h['heading']!r} ends in an empty line (the header "
                      f"link wrapped; {h['lines']} line(s) of text, {h['height']:.0f} px)"
                      for h in seen["headings"]]
            wrong += [f"{rel}: the copy button covers the first line of {line!r}"
                      for line in seen["buttons"]]
            wrong += [f"{rel}: a table that scrolls sideways is not reachable by keyboard: "
                      f"{t['start']!r}" for t in seen["scrolling"] if not t["focusable"]]
            scrolling += len(seen["scrolling"])
    finally:
        context.close()
    print(f"{len(site_pages)} pages at {variant}: {scrolling} tables scroll sideways")
    assert not wrong, f"layout at {variant}:\n" + "\n".join(wrong)


def test_named_snippets_and_pages_are_links(site_build, site_pages):
    names = {p.relative_to(SNIPPETS).as_posix(): p.read_text().strip().splitlines()[0]
             for p in SNIPPETS.rglob("*") if p.is_file() and p.read_text().strip()}
    soups = {rel: BeautifulSoup((site_build / rel).read_text(), "html.parser")
             for rel in site_pages}
    wrong, linked = [], 0
    for rel, soup in soups.items():
        for code in soup.find("article").find_all("code", class_="literal"):
            name = code.get_text().removeprefix("snippets/")
            if name not in names:
                continue
            link = code.find_parent("a")
            if link is None:
                wrong.append(f"{rel}: {name} is named but not linked")
                continue
            url = urlsplit(link["href"])
            page = (site_build / rel).parent.joinpath(url.path).resolve() if url.path else (
                site_build / rel)
            target = soups[str(page.relative_to(site_build))].find(id=url.fragment)
            while target is not None and not target.get_text().strip():
                target = target.parent  # a block's second id is an empty span inside it
            if target is None or names[name] not in target.get_text():
                wrong.append(f"{rel}: {name} links to {link['href']}, which does not show it")
            linked += 1
    setup = soups["explanation/choosing-a-setup.html"]
    tables = [t for t in setup.find_all("table")
              if "Read first" in [th.get_text(strip=True) for th in t.find_all("th")]]
    assert tables, "choosing-a-setup has no table with a Read first column"
    for table in tables:
        column = [th.get_text(strip=True) for th in table.find_all("th")].index("Read first")
        for row in table.find("tbody").find_all("tr"):
            cell = row.find_all("td")[column]
            if cell.find("a", href=True) is None:
                wrong.append(f"choosing-a-setup: Read first {cell.get_text(strip=True)!r} is "
                             "not a link")
    print(f"{linked} snippet names link to the block that shows them")
    assert linked, "no snippet named on any page"
    assert not wrong, "named but not linked:\n" + "\n".join(wrong)
