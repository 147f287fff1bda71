"""What this run did, for the guards that judge it at the end: which tests were collected
and which passed (a `{proof}` on a page must name a test that passed in this run), and the
other run records (snippets run, captures checked, inline blocks checked).

A record is a set kept in memory. With GATEWAY_DOCS_RECORDS=<dir> set, every addition is
also appended as a JSON line to `<dir>/<record>.<pid>.jsonl`, and membership reads the union
of every process's lines: the tests can run in several pytest processes (or xdist workers)
and the guards in a final `pytest -m guard` over the same directory."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

RECORDS_ENV = "GATEWAY_DOCS_RECORDS"


class RunRecord:
    """A set of strings (or tuples of strings) that survives the process when
    GATEWAY_DOCS_RECORDS names a directory."""

    def __init__(self, name: str):
        self.name = name
        self._mine: set = set()

    def _dir(self) -> Path | None:
        where = os.environ.get(RECORDS_ENV)
        return Path(where) if where else None

    def add(self, item) -> None:
        self.update([item])

    def update(self, items) -> None:
        new = [i for i in items if i not in self._mine]
        self._mine.update(new)
        where = self._dir()
        if where and new:
            where.mkdir(parents=True, exist_ok=True)
            with open(where / f"{self.name}.{os.getpid()}.jsonl", "a") as f:
                f.write("".join(json.dumps(i) + "\n" for i in new))

    def all(self, where: Path | None = None) -> set:
        """What every process of this run recorded; with `where`, what that records
        directory holds, this process's memory left out (the noxfile reads a run's)."""
        items = set(self._mine) if where is None else set()
        where = where or self._dir()
        if where and where.is_dir():
            for path in where.glob(f"{self.name}.*.jsonl"):
                for line in path.read_text().splitlines():
                    item = json.loads(line)
                    items.add(tuple(item) if isinstance(item, list) else item)
        return items

    def __contains__(self, item) -> bool:
        return item in self._mine or item in self.all()

    def __iter__(self):
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())

    def clear(self) -> None:  # this process's memory only (the plant tests use it)
        self._mine.clear()


COLLECTED = RunRecord("collected")  # node ids
PASSED = RunRecord("passed")
FAILED_OR_SKIPPED = RunRecord("failed-or-skipped")
# (snippet or capture name, the test that ran or checked it): a page-scoped run reruns
# exactly those tests (page_scope.py), from the last whole run's map.
USED_BY = RunRecord("used-by")


def used(name: str) -> None:
    """Note the test now running as a user of this snippet or capture. A background scenario's
    thread is not that test, so only the main thread notes."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "")
    if test and threading.current_thread() is threading.main_thread():
        USED_BY.add((name, test.rsplit(" (", 1)[0]))


def record(report) -> None:
    """pytest_runtest_logreport: a test passed when its setup, call and teardown did."""
    if report.passed and report.when == "call":
        PASSED.add(report.nodeid)
    elif not report.passed:
        FAILED_OR_SKIPPED.add(report.nodeid)


def _function(nodeid: str) -> str:
    return re.sub(r"\[.*\]$", "", nodeid.rsplit("::", 1)[-1])


def why_not_proven(target: str, collected=None, passed=None, failed=None) -> str | None:
    """None when every collected test `target` names passed (at least one); else why not.
    `target` is a test function name, or `path::name` to pick one module. The run's records
    are the default; the plant tests pass their own."""
    collected = COLLECTED.all() if collected is None else set(collected)
    passed = PASSED.all() if passed is None else set(passed)
    failed = FAILED_OR_SKIPPED.all() if failed is None else set(failed)
    path, _, name = target.rpartition("::")
    matches = {n for n in collected
               if _function(n) == name and (not path or n.split("::", 1)[0] == path)}
    if not matches:
        return f"no test named {target} was collected in this run"
    bad = sorted(n for n in matches if n not in passed or n in failed)
    if bad:
        return f"{target} did not pass in this run: {', '.join(bad)}"
    return None
