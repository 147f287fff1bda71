"""Advice the proof cannot run is marked and cited: every "not run here" block on the built site
(docs/_ext/not_run_here.py) names an http(s) source, in its notice and in not-run-here.json,
and no page shows such a block that the directive did not make (a hand-made admonition with
the class, or raw HTML). The judging function is checked on planted HTML as well, so a guard
that finds nothing cannot pass unnoticed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup

from tests.harness.project import ROOT

CLASS = "not-run-here"


def unsourced(html: str) -> list[str]:
    """Why each not-run-here block in one page's HTML fails: no notice, or no http(s) link
    in it. Empty when every block names its source."""
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    for i, block in enumerate(soup.select(f".{CLASS}"), 1):
        notice = block.select_one(f".{CLASS}-source")
        said = notice.get_text().replace("\u2019", "'") if notice else ""  # smart quotes
        if "Not run by this site's proof:" not in said:
            problems.append(f"block {i}: no \"Not run by this site's proof\" notice")
            continue
        links = [a["href"] for a in notice.find_all("a", href=True)
                 if a["href"].startswith(("https://", "http://"))]
        if not links:
            problems.append(f"block {i}: its notice links no source")
    return problems


def pages(build: Path) -> dict[str, str]:
    return {str(p.relative_to(build)): p.read_text() for p in sorted(build.rglob("*.html"))
            if not p.relative_to(build).parts[0].startswith("_")}


def test_every_not_run_here_block_names_its_source(site_build):
    listed = json.loads((site_build / "not-run-here.json").read_text())
    assert listed, "the built site has no not-run-here block: is the extension on?"
    assert all(entry["sources"] and all(u.startswith(("https://", "http://"))
                                        for u in entry["sources"]) for entry in listed), listed
    shown = {rel: html for rel, html in pages(site_build).items() if CLASS in html}
    problems = [f"{rel}: {why}" for rel, html in shown.items() for why in unsourced(html)]
    assert not problems, "not-run-here blocks without a source:\n" + "\n".join(problems)
    # Every block shown was made by the directive (each is listed, so each had :source:).
    per_page = {}
    for entry in listed:
        per_page[f"{entry['page']}.html"] = per_page.get(f"{entry['page']}.html", 0) + 1
    counted = {rel: len(BeautifulSoup(html, "html.parser").select(f".{CLASS}"))
               for rel, html in shown.items()}
    assert counted == per_page, (counted, per_page)


def test_the_judgement_names_a_block_without_a_source():
    made = ('<div class="admonition not-run-here caution"><p class="admonition-title">Not run '
            'here</p><p class="not-run-here-source"><strong>Not run by this site\'s proof:'
            '</strong> why. Source: <a href="https://docs.litellm.ai/docs/proxy/virtual_keys">'
            'x</a>.</p></div>')
    by_hand = '<div class="admonition not-run-here"><p>advice, no source</p></div>'
    no_link = made.replace('<a href="https://docs.litellm.ai/docs/proxy/virtual_keys">x</a>',
                           "somewhere")
    assert unsourced(made) == []
    assert unsourced(by_hand) == ["block 1: no \"Not run by this site's proof\" notice"]
    assert unsourced(made + no_link) == ["block 2: its notice links no source"]


def test_the_directive_refuses_a_block_without_a_source(tmp_path):
    """A block written without :source: (or with something that is not a URL) stops the
    build, whose warnings are errors."""
    (tmp_path / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'not_run_here']\n"
        "myst_enable_extensions = ['colon_fence']\n")
    cases = {"missing": ":reason: no database here\n",
             "not-a-url": ":reason: no database here\n:source: docs.litellm.ai\n",
             "sourced": ":reason: no database here\n:source: https://docs.litellm.ai/\n"}
    toc = "\n".join(cases)
    (tmp_path / "index.md").write_text(f"# Plants\n\n```{{toctree}}\n{toc}\n```\n")
    for name, options in cases.items():
        (tmp_path / f"{name}.md").write_text(
            f"# {name}\n\n:::{{not-run-here}}\n{options}\nAdvice.\n:::\n")
    out = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(tmp_path),
                          str(tmp_path / "_build")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr  # errors are reported, and the build goes on
    said = out.stderr
    assert "missing.md" in said and ":source: is required" in said, said
    assert "not-a-url.md" in said and "is not an http(s) URL" in said, said
    assert "sourced.md" not in said, said
    listed = json.loads((tmp_path / "_build" / "not-run-here.json").read_text())
    assert [e["page"] for e in listed] == ["sourced"], listed
