"""The compatibility matrix on the site (docs/_generated/matrix.json, written by
`nox -s matrix`) agrees with this run for the pinned pair: each check the table marks as
passing passed here, and each it marks otherwise did not."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.harness.project import CLAUDE_CODE_VERSION, LITELLM_VERSION, ROOT
from tests.harness.proof import records

RESULTS = ROOT / "docs" / "_generated" / "matrix.json"
MATRIX = tomllib.loads((ROOT / "conf" / "matrix.toml").read_text())


def test_matrix_measures_what_conf_lists():
    results = json.loads(RESULTS.read_text())
    assert results["checks"] == MATRIX["checks"], "conf/matrix.toml changed: run nox -s matrix"
    measured = {(p["claude-code"], p["litellm"]) for p in results["pairs"]}
    listed = {(c, x) for c in MATRIX["claude_code"] for x in MATRIX["litellm"]}
    unavailable = {name.split(" ", 1)[1] for name in results["unavailable"]}
    missing = {p for p in listed - measured if not set(p) & unavailable}
    assert not missing, f"pairs listed but not measured: {sorted(missing)}; run nox -s matrix"
    assert (CLAUDE_CODE_VERSION, LITELLM_VERSION) in measured, "the pinned pair is not a row"


@pytest.mark.guard
def test_pinned_row_of_the_matrix_is_this_run():
    results = json.loads(RESULTS.read_text())
    (row,) = [p for p in results["pairs"] if p["claude-code"] == CLAUDE_CODE_VERSION
              and p["litellm"] == LITELLM_VERSION]
    stale = []
    for check, test in results["checks"].items():
        table_says = row["cells"][check]["outcome"] == "pass"
        why_not = records.why_not_proven(test)
        if table_says != (why_not is None):
            stale.append(f"{check} ({test}): the table says {row['cells'][check]['outcome']}, "
                         f"this run: {why_not or 'pass'}")
    assert not stale, "the matrix's pinned row is stale (run nox -s matrix):\n" + "\n".join(stale)


def test_oldest_supported_releases_are_the_oldest_that_pass_every_check():
    """The matrix page names the oldest supported releases: the oldest of each component with
    a row where every check passes, and what fails just below each."""
    from packaging.version import Version
    pairs = json.loads(RESULTS.read_text())["pairs"]

    def failing(pair):
        return [c for c, cell in pair["cells"].items() if cell["outcome"] != "pass"]

    whole = [p for p in pairs if not failing(p)]
    oldest_claude = min((p["claude-code"] for p in whole), key=Version)
    oldest_litellm = min((p["litellm"] for p in whole), key=Version)
    assert (oldest_claude, oldest_litellm) == ("2.1.330", "1.106.2"), whole
    # The releases just below them are the next ones the matrix measured: nothing between.
    for component, oldest, below in (("claude-code", "2.1.330", "2.1.236"),
                                     ("litellm", "1.106.2", "1.90.7")):
        measured = sorted({p[component] for p in pairs}, key=Version)
        assert measured[measured.index(oldest) - 1] == below, measured
    # Just below the LiteLLM minimum, with the same Claude Code: the headers check fails.
    (below,) = [p for p in pairs if p["claude-code"] == "2.1.330" and p["litellm"] == "1.90.7"]
    assert failing(below) == ["headers reach the provider"], failing(below)
    # Just below the Claude Code minimum: the first request fails with every LiteLLM.
    older = [p for p in pairs if p["claude-code"] == "2.1.236"]
    assert older and all("first request" in failing(p) for p in older), older
