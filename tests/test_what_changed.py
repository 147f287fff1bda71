"""The "What changed for gateways" page (docs/reference/what-changed.md) agrees with the binaries
it was read from, so it cannot drift: each release's entry in docs/_generated/what-changed.json
(environment variables, beta flags, gateway.yaml keys, changelog lines, matrix checks) is what
the pinned binary and that release's binary give now, and the page is what the data renders.
A release not installed in the component cache is skipped, naming the command that installs it."""

from __future__ import annotations

import json
import os

import pytest

from tests.harness.project import CLAUDE_CODE_VERSION
from tests.harness.proof import captures, what_changed
from tests.harness.start import releases

DATA = json.loads(what_changed.DATA.read_text())
VERSIONS = [r["version"] for r in DATA["releases"]]


def test_what_changed_page_is_what_its_data_renders():
    assert DATA["pinned"] == CLAUDE_CODE_VERSION, "the page starts at another pin: re-run drift"
    assert VERSIONS[0] == what_changed.FIRST and CLAUDE_CODE_VERSION in VERSIONS
    assert VERSIONS == sorted(VERSIONS, key=what_changed.key)
    rendered = what_changed.render(DATA)
    if os.environ.get("UPDATE_CAPTURES") == "1":
        what_changed.PAGE.write_text(rendered, encoding="utf-8")
    assert what_changed.PAGE.read_text() == rendered, (
        "docs/_generated/what-changed.md differs from what-changed.json: run "
        "`python -m tests.harness.proof.what_changed` (or the drift session)")


@pytest.mark.parametrize("version", VERSIONS)
def test_what_changed_matches_the_binaries(version):
    i = VERSIONS.index(version)
    needed = VERSIONS[max(i - 1, 0):]  # it, the one before, and the later ones whose
    missing = [v for v in needed if v != CLAUDE_CODE_VERSION and not (  # changelogs it quotes
        releases.workdir("claude-code", v) / ".installed").exists()]
    if missing:
        pytest.skip(f"Claude Code {', '.join(missing)} not installed in "
                    f"{releases.workdir('claude-code', missing[0]).parent}: `nox -s drift -- page` "
                    "installs the releases since the pin")
    reads = {v: what_changed.read(v) for v in needed}
    stored = DATA["releases"][i]
    now = what_changed.section(version, VERSIONS[i - 1] if i else None, reads)
    for field in now:
        assert stored.get(field) == now[field], (
            f"{version}: {field} differs from the binaries: re-run the drift session\n"
            f"page: {stored.get(field)}\nbinaries: {now[field]}")
    # The reading is whole: the variables, flags and keys the gateway pages rely on are read.
    this = reads[version]
    assert {"ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "HTTPS_PROXY"} <= set(this["env_vars"])
    assert {"claude-code-20250219", "interleaved-thinking-2025-05-14"} <= set(this["betas"])
    if this["gateway_keys"] is not None:  # None: a build the schema reader does not know
        assert {"listen.port", "oidc.issuer"} <= set(this["gateway_keys"])
    for entry in stored["changelog"]:  # each quoted line is a line of the binary's changelog
        assert set(entry["lines"]) <= set(reads[entry["from"]]["changelog"][entry["release"]])
    if stored["changelog"]:  # the quoted lines as text compared with the binaries (a command
        # a line names, `claude gateway --config <file> --check config`, is quoted, not run)
        captures.check(f"what-changed/changelog-{version}.txt", "".join(
            f"## {e['release']} (from {e['from']})\n" + "".join(f"- {x}\n" for x in e["lines"])
            for e in stored["changelog"]))
    if version == "2.1.331":  # the lines the issue was filed on, in the binary's own words
        quoted = " ".join(x for e in stored["changelog"] for x in e["lines"])
        for name in ("CLAUDE_CODE_DISABLE_RESPONSE_COMPRESSION", "oidc.groups_jsonpath",
                     "CLAUDE_GATEWAY_IDP_CONNECT_BY_HOSTNAME"):
            assert name in quoted
