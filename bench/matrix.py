"""`nox -s matrix`: the checks named in conf/matrix.toml (guide tests, unchanged) run for every
Claude Code release against every LiteLLM release, each pair in its own pytest process with
that pair under test. Results go to docs/_generated/matrix.json and the table the
compatibility page includes (docs/_generated/matrix.md)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.harness.project import CLAUDE_CODE_VERSION, LITELLM_VERSION, ROOT
from tests.harness.start import releases
from tests.harness.start.components import node_bin

MATRIX = tomllib.loads((ROOT / "conf" / "matrix.toml").read_text())
GENERATED = ROOT / "docs" / "_generated"
RESULTS = GENERATED / "matrix.json"
PAIR_TIMEOUT_S = 1200  # every check of one pair; each check bounds its own commands


def run_pair(claude_code: str, litellm: str) -> dict[str, dict]:
    """Run every check with this pair under test: {check: {outcome, detail}}."""
    checks = MATRIX["checks"]
    with tempfile.TemporaryDirectory() as tmp:
        junit, diffs = Path(tmp) / "junit.xml", Path(tmp) / "capture-diffs"
        env = dict(os.environ, CAPTURE_DIFFS_TO=str(diffs))
        # The pinned releases run from the quickstart's own installs, as in verify-docs.
        if claude_code != CLAUDE_CODE_VERSION:
            env["CLAUDE_CODE_UNDER_TEST"] = claude_code
        if litellm != LITELLM_VERSION:
            env["LITELLM_UNDER_TEST"] = litellm
        try:
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            f"--junitxml={junit}", *checks.values()], cwd=ROOT, env=env,
                           timeout=PAIR_TIMEOUT_S, capture_output=True)
        except subprocess.TimeoutExpired:
            pass
        outcomes = _junit_outcomes(junit) if junit.exists() else {}
        differs = diffs.read_text().splitlines() if diffs.exists() else []
    cells = {}
    for name, test in checks.items():
        cell = outcomes.get(test, {"outcome": "not run",
                                   "detail": f"no result within {PAIR_TIMEOUT_S} s"})
        shown = sorted({d.split("\t")[1] for d in differs if d.split("\t")[0] == test})
        if shown:
            cell["output_differs"] = shown
        cells[name] = cell
    return cells


def _junit_outcomes(path: Path) -> dict[str, dict]:
    out = {}
    for case in ET.parse(path).iter("testcase"):
        module = case.get("classname", "").replace(".", "/") + ".py"
        test = f"{module}::{case.get('name', '').split('[')[0]}"
        failed = case.find("failure")
        if failed is None:
            failed = case.find("error")
        skipped = case.find("skipped")
        if failed is not None:
            out[test] = {"outcome": "fail",
                         "detail": _gist(failed.get("message") or failed.text or "")}
        elif skipped is not None:
            out[test] = {"outcome": "skip", "detail": (skipped.get("message") or "")[:300]}
        else:
            out[test] = {"outcome": "pass", "detail": ""}
    return out


def _gist(message: str) -> str:
    """The part of a failing test's message a reader can act on: the error Claude Code or
    the gateway printed, if there is one, else the assertion's first line."""
    if found := re.search(r'"message":\s*"([^"]{1,240})', message):
        return found.group(1)
    if found := re.search(r"(API Error[^\n]{0,200}|Error:[^\n]{0,200})", message):
        return found.group(1)
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return lines[0][:240] if lines else ""


def main(args: list[str]) -> None:
    """`new` (nox -s matrix -- new): measure only the pairs the table lacks, keep the rest as
    they were measured (each row keeps its date)."""
    node = node_bin()
    today = datetime.date.today().isoformat()
    kept = []
    if "new" in args and RESULTS.exists():
        old = json.loads(RESULTS.read_text())
        if old["checks"] == MATRIX["checks"]:
            kept = [{**p, "date": p.get("date", old["date"])} for p in old["pairs"]]
    results = {"date": today,
               "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                          f"{platform.system()} {platform.release().split('-')[0]}",
               "pinned": {"claude-code": CLAUDE_CODE_VERSION, "litellm": LITELLM_VERSION},
               "checks": MATRIX["checks"], "unavailable": {}, "pairs": []}
    available = {}
    for kind, key in (("claude-code", "claude_code"), ("litellm", "litellm")):
        available[kind] = []
        for version in MATRIX[key]:
            if version == results["pinned"][kind]:
                available[kind].append(version)  # the quickstart's install runs it
                continue
            try:
                releases.install(kind, version, node)
                available[kind].append(version)
            except releases.ReleaseUnavailable as e:
                results["unavailable"][f"{kind} {version}"] = str(e)
                print(f"  unavailable: {kind} {version}: {e}", flush=True)
    done = {(p["claude-code"], p["litellm"]): p for p in kept}
    pairs = [(c, x) for c in available["claude-code"] for x in available["litellm"]]
    for i, (cc, lite) in enumerate(pairs, 1):
        if (cc, lite) in done:
            results["pairs"].append(done[(cc, lite)])
            continue
        started = time.monotonic()
        cells = run_pair(cc, lite)
        passed = sum(c["outcome"] == "pass" for c in cells.values())
        print(f"[{i}/{len(pairs)}] Claude Code {cc} × LiteLLM {lite}: {passed}/{len(cells)} "
              f"checks pass ({time.monotonic() - started:.0f} s)", flush=True)
        results["pairs"].append({"claude-code": cc, "litellm": lite, "date": today,
                                 "cells": cells})
        GENERATED.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")  # keep what is done
    GENERATED.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")  # with the rows kept after the last
    from tests.harness.proof.matrix_table import render
    (GENERATED / "matrix.md").write_text(render(results))


if __name__ == "__main__":
    main(sys.argv[1:])
