"""A proof mark may name the observable its sentence rests on:
``{proof}`test_x "HEAD /api/hello"```. The sentence is proven only if the test itself checks
that string, so a weakened or renamed test fails the build rather than keeping its mark.

A test checks a string when it is in what the test's own body asserts (the same asserts and
asserting calls the evidence page lists, docs/_ext/proof_role.py `assert_nodes`): in an
assert's source text (string literals included), in the value of a module-level constant an
assert uses by name (or a literal the test binds that name to: `x = "..."`, `for x in ("...",
...)`, the way a test runs one check over a few cases), or in the text of a capture under
docs/_captured/ the test checks with ``captures.check("name", ...)``. Case-sensitive.
Helpers the test calls are not read: a sentence that rests on what a helper asserts names
that helper's assert in the test instead, or names no observable."""

from __future__ import annotations

import ast
import fnmatch
import sys
from functools import lru_cache
from pathlib import Path

from tests.harness.project import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import proof_role  # noqa: E402 - the evidence page's own reading of what a test asserts

CAPTURE_CHECK = ("captures.check", "check")


@lru_cache(maxsize=4)
def _tests(root: Path) -> dict[str, list[tuple[Path, ast.FunctionDef, str]]]:
    return proof_role._functions(root / "tests")


def _module_constants(source: str) -> dict[str, ast.AST]:
    tree = ast.parse(source)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    found[t.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.value is not None:
            found[node.target.id] = node.value
    return found


def _is_literal(node: ast.AST) -> bool:
    return all(isinstance(n, (ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.Tuple,
                              ast.List, ast.Set, ast.Dict, ast.Name, ast.Load))
               for n in ast.walk(node))


def _local_literals(fn: ast.FunctionDef) -> dict[str, ast.AST]:
    """Names the test binds to literal data: `x = "..."`, `for a, b in (("...", ...), ...)`.
    A value computed by the test (a run's output) is not one: what it holds is not checked."""
    found = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and _is_literal(node.value):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.For, ast.comprehension)) and _is_literal(node.iter):
            targets, value = [node.target], node.iter
        else:
            continue
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    found[n.id] = value
    return found


def _texts(node: ast.AST, source: str) -> list[str]:
    """The source text of `node` and the values of the string literals in it."""
    return [ast.get_source_segment(source, node) or ""] + [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _constants_used(node: ast.AST, constants: dict[str, ast.AST], source: str) -> list[str]:
    """The texts of the constants `node` uses by name, and of those they use."""
    seen, todo, texts = set(), [node], []
    while todo:
        for n in ast.walk(todo.pop()):
            if isinstance(n, ast.Name) and n.id in constants and n.id not in seen:
                seen.add(n.id)
                texts += _texts(constants[n.id], source)
                todo.append(constants[n.id])
    return texts


def _capture_patterns(arg: ast.AST, constants: dict[str, ast.AST]) -> list[str]:
    """The capture names a `captures.check` first argument can be, as glob patterns: a
    literal, a module constant, an f-string (constants filled in, anything else `*`); a name
    the test alone decides (a parameter) is not resolved."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.Name) and arg.id in constants:
        return _capture_patterns(constants[arg.id], constants)
    if isinstance(arg, ast.BoolOp):
        return [p for v in arg.values for p in _capture_patterns(v, constants)]
    if isinstance(arg, ast.JoinedStr):
        pattern = ""
        for part in arg.values:
            if isinstance(part, ast.Constant):
                pattern += str(part.value)
            else:
                known = _capture_patterns(part.value, constants)
                pattern += known[0] if len(known) == 1 and "*" not in known[0] else "*"
        return [pattern] if pattern.strip("*/") else []
    return []


def _captures(pattern: str, captured: Path) -> list[Path]:
    if not any(c in pattern for c in "*?["):
        return [captured / pattern] if (captured / pattern).is_file() else []
    return [p for p in sorted(captured.rglob("*"))
            if p.is_file() and fnmatch.fnmatchcase(p.relative_to(captured).as_posix(), pattern)]


def checked_in(fn: ast.FunctionDef, source: str, observable: str,
               captured: Path) -> str | None:
    """Where the test function checks `observable` (`line N` or a capture's name), or None."""
    constants = _module_constants(source)
    bound = {**constants, **_local_literals(fn)}
    for line, node, text in proof_role.assert_nodes(fn, source):
        if any(observable in t for t in [text, *_texts(node, source),
                                         *_constants_used(node, bound, source)]):
            return f"line {line}"
        if isinstance(node, ast.Call) and node.args and \
                ast.get_source_segment(source, node.func) in CAPTURE_CHECK:
            for pattern in _capture_patterns(node.args[0], constants):
                for path in _captures(pattern, captured):
                    if observable in path.read_text(errors="replace"):
                        return f"docs/_captured/{path.relative_to(captured).as_posix()}"
    return None


def why_not_checked(target: str, observable: str, root: Path = ROOT) -> str | None:
    """None when every test `target` names checks `observable`; else why not. `target` is a
    test function name or `path::name`, as in a proof mark; `root` holds tests/ and
    docs/_captured/ (the plant tests give their own)."""
    path, _, name = target.rpartition("::")
    found = [(module, fn, source) for module, fn, source in _tests(root).get(name, [])
             if not path or module.relative_to(root).as_posix() == path]
    if not found:
        return f"no test function {target} in the test files to check {observable!r} in"
    for module, fn, source in found:
        if checked_in(fn, source, observable, root / "docs" / "_captured") is None:
            rel = module.relative_to(root).as_posix()
            return (f"{target} does not check {observable!r}: it is in no assert of "
                    f"{rel}:{fn.lineno} (nor a constant one uses) and no capture it checks")
    return None
