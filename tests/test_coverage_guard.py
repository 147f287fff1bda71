"""Nothing uncovered: everything preformatted on the built site is either a snippet a test
ran (showing exactly its bytes), a captured output a test compared (exactly), or an inline
block Sybil checked in this same run; inline literals that are commands are lines of
snippets that ran. The judgement itself is tests/harness/proof/coverage.py."""

from __future__ import annotations

import json
import os

import pytest

from tests.harness.proof import coverage, page_scope


@pytest.mark.guard
def test_every_code_block_on_the_site_is_proven(site_build):
    manifest = page_scope.judged(json.loads((site_build / "code-blocks.json").read_text()),
                                 os.environ.get(page_scope.PAGES_ENV))
    assert any(e.get("kind", "block") == "block" for e in manifest), \
        "the built site lists no code blocks: is the manifest extension on?"
    uncovered = coverage.judge(manifest)
    assert not uncovered, ("preformatted text on the site that nothing proves:\n"
                           + "\n".join(uncovered))
