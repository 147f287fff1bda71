"""Observed output: what pages show after "you should see" is a file under docs/_captured/
written from a real run. Tests compare the live output with it; `nox -s capture` (which sets
UPDATE_CAPTURES=1) rewrites the files from the current real run."""

from __future__ import annotations

import difflib
import os
import re

from tests.harness.project import CAPTURED
from tests.harness.proof.records import RunRecord, used

CHECKED = RunRecord("checked-captures")

# Only what truly varies between runs: ids, durations, temporary paths.
NORMALISE = [
    (re.compile(r"msg_[A-Za-z0-9]+"), "msg_…"),
    (re.compile(r"\[log_[0-9a-f]{6}"), "[log_…"),
    (re.compile(r"request-id: \"[^\"]*\""), 'request-id: "…"'),
    (re.compile(r" in \d+ms\b"), " in …ms"),
    (re.compile(r"/tmp/[^\s\"']+"), "/tmp/…"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"after \d+ ms"), "after … ms"),  # gateway-assistant probe's stream timing
]


def normalise(text: str) -> str:
    for pattern, repl in NORMALISE:
        text = pattern.sub(repl, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"


def check(name: str, observed: str, figures: str | None = None) -> None:
    """Assert the captured file `name` still shows what really happens. `figures`: a regex
    for measured numbers that differ per run (failures under a kill, seconds); the file keeps
    the recorded run's figures and every run must match it everywhere else."""
    CHECKED.add(name)
    used(name)
    path = CAPTURED / name
    text = normalise(observed)
    if os.environ.get("UPDATE_CAPTURES") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.exists():
        raise AssertionError(f"no captured output {path}; run `nox -s capture`")
    expected = path.read_text()
    if figures and re.sub(figures, "#", text) == re.sub(figures, "#", expected):
        return
    if text != expected and os.environ.get("CAPTURE_DIFFS_TO"):
        # nox -s matrix / drift: another release may word its output differently; that is
        # reported beside the cell, and the behaviour the test asserts still decides it.
        with open(os.environ["CAPTURE_DIFFS_TO"], "a") as f:
            f.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '').split(' ')[0]}\t{name}\n")
        return
    if text != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(True), text.splitlines(True), f"docs/_captured/{name}", "observed"))
        raise AssertionError(
            f"the page shows output the real run no longer gives:\n{diff}\n"
            "If the new behaviour is right, run `nox -s capture` and review the diff.")


def console(command_snippet_text: str, output: str) -> str:
    """A console transcript: the prompted command, then what it printed."""
    lines = command_snippet_text.strip("\n").splitlines()
    prompted = "\n".join(("$ " if i == 0 else "> ") + line for i, line in enumerate(lines))
    return f"{prompted}\n{output}"
