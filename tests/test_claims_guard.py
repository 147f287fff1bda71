"""Claims name their proof: every `{proof}` on the site names a test that was collected and
passed in this same run."""

from __future__ import annotations

import json

import pytest

from tests.harness import records


@pytest.mark.guard
def test_every_claim_names_a_test_that_passed(site_build):
    claims = json.loads((site_build / "claims.json").read_text())
    assert claims, "the built site names no proofs: is the proof_role extension on?"
    unproven = [f"docs/{c['page']}.md:{c['line']}: {why}"
                for c in claims if (why := records.why_not_proven(c["test"]))]
    assert not unproven, "claims on the site whose proof did not pass:\n" + "\n".join(unproven)
