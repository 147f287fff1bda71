"""Claims name their proof: every `{proof}` on the site names a test that was collected and
passed in this same run (possibly in another pytest process, through GATEWAY_DOCS_RECORDS)."""

from __future__ import annotations

import json
import os

import pytest

from tests.harness import page_scope, records


def unproven_claims(claims: list[dict], **run) -> list[str]:
    """`docs/page.md:line: why` for every claim whose test did not pass; `run` may give
    collected/passed/failed (the plant tests do), else the run's own records."""
    return [f"docs/{c['page']}.md:{c['line']}: {why}"
            for c in claims if (why := records.why_not_proven(c["test"], **run))]


@pytest.mark.guard
def test_every_claim_names_a_test_that_passed(site_build):
    claims = page_scope.judged(json.loads((site_build / "claims.json").read_text()),
                               os.environ.get(page_scope.PAGES_ENV))
    assert claims, "the built site names no proofs: is the proof_role extension on?"
    unproven = unproven_claims(claims)
    assert not unproven, "claims on the site whose proof did not pass:\n" + "\n".join(unproven)
