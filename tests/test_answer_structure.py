"""The answer structure of how-to pages: a short answer with the configuration first, then how
to verify, then context. Checked in the page sources, so it costs nothing to run:

- the first thing after a how-to page's title is a "Quick answer" admonition (class `tip`) of
  at most 90 words that links to at least one section of the page (the configuration) and to
  the page's verification section;
- the page has a heading that begins "How do I know" (its verification section).

And the deployment patterns (docs/explanation/deployment-patterns.md) are each explained in at
most three sentences."""

from __future__ import annotations

import re

import pytest

from tests.harness.project import ROOT

HOWTO = sorted(p for p in (ROOT / "docs" / "how-to").glob("*.md") if p.name != "index.md")
QUICK = re.compile(r"\A# [^\n]+\n\n:::\{admonition\} Quick answer\n:class: tip\n"
                   r"(?P<body>.*?)\n:::\n", re.S)
VERIFY = re.compile(r"^#{2,4} (How do I know[^\n]*)$", re.M)
LINK = re.compile(r"\]\(#([^)\s]+)\)")


def slug(heading: str) -> str:
    """MyST's heading anchor (myst_heading_anchors), for the headings these pages use."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", HOWTO, ids=lambda p: p.stem)
def test_how_to_page_opens_with_the_answer_and_says_how_to_verify(page):
    text = page.read_text()
    quick = QUICK.match(text)
    assert quick, (f"{page.name}: the first thing after the title must be a Quick answer:\n"
                   ":::{admonition} Quick answer\n:class: tip\n<the answer, with links to "
                   "the configuration and to the verification section>\n:::")
    body = quick["body"]
    assert len(body.split()) <= 90, f"{page.name}: the quick answer is {len(body.split())} words"
    verify = VERIFY.findall(text)
    assert verify, f"{page.name}: no heading beginning 'How do I know' (how to verify)"
    targets = LINK.findall(body)
    assert {slug(v) for v in verify} & set(targets), (
        f"{page.name}: the quick answer does not link to its verification section "
        f"{[slug(v) for v in verify]}")
    anchors = {slug(h) for h in re.findall(r"^#{1,3} (.+)$", text, re.M)}
    assert set(targets) <= anchors, f"{page.name}: no such section: {set(targets) - anchors}"
    assert len(set(targets)) >= 2, f"{page.name}: link the configuration step too"


def test_each_deployment_pattern_in_at_most_three_sentences():
    text = (ROOT / "docs" / "explanation" / "deployment-patterns.md").read_text()
    sections = dict(re.findall(r"^## (.+?)\n\n(.+?)(?=\n\n|\Z)", text, re.M | re.S))
    for pattern in ("Direct", "Corporate proxy", "Gateway", "Proxy and gateway"):
        paragraph = re.sub(r"\{proof\}`[^`]+`|`[^`]+`|\([^)]*\)", "", sections[pattern])
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", paragraph.strip()) if s]
        assert len(sentences) <= 3, (pattern, sentences)
