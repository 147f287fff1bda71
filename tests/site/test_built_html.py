"""The built site as files: no unexpanded MyST (raw `{{ … }}` substitutions, directive or role
syntax) in what readers see; every internal link and anchor resolves; and the files a host,
a search engine or a tool reads are there (llms.txt, a markdown copy of every page, sitemap,
canonical and OpenGraph tags, 404 page, a "last verified" line on every page)."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.harness.project import CLAUDE_CODE_VERSION, LITELLM_VERSION, ROOT

RAW_MYST = [
    # A MyST substitution names a key ({{ litellm_version }}); Go templates in the reader's
    # docker commands ({{.State.Health.Status}}) are the snippet's own bytes.
    (re.compile(r"\{\{\s*[A-Za-z_]\w*\s*\}\}"), "an unexpanded substitution"),
    (re.compile(r"\{(?:literalinclude|include|toctree|code-block|note|warning|proof|ref|doc)\}"),
     "MyST directive or role syntax"),
    (re.compile(r"^(?:```|:::)", re.M), "a MyST fence"),
]


@pytest.fixture(scope="module")
def soups(site_build, site_pages) -> dict[str, BeautifulSoup]:
    return {rel: BeautifulSoup((site_build / rel).read_text(), "html.parser")
            for rel in site_pages}


def visible_text(soup: BeautifulSoup) -> str:
    article = soup.find("article") or soup.body
    for hidden in article.find_all(["script", "style"]):
        hidden.decompose()
    return article.get_text()


# Only the pages about the proof may name tests in their text; everywhere else a proven
# sentence carries a check mark whose title names the test, and the search index holds none.
ABOUT_THE_PROOF = ("explanation/how-this-site-is-tested.html", "explanation/evidence.html")
TEST_NAME = re.compile(r"\btest_\w+|\btests/[\w/]+\.py")


def test_no_test_name_in_the_reading_text_or_the_search_index(site_build, soups):
    found = [f"{rel}: {m.group(0)}" for rel, soup in soups.items() if rel not in ABOUT_THE_PROOF
             for m in TEST_NAME.finditer(visible_text(soup))]
    text = (site_build / "searchindex.js").read_text()
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    for kind in ("terms", "titleterms"):  # a term with no page is a reused build's leftover
        found += [f"searchindex.js: {term} ({kind})" for term, docs in index[kind].items()
                  if term.startswith("test_") and docs not in ([], None)]
    assert not found, f"{len(found)} test names where readers read or search:\n" + \
        "\n".join(found[:60])


def test_no_raw_myst_on_any_page(soups):
    found = [f"{rel}: {what}: {m.group(0)!r}"
             for rel, soup in soups.items() for pattern, what in RAW_MYST
             for m in pattern.finditer(visible_text(soup))]
    assert not found, "MyST the build did not expand:\n" + "\n".join(found)


def test_the_check_catches_a_raw_substitution():
    soup = BeautifulSoup("<article><code>{{ litellm_version }}</code></article>", "html.parser")
    assert RAW_MYST[0][0].search(visible_text(soup))


def test_every_internal_link_and_anchor_resolves(site_build, soups):
    ids = {rel: {t["id"] for t in soup.find_all(id=True)} for rel, soup in soups.items()}
    broken = []
    for rel, soup in soups.items():
        for a in soup.find_all("a", href=True):
            url = urlsplit(a["href"])
            if url.scheme or url.netloc or a["href"].startswith("mailto:"):
                continue
            if url.path.startswith("/"):  # 404.html: from the site root (a "/" base URL)
                target = Path(unquote(url.path).lstrip("/"))
            else:
                target = (Path(rel).parent / unquote(url.path)) if url.path else Path(rel)
            target = Path(*[p for p in target.parts if p != "."])
            parts = []
            for p in target.parts:
                parts = parts[:-1] if p == ".." else [*parts, p]
            target_rel = "/".join(parts)
            if (site_build / target_rel).is_dir():
                target_rel = f"{target_rel}/index.html".lstrip("/")
            if not (site_build / target_rel).is_file():
                broken.append(f"{rel}: {a['href']} (no file {target_rel})")
            elif url.fragment and target_rel in ids and unquote(url.fragment) not in ids[
                    target_rel]:
                broken.append(f"{rel}: {a['href']} (no anchor #{url.fragment})")
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken)


def test_llms_txt_lists_a_markdown_copy_of_every_page(site_build, site_pages):
    if not (site_build / "index.md").exists():
        pytest.fail(f"no markdown copies in {site_build}: build with nox (build_docs runs the "
                    "markdown builder too)")
    listed = re.findall(r"\]\(([^)]+\.md)\)", (site_build / "llms.txt").read_text())
    base = urlsplit(listed[0]).path.rsplit("/", 1)[0] if listed else ""
    copies = {urlsplit(u).path.removeprefix(base).lstrip("/") for u in listed}
    pages = {p.removesuffix(".html") + ".md" for p in site_pages
             if p not in ("genindex.html", "search.html", "404.html")}
    assert pages <= copies, f"pages missing from llms.txt: {sorted(pages - copies)}"
    for md in pages:
        text = (site_build / md).read_text()
        assert text.startswith("# "), f"{md} is not a markdown copy of its page"
        assert not RAW_MYST[0][0].search(text), f"{md} holds an unexpanded substitution"


def test_sitemap_lists_every_page_under_the_base_url(site_build, site_pages):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ET.parse(site_build / "sitemap.xml").findall(".//s:loc", ns)]
    content = [p for p in site_pages if p not in ("genindex.html", "search.html", "404.html")]
    assert {loc.rsplit("/", 1)[-1] for loc in locs} >= {Path(p).name for p in content}
    assert len(locs) == len(content)


def test_every_page_has_canonical_opengraph_and_last_verified(soups):
    missing = []
    for rel, soup in soups.items():
        if rel in ("genindex.html", "search.html", "404.html"):
            continue
        canonical = soup.find("link", rel="canonical")
        if not canonical or not canonical["href"].endswith(rel):
            missing.append(f"{rel}: canonical link")
        for prop in ("og:title", "og:url", "og:description"):
            if not soup.find("meta", property=prop):
                missing.append(f"{rel}: {prop}")
        line = soup.find(class_="last-verified")
        if not line or LITELLM_VERSION not in line.text or CLAUDE_CODE_VERSION not in line.text:
            missing.append(f"{rel}: last-verified line with the pinned versions")
    assert not missing, "\n".join(missing)


def test_404_page_links_from_the_site_root(site_build):
    soup = BeautifulSoup((site_build / "404.html").read_text(), "html.parser")
    assert "Page not found" in soup.title.text
    hrefs = [a["href"] for a in soup.select("article a[href]")]
    assert hrefs and all(h.startswith(("/", "http")) for h in hrefs), hrefs


def _last_verified():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import last_verified
    return last_verified


def test_the_pages_say_verified_only_for_the_files_a_passing_run_recorded(tmp_path):
    """The line on every page: verified (the record's digest is of these files), changed
    since (a page changed after the run), not verified (no record)."""
    lv = _last_verified()
    (tmp_path / "docs").mkdir()
    (tmp_path / "conf").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# A page\n")
    records = tmp_path / "records"
    records.mkdir()
    (records / "passed.1.jsonl").write_text('"t::a"\n"t::b"\n')
    (records / "passed.2.jsonl").write_text('"t::b"\n"t::c"\n')
    claims = tmp_path / "claims.json"
    claims.write_text('[{"test": "a"}]')
    versions = {"LiteLLM": "1.0", "Claude Code": "2.0"}
    assert lv.state(tmp_path) == ("none", None)
    assert "Not verified" in lv.sentence("none", None, versions, "how.html")

    record = lv.write("2026-12-01", versions, records, claims, root=tmp_path)
    assert record["tests_passed"] == 3 and record["proof_marks"] == 1
    kind, read = lv.state(tmp_path)
    assert kind == "verified" and read == record
    line = lv.sentence(kind, read, versions, "how.html")
    assert line.startswith('Verified on <time class="verified-on" datetime="2026-12-01">')
    assert "LiteLLM 1.0 and Claude Code 2.0: 3 tests" in line

    (tmp_path / "docs" / "page.md").write_text("# A page, edited after the run\n")
    kind, read = lv.state(tmp_path)
    assert kind == "changed"
    assert lv.sentence(kind, read, versions, "how.html").startswith("Changed since the proof run")
    # The record itself, built output and caches are not inputs.
    before = lv.digest(tmp_path)
    (tmp_path / "docs" / "_build").mkdir()
    (tmp_path / "docs" / "_build" / "x.html").write_text("built")
    (tmp_path / "conf" / "last-verified.json").write_text("{}")
    assert lv.digest(tmp_path) == before
