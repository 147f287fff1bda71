"""What this run did, for the guards that judge it at the end: which tests were collected
and which passed (a `{proof}` on a page must name a test that passed in this run)."""

from __future__ import annotations

import re

COLLECTED: set[str] = set()  # node ids
PASSED: set[str] = set()
FAILED_OR_SKIPPED: set[str] = set()


def record(report) -> None:
    """pytest_runtest_logreport: a test passed when its setup, call and teardown did."""
    if report.passed and report.when == "call":
        PASSED.add(report.nodeid)
    elif not report.passed:
        FAILED_OR_SKIPPED.add(report.nodeid)


def _function(nodeid: str) -> str:
    return re.sub(r"\[.*\]$", "", nodeid.rsplit("::", 1)[-1])


def why_not_proven(target: str) -> str | None:
    """None when every collected test `target` names passed (at least one); else why not.
    `target` is a test function name, or `path::name` to pick one module."""
    path, _, name = target.rpartition("::")
    matches = {n for n in COLLECTED
               if _function(n) == name and (not path or n.split("::", 1)[0] == path)}
    if not matches:
        return f"no test named {target} was collected in this run"
    bad = sorted(n for n in matches if n not in PASSED or n in FAILED_OR_SKIPPED)
    if bad:
        return f"{target} did not pass in this run: {', '.join(bad)}"
    return None
