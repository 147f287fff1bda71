"""`nox -s drift`: what a pin bump would change. Installs the newest Claude Code and the newest
LiteLLM that installs here, runs the matrix checks (or, with `all`, the whole suite) for the
pinned pair and for the newest pair, and lists what changed in the Claude Code binary since the
pin: environment variables, headers and beta flags it names. A report, never a pass/fail.
It also installs every Claude Code release between the pin and the newest and writes the
"What changed for gateways" page (docs/_generated/what-changed.json and .md, through
tests/harness/proof/what_changed.py), with this run's changed test results for the newest.
`-- page`: only install the releases and write that page, no test run."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.matrix import MATRIX, _junit_outcomes
from tests.harness.project import CLAUDE_CODE_VERSION, LITELLM_VERSION, ROOT
from tests.harness.proof import what_changed
from tests.harness.start import components, releases

REPORT = ROOT / "docs" / "_build" / "drift-report.md"
TRIES = 16  # newest releases tried per component before giving up

FACTS = {  # what a gateway operator cares about, as the binary spells it
    "environment variables": re.compile(
        rb"\b((?:ANTHROPIC|CLAUDE_CODE|CLAUDE|OTEL|DISABLE|ENABLE|MAX|API|MCP|BASH|NODE|"
        rb"HTTPS?|NO|AWS|VERTEX|CLOUD_ML|GOOGLE)_[A-Z0-9_]{2,})\b"),
    "headers": re.compile(rb"\b((?:anthropic|x-claude|x-app|x-stainless)-?[a-z0-9-]*)\b"),
    "beta flags": re.compile(rb"\b([a-z][a-z0-9-]+-20[0-9]{2}-?[0-9]{2}-?[0-9]{2})\b"),
}


def binary_of(bin_dir: Path) -> Path:
    """The file that is Claude Code: the native binary, or cli.js for Node releases."""
    package = Path(os.path.realpath(bin_dir / "claude"))
    while not (package / "package.json").exists():
        package = package.parent
    return max((p for p in package.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)


def facts(binary: Path) -> dict[str, set[str]]:
    data = binary.read_bytes()
    return {name: {m.decode() for m in pattern.findall(data)} for name, pattern in FACTS.items()}


def newest_installable(kind: str, node: Path) -> tuple[str | None, list[str]]:
    refused = []
    for version in releases.newest(kind, node)[:TRIES]:
        try:
            releases.install(kind, version, node)
            return version, refused
        except releases.ReleaseUnavailable as e:
            refused.append(f"{kind} {version}: {e}")
    return None, refused


def outcomes(claude_code: str | None, litellm: str | None, tests: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        env = dict(os.environ, CAPTURE_DIFFS_TO=str(Path(tmp) / "diffs"))
        if claude_code:
            env["CLAUDE_CODE_UNDER_TEST"] = claude_code
        if litellm:
            env["LITELLM_UNDER_TEST"] = litellm
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-m", "not guard", f"--junitxml={junit}", *tests], cwd=ROOT, env=env)
        return _junit_outcomes(junit) if junit.exists() else {}


def since_pin(newest: str, node: Path) -> list[str]:
    """Every Claude Code release from the page's first (what_changed.FIRST) up to `newest`,
    other than the pin, that installs here."""
    out = []
    for version in releases.newest("claude-code", node):
        if what_changed.key(what_changed.FIRST) <= what_changed.key(version) <= \
                what_changed.key(newest) and version != CLAUDE_CODE_VERSION:
            try:
                releases.install("claude-code", version, node)
                out.append(version)
            except releases.ReleaseUnavailable as e:
                print(f"not installable: claude-code {version}: {e}", flush=True)
    return out


def main(args: list[str]) -> None:
    node = components.node_bin()
    cc, refused_cc = newest_installable("claude-code", node)
    measured = since_pin(cc, node) if cc else []
    if "page" in args:
        print(what_changed.write(what_changed.compute(measured)))
        return
    lite, refused_lite = newest_installable("litellm", node)
    tests = ["tests"] if "all" in args else list(MATRIX["checks"].values())
    lines = [f"# Drift: pinned Claude Code {CLAUDE_CODE_VERSION} + LiteLLM {LITELLM_VERSION} "
             f"→ newest Claude Code {cc} + LiteLLM {lite}", ""]
    lines += [f"- not installable: {r}" for r in refused_cc + refused_lite]
    if cc is None or lite is None:
        lines.append("Nothing to compare: no newer release installs here.")
    else:
        before = outcomes(None, None, tests)
        after = outcomes(cc if cc != CLAUDE_CODE_VERSION else None,
                         lite if lite != LITELLM_VERSION else None, tests)
        changed = [(t, before.get(t, {}).get("outcome", "absent"), a["outcome"], a["detail"])
                   for t, a in sorted(after.items())
                   if before.get(t, {}).get("outcome") != a["outcome"]]
        lines += ["", f"## Tests ({len(after)} run): {len(changed)} changed outcome", ""]
        lines += [f"- `{t}`: {b} → {a} {d}" for t, b, a, d in changed] or ["- none"]
        if "all" not in args:  # the matrix's checks: the page records them for the newest
            data = what_changed.compute(measured)
            data["drift"] = {"date": datetime.date.today().isoformat(), "claude_code": cc,
                             "litellm": lite, "run": len(after), "changed": [
                                 {"test": t, "before": b, "after": a, "detail": d}
                                 for t, b, a, d in changed]}
            what_changed.write(data)
        old = facts(binary_of(components.claude_bin()))
        new = facts(binary_of(releases.bin_dir("claude-code", cc)))
        for name in FACTS:
            added, removed = sorted(new[name] - old[name]), sorted(old[name] - new[name])
            lines += ["", f"## {name.capitalize()} in the binary: {len(added)} new, "
                          f"{len(removed)} gone", ""]
            lines += [f"- new: `{x}`" for x in added] + [f"- gone: `{x}`" for x in removed]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\n(report written to {REPORT.relative_to(ROOT)})")


if __name__ == "__main__":
    main(sys.argv[1:])
