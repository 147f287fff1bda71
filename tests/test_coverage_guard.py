"""Nothing uncovered: every code block in the built site is either a snippet a test ran, a
captured output a test compared, or an inline block Sybil checked in this same run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness import captures, snippets, static_checks
from tests.harness.project import CAPTURED, ROOT, SNIPPETS


@pytest.fixture(scope="module")
def site_blocks(site_build) -> list[dict]:
    return json.loads((site_build / "code-blocks.json").read_text())


def why_uncovered(block: dict) -> str | None:
    source = block["included_from"]
    if source:
        path = Path(source).resolve()
        if path.is_relative_to(SNIPPETS):
            rel = str(path.relative_to(SNIPPETS))
            return None if rel in snippets.EXERCISED else f"snippet {rel} was not run by a test"
        if path.is_relative_to(CAPTURED):
            rel = str(path.relative_to(CAPTURED))
            return None if rel in captures.CHECKED else f"capture {rel} was not re-checked"
        return f"included from {source}, which is neither snippets/ nor docs/_captured/"
    page = str(ROOT / "docs" / f"{block['page']}.md")
    if (page, block["text"].strip("\n")) in static_checks.CHECKED_INLINE:
        return None
    return f"inline {block['language'] or 'plain'} block that no check covers"


@pytest.mark.guard
def test_every_code_block_on_the_site_is_proven(site_blocks):
    assert site_blocks, "the built site lists no code blocks: is the manifest extension on?"
    uncovered = [f"docs/{b['page']}.md:{b['line']}: {why}"
                 for b in site_blocks if (why := why_uncovered(b))]
    assert not uncovered, "code blocks on the site that nothing proves:\n" + "\n".join(uncovered)
