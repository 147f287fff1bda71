"""Claims name their proof: every `{proof}` on the site names a test that was collected and
passed in this same run (possibly in another pytest process, through GATEWAY_DOCS_RECORDS),
and a mark that names the observable its sentence rests on (`{proof}`test_x "x-api-key"`)
names a test whose own asserts or checked captures contain it (harness/proof/observables.py)."""

from __future__ import annotations

import json
import os

import pytest

from tests.harness.project import ROOT
from tests.harness.proof import observables, page_scope, records


def unproven_claims(claims: list[dict], root=ROOT, **run) -> list[str]:
    """`docs/page.md:line: why` for every claim whose test did not pass or does not check
    the claim's observable; `run` may give collected/passed/failed and `root` the tree the
    tests are in (the plant tests do), else the run's own records and this repository."""
    return [f"docs/{c['page']}.md:{c['line']}: {why}" for c in claims
            if (why := records.why_not_proven(c["test"], **run)
                or (c.get("observable") and
                    observables.why_not_checked(c["test"], c["observable"], root)))]


@pytest.mark.guard
def test_every_claim_names_a_test_that_passed(site_build):
    claims = page_scope.judged(json.loads((site_build / "claims.json").read_text()),
                               os.environ.get(page_scope.PAGES_ENV))
    assert claims, "the built site names no proofs: is the proof_role extension on?"
    unproven = unproven_claims(claims)
    assert not unproven, "claims on the site whose proof did not pass:\n" + "\n".join(unproven)
