"""Run records survive the process: with GATEWAY_DOCS_RECORDS set, what one pytest process
(or xdist worker) records, another one's guards see; without it, records stay in memory."""

from __future__ import annotations

import subprocess
import sys

from tests.harness.project import ROOT
from tests.harness.proof import records

WRITE = """
from tests.harness.proof import records, snippets, static_checks
records.PASSED.add("tests/guides/test_x.py::test_a")
records.COLLECTED.add("tests/guides/test_x.py::test_a")
snippets.ran("quickstart/07-first-request.sh")
static_checks.CHECKED_INLINE.add(("docs/x.md", "text"))
"""


def test_records_from_another_process_are_seen(tmp_path, monkeypatch):
    env = {"PATH": "/usr/bin:/bin", records.RECORDS_ENV: str(tmp_path)}
    subprocess.run([sys.executable, "-c", WRITE], cwd=ROOT, env=env, check=True)
    here = records.RunRecord("passed")
    assert "tests/guides/test_x.py::test_a" not in here  # no directory named: memory only
    monkeypatch.setenv(records.RECORDS_ENV, str(tmp_path))
    assert "tests/guides/test_x.py::test_a" in here
    assert "quickstart/07-first-request.sh" in records.RunRecord("exercised")
    assert ("docs/x.md", "text") in records.RunRecord("checked-inline")
    assert records.why_not_proven("test_a") is None
    assert "did not pass" in records.why_not_proven(
        "test_a", collected={"t.py::test_a"}, passed=set(), failed=set())
