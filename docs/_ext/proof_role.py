"""The `{proof}` role: a sentence that states a behaviour names the test that proves it,
e.g. ``{proof}`test_first_request``` or ``{proof}`tests/guides/test_quickstart.py::test_x```.
A mark may name the observable its sentence rests on (a header, a path, a message, a log event),
in double quotes after the test: ``{proof}`test_first_request "HEAD /api/hello"```; the guard
then also checks that the test's own asserts or the captures it checks contain that string
(tests/harness/proof/observables.py).

The reader sees a small check mark, not the test's name: the name is only in the mark's
title, and the mark leads to the test's entry on the evidence page (explanation/evidence:
what the test asserts, where its source is, the run that passed it), which the search index
leaves out. Every mark is listed in claims.json next to the built site, where the guard
(tests/test_claims_guard.py) checks that every named test exists and passed in this run."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

EVIDENCE_DOC = "explanation/evidence"
ROLE = re.compile(r"\{proof\}`([^`]+)`")
MARK = "\u2713"  # ✓


def parse(text: str) -> tuple[str, str | None]:
    """`test_x` or `test_x "observable"` -> (target, observable or None). The observable is
    everything between the first and the last double quote after the target."""
    target, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    if not rest:
        return target, None
    if len(rest) < 3 or rest[0] != '"' or rest[-1] != '"':
        raise ValueError(f'after the test name a proof mark takes only "an observable" in double '
                         f"quotes, not {rest!r}")
    return target, rest[1:-1]


def anchor(target: str) -> str:
    return nodes.make_id("proof " + target)


def proof_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    try:
        target, observable = parse(text)
    except ValueError as bad:
        msg = inliner.reporter.error(str(bad), line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    checks = f', which checks "{observable}"' if observable else ""
    node = nodes.reference(rawtext, "", nodes.inline("", MARK), classes=["proof"],
                           refuri="#", reftitle=f"Tested: {target}{checks} (open the evidence)")
    node["proof_test"] = target
    if observable:
        node["proof_observable"] = observable
    node["proof_line"] = lineno
    return [node], []


def resolve(app, doctree, docname):
    """Point each mark at its evidence entry, relative to the page it is on."""
    for node in doctree.findall(nodes.reference):
        if "proof_test" in node:
            node["refuri"] = (app.builder.get_relative_uri(docname, EVIDENCE_DOC)
                              + "#" + anchor(node["proof_test"]))


# --- The evidence page -------------------------------------------------------------------

def cited_targets(docs: Path) -> dict[str, set[str]]:
    """Every test a page names, read from the sources (pages and the files they include),
    with the observables the marks naming it rest on."""
    found: dict[str, set[str]] = {}
    for page in docs.rglob("*.md"):
        if "_build" not in page.relative_to(docs).parts:
            for text in ROLE.findall(page.read_text()):
                try:
                    target, observable = parse(text)
                except ValueError:  # the role reports it where the page uses it
                    continue
                found.setdefault(target, set()).update([observable] if observable else [])
    return dict(sorted(found.items()))


def _functions(tests: Path) -> dict[str, list[tuple[Path, ast.FunctionDef, str]]]:
    by_name: dict[str, list] = {}
    for module in sorted(tests.rglob("test_*.py")):
        source = module.read_text()
        for fn in ast.walk(ast.parse(source)):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    fn.name.startswith("test_"):
                by_name.setdefault(fn.name, []).append((module, fn, source))
    return by_name


# Calls that assert in the guides' words (tests/harness/reader/expect.py) or check a capture.
ASSERTING_CALL = re.compile(r"^(\w+\.)?(claude_replied|claude_failed_with|upstream_\w+|check|"
                            r"assert_\w+|expect_\w+)$")


def _one_line(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def assert_nodes(fn: ast.FunctionDef, source: str) -> list[tuple[int, ast.AST, str]]:
    """What the test asserts, in order: (line, node, source text) of each assert condition
    and each asserting call in its own body."""
    found = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            found.append((node.lineno, node.test,
                           "assert " + ast.get_source_segment(source, node.test)))
        elif isinstance(node, ast.Call) and ASSERTING_CALL.match(
                ast.get_source_segment(source, node.func) or ""):
            found.append((node.lineno, node, ast.get_source_segment(source, node)))
    return sorted(found, key=lambda f: f[0])


def asserts(fn: ast.FunctionDef, source: str) -> list[str]:
    """What the test asserts: its assert conditions and its asserting calls, in order."""
    return [_one_line(text) for _, _, text in assert_nodes(fn, source)]


def _source_base(repository: str) -> str:
    if not repository.startswith("https://"):
        return ""
    commit = os.environ.get("READTHEDOCS_GIT_COMMIT_HASH")
    if not commit:
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True,
                                    text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "main"
    return f"{repository.rstrip('/')}/blob/{commit}/"


def _code(text: str) -> nodes.literal:
    node = nodes.literal(text, text)
    node["evidence"] = True  # quoted from the tests: the coverage guard does not judge it
    return node


def entry(target: str, found: list, root: Path, source_base: str,
          observables: set[str] = frozenset()) -> nodes.container:
    box = nodes.container(ids=[anchor(target)], classes=["evidence"])
    box += nodes.paragraph("", "", nodes.strong("", "", _code(target)))
    path, _, name = target.rpartition("::")
    matches = [f for f in found if not path or f[0].relative_to(root).as_posix() == path]
    if not matches:
        box += nodes.paragraph("", "No test of this name is in the test files.")
    for module, fn, source in matches:
        rel = module.relative_to(root).as_posix()
        where = nodes.paragraph("", "In ")
        if source_base:
            where += nodes.reference("", "", _code(f"{rel}:{fn.lineno}"),
                                     refuri=f"{source_base}{rel}#L{fn.lineno}")
        else:
            where += _code(f"{rel}:{fn.lineno}")
        box += where
        if doc := ast.get_docstring(fn):
            box += nodes.paragraph("", doc.split("\n\n")[0].replace("\n", " "))
        if observables:
            box += nodes.paragraph("", "The sentences citing it rest on "
                                   + ", ".join(f"\u201c{o}\u201d" for o in sorted(observables))
                                   + " (in bold below where an assert names it; else in a "
                                   "recorded output the test compares).")
        checks = assert_nodes(fn, source)
        if checks:
            items = nodes.bullet_list()
            for _, _, full in checks:
                # The assert a sentence rests on (its observable is in it) stands out.
                shown = _code(_one_line(full))
                if any(o in full for o in observables):
                    shown = nodes.strong("", "", shown)
                items += nodes.list_item("", nodes.paragraph("", "", shown))
            box += nodes.paragraph("", "It asserts:")
            box += items
        else:
            box += nodes.paragraph("", "It asserts through the helpers it calls (see its source).")
    return box


class Evidence(Directive):
    """Every test a page names: where it is, what it says it proves, what it asserts."""

    def run(self):
        env = self.state.document.settings.env
        docs = Path(env.srcdir)
        root = docs.parent
        by_name = _functions(root / "tests")
        # No note_dependency on the test files: the coverage guard would read them as text the
        # page includes; every build of the site is a fresh one (-E) anyway.
        base = _source_base(env.config.proof_source_repository)
        # One section per test file, so the page's contents list is a map of the proof.
        sections: dict[str, nodes.section] = {}
        for target, observables in cited_targets(docs).items():
            found = by_name.get(target.rpartition("::")[2], [])
            path = target.rpartition("::")[0]
            home = path or (found[0][0].relative_to(root).as_posix() if found else "not found")
            if home not in sections:
                sections[home] = nodes.section("", nodes.title("", home),
                                               ids=[nodes.make_id("file " + home)])
            sections[home] += entry(target, found, root, base, observables)
        return [sections[k] for k in sorted(sections)]


def write(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    claims = []
    for docname in sorted(app.env.found_docs):
        for node in app.env.get_doctree(docname).findall(nodes.reference):
            if "proof_test" in node:
                claims.append({"page": docname, "line": node.get("proof_line"),
                               "test": node["proof_test"],
                               "observable": node.get("proof_observable")})
    (Path(app.outdir) / "claims.json").write_text(json.dumps(claims, indent=1))


def setup(app):
    app.add_config_value("proof_source_repository", "", "html")
    app.add_role("proof", proof_role)
    app.add_directive("evidence", Evidence)
    app.connect("doctree-resolved", resolve)
    app.connect("build-finished", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
