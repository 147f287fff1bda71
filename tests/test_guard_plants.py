"""The guards catch every kind of escape: each case plants one in a page of a small site built
with the real docs/conf.py (extensions, manifest), then the guards' own judging functions
(coverage.judge, the inline checks Sybil runs, unproven_claims) must name the planted page
and say why. A clean page in the same build must pass, so the guard is not simply failing
everything. One Sphinx build serves every case."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.harness.project import CAPTURED, ROOT, SNIPPETS
from tests.harness.proof import coverage, static_checks
from tests.test_claims_guard import unproven_claims

CONFIG = "quickstart/02-config.yaml"
FIRST_REQUEST = "quickstart/07-first-request.sh"

# case -> (page text, what the judgement must say about that page)
PLANTS = {
    "lines": (f"""
```{{literalinclude}} ../../snippets/{CONFIG}
:language: yaml
:lines: 4-8
```
""", f"literalinclude of snippets/{CONFIG} shows lines 4–8 of"),
    "prepend": (f"""
```{{literalinclude}} ../../snippets/{FIRST_REQUEST}
:language: bash
:prepend: export ANTHROPIC_BASE_URL=http://localhost:4000
```
""", "shows other text than the file"),
    "start-after": (f"""
```{{literalinclude}} ../../snippets/{CONFIG}
:start-after: model_list:
```
""", f"literalinclude of snippets/{CONFIG} shows"),
    "capture-lines": ("""
```{literalinclude} ../_captured/quickstart/first-request.console
:lines: 1
```
""", "literalinclude of docs/_captured/quickstart/first-request.console shows"),
    "bash-transcript": ("""
```bash
$ claude -p "Reply with the word pong"
pong
```
""", "a shell transcript"),
    "inline-bash-command": ("""
```bash
python3 -m pip install .
```
""", "an inline shell block"),
    "misspelt-variable": ("""
```json
{"env": {"ANTHROPIC_BASE_URLL": "http://localhost:4000"}}
```
""", "ANTHROPIC_BASE_URLL"),
    "unknown-settings-key": ("""
```json
{"apiKeyHelperr": "~/bin/token.sh"}
```
""", "apiKeyHelperr"),
    "router-settings-yaml": ("""
```yaml
router_settings:
  routing_strategy: least-busy
```
""", "LiteLLM config sections (router_settings)"),
    "command-literal": ("""
Start the gateway in a clean shell (`unset ANTHROPIC_BASE_URL`) first.
""", "inline literal `unset ANTHROPIC_BASE_URL` is a command"),
    "wrapped-command-literal": ("""
Log in with `gcloud auth
application-default login` first.
""", "inline literal `gcloud auth application-default login` is a command"),
    "command-form-not-run": ("""
Ask in print mode (`claude --print`); the ran snippet spells it `-p`.
""", "inline literal `claude --print` is a command"),
    "unpinned-install-literal": ("""
Or simply `pip install litellm`.
""", "inline literal `pip install litellm` is a command"),
    "command-not-output": ("""
It answers `claude -p "Reply with the word ping"`.
""", "inline literal `claude -p \"Reply with the word ping\"` is a command"),
    "raw-pre": ("""
```{raw} html
<pre>curl -s http://localhost:4000/health</pre>
```
""", "raw html output with <pre>"),
    "inline-html-code": ("""
Run <code>claude -p hi</code> now.
""", "with <code>"),
    "parsed-literal": ("""
```{parsed-literal}
claude -p *hi*
```
""", "inline plain block that no check passed"),
    "rst-literal": ("""
```{eval-rst}
Run this::

    claude -p hi
```
""", "inline plain block that no check passed"),
    "doctest": ("""
```{eval-rst}
>>> print("pong")
pong
```
""", "a doctest shows preformatted text"),
    "line-block": ("""
```{eval-rst}
| claude -p hi
| pong
```
""", "a line-block shows preformatted text"),
    "other-language": ("""
```text
ANTHROPIC_BASE_URL=http://localhost:4000
```
""", "inline text block that no check passed"),
    "csv-table-file": (f"""
```{{csv-table}} Models
:file: ../../snippets/{CONFIG}
:delim: "|"
```
""", "the page reads"),
    "include-literal": (f"""
```{{include}} ../../snippets/{CONFIG}
:literal:
:start-line: 3
```
""", f"literalinclude of snippets/{CONFIG} shows lines 4–"),
    "read-not-run": (f"""
```{{literalinclude}} ../../snippets/{CONFIG}
:language: yaml
```
""", f"snippet {CONFIG} was not run by a test"),
    "missing-proof": ("""
The gateway answers {proof}`test_no_such_test_anywhere`.
""", "no test named test_no_such_test_anywhere was collected"),
    # A weakened test: its assert on the header is gone, its docstring still names it.
    "unchecked-observable": ("""
Claude Code sends no `x-api-key` to the gateway {proof}`test_that_passed "x-api-key"`.
""", "test_that_passed does not check 'x-api-key'"),
    "observable-of-another-test": ("""
It asks first {proof}`tests/test_x.py::test_other "HEAD /api/hello"`.
""", "tests/test_x.py::test_other does not check 'HEAD /api/hello'"),
}

# The planted site's tests: what test_that_passed asserts decides the observable plants.
PLANTED_TESTS = '''
from tests.harness.proof import captures

PROMPT = "Reply with the word pong"


def test_that_passed(door, out):
    """Claude Code sends HEAD /api/hello first and no x-api-key to the gateway."""
    door.send(headers={"x-api-key": "sk-own"})  # what the test does, not what it checks
    assert door.lines()[0] == "HEAD /api/hello"
    for header in ("anthropic-version", "anthropic-beta"):
        assert header in door.lines()[1]
    assert PROMPT in out
    captures.check("quickstart/first-request.console", out)


def test_other(door):
    assert door.lines()
'''

CLEAN = f"""
Whole snippets that ran, a capture that was checked, a command that is a line of a snippet
that ran (`{open(SNIPPETS / FIRST_REQUEST).read().strip()}`), the words that start it
(`claude -p`, `claude -p …`), output a checked capture holds
(`claude -p "Reply … pong"`), a word (`claude`):

```{{literalinclude}} ../../snippets/{FIRST_REQUEST}
:language: bash
:caption: first request
:emphasize-lines: 1
```

```{{literalinclude}} ../_captured/quickstart/first-request.console
:language: console
```

```json
{{"env": {{"ANTHROPIC_BASE_URL": "http://localhost:4000"}}, "model": "sonnet"}}
```

It answers {{proof}}`test_that_passed`. It asks first
{{proof}}`test_that_passed "HEAD /api/hello"` (an assert), with the prompt
{{proof}}`tests/test_x.py::test_that_passed "word pong"` (a constant an assert uses), the
version {{proof}}`test_that_passed "anthropic-version"` (a case the test loops over), and
the command shown {{proof}}`test_that_passed "$ claude -p"` (a capture the test checks).
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A site of one page per plant (plus a clean one), built with the real conf.py."""
    root = tmp_path_factory.mktemp("planted")
    docs = root / "docs"
    (docs / "how-to").mkdir(parents=True)
    (root / "snippets").symlink_to(SNIPPETS)
    (docs / "_captured").symlink_to(CAPTURED)
    (docs / "conf.py").write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(ROOT / 'docs' / 'conf.py')!r}))\n")
    pages = {**{name: text for name, (text, _) in PLANTS.items()}, "clean": CLEAN}
    for name, text in pages.items():
        (docs / "how-to" / f"plant-{name}.md").write_text(
            f"---\norphan: true\n---\n# Plant {name}\n{textwrap.dedent(text)}")
    (docs / "index.md").write_text("# Plants\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text(PLANTED_TESTS)
    out = root / "html"
    r = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(docs), str(out)],
                       cwd=root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def judgement(planted) -> dict[str, list[str]]:
    """What the guards say, per planted page: the inline checks Sybil would run (recorded
    as checked when they pass, as in a real run), the coverage judgement with records in
    which only the clean page's snippet ran and its capture was checked, and the claims
    judgement with only test_that_passed and test_other passed, the planted tests/test_x.py
    the tests it reads."""
    manifest = json.loads((planted / "code-blocks.json").read_text())
    said: dict[str, list[str]] = {}
    records = coverage.Records(exercised={FIRST_REQUEST},
                               captures={"quickstart/first-request.console"})
    for e in manifest:
        language = e.get("language")
        if e["kind"] == "block" and not e["included_from"] and language in \
                static_checks.INLINE_CHECKS:
            try:
                static_checks.INLINE_CHECKS[language](e["text"])
                records.inline.add((e["file"], e["text"].strip("\n")))
            except Exception as refused:  # noqa: BLE001 - any refusal is the check's answer
                said.setdefault(e["page"], []).append(f"inline check: {refused}")
    for line in coverage.judge(manifest, records,
                               docs=(planted.parent / "docs").resolve()):
        page = line.split(":", 1)[0].removeprefix("docs/").removesuffix(".md")
        said.setdefault(page, []).append(line)
    claims = json.loads((planted / "claims.json").read_text())
    ran = {"tests/test_x.py::test_that_passed", "tests/test_x.py::test_other"}
    for line in unproven_claims(claims, root=planted.parent, collected=ran, passed=ran,
                                failed=set()):
        page = line.split(":", 1)[0].removeprefix("docs/").removesuffix(".md")
        said.setdefault(page, []).append(line)
    return said


@pytest.mark.parametrize("case", sorted(PLANTS))
def test_guard_names_the_planted_escape(judgement, case):
    said = judgement.get(f"how-to/plant-{case}", [])
    expected = PLANTS[case][1]
    assert any(expected in s for s in said), (
        f"planted {case!r}; the guards said about that page: {said or 'nothing'}")
    assert all(f"plant-{case}.md:" in s or s.startswith("inline check") for s in said)


def test_guard_passes_the_clean_page(judgement):
    assert judgement.get("how-to/plant-clean", []) == []
    if __import__("os").environ.get("SHOW_PLANTS"):
        print(*(s for said in judgement.values() for s in said), sep="\n")
