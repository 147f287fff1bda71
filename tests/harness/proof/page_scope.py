"""Prove one page (or a few) in minutes: `nox -s verify-docs -- docs/how-to/routing.md`.

From the built site's manifests it finds what the page shows and claims: the snippets and
recorded outputs it includes (code-blocks.json) and the tests its check marks name
(claims.json). The tests to run are the ones that ran those snippets or checked those
outputs in the last whole run (its map, saved in the cache by `save_map`), else the modules
that use them by name, and the tests the marks name; the page's own source is collected too
(its inline blocks, checked by Sybil). The coverage and claims guards then judge that page
alone (GATEWAY_DOCS_PAGES)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.harness.project import CACHE, ROOT
from tests.harness.proof import records

PAGES_ENV = "GATEWAY_DOCS_PAGES"  # docnames, comma-separated: the guards judge these only
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
MAP = CACHE / "used-by.json"  # snippet or capture name -> the tests that used it, last run


def save_map(run_records: Path) -> int:
    """After a whole run: which tests ran each snippet and checked each capture."""
    by_name: dict[str, set[str]] = {}
    for name, test in records.USED_BY.all(run_records):
        by_name.setdefault(name, set()).add(test)
    if by_name:
        MAP.parent.mkdir(parents=True, exist_ok=True)
        tmp = MAP.with_suffix(".tmp")
        tmp.write_text(json.dumps({n: sorted(t) for n, t in sorted(by_name.items())}, indent=0))
        tmp.replace(MAP)
    return len(by_name)


def _still_there(nodeid: str, modules: dict[Path, str]) -> bool:
    """A node id from the saved map whose test function still exists (the map may be old)."""
    path, _, rest = nodeid.partition("::")
    name = re.sub(r"\[.*\]$", "", rest.rsplit("::", 1)[-1])
    text = modules.get(ROOT / path)
    return bool(name) and text is not None and bool(re.search(rf"^\s*def {name}\(", text, re.M))


def docname(arg: str) -> str | None:
    """`docs/how-to/routing.md` (or an absolute path to it) -> `how-to/routing`."""
    path = Path(arg).resolve()
    if path.suffix != ".md" or not path.is_file() or DOCS not in path.parents:
        return None
    return path.relative_to(DOCS).with_suffix("").as_posix()


def _modules() -> dict[Path, str]:
    return {p: p.read_text() for p in sorted(TESTS.rglob("test_*.py"))}


def _name_of(included: str) -> str | None:
    """What a test uses to name an included file: `guide/NN-x.sh` or `guide/capture.txt`."""
    path = Path(included).resolve()
    for top in (ROOT / "snippets", DOCS / "_captured"):
        if top in path.parents:
            return path.relative_to(top).as_posix()
    return None


def _runs(nodeid: str, chosen: set[str]) -> bool:
    """Whether a chosen argument runs this test: itself, its function (all parameters), or its
    whole module."""
    function = re.sub(r"\[.*\]$", "", nodeid)
    return bool({nodeid, function, nodeid.split("::")[0]} & chosen)


def selection(pages: list[str], build: Path) -> list[str]:
    """pytest arguments: the tests the pages' marks name, one test that used each file the
    pages include that those do not already run (else the modules naming it), and the pages'
    sources."""
    blocks = json.loads((build / "code-blocks.json").read_text())
    claims = json.loads((build / "claims.json").read_text())
    modules = _modules()
    used_by = json.loads(MAP.read_text()) if MAP.is_file() else {}
    names = {n for e in blocks if e["page"] in pages and e.get("included_from")
             if (n := _name_of(e["included_from"]))}
    # The cases of a parametrized test that ran the pages' own files (a mark on a page about
    # routing files names a test run for every published config: its routing cases prove it
    # here; the whole run proves the rest).
    cases = {t for n in names for t in used_by.get(n, []) if "[" in t}
    chosen: set[str] = set()
    for target in {c["test"] for c in claims if c["page"] in pages}:
        where, _, name = target.rpartition("::")
        for path, text in modules.items():
            rel = path.relative_to(ROOT).as_posix()
            if (not where or rel == where) and re.search(rf"^\s*def {name}\(", text, re.M):
                own = {t for t in cases if re.sub(r"\[.*\]$", "", t) == f"{rel}::{name}"}
                chosen.update(own or {f"{rel}::{name}"})
    unmapped = set()
    for n in sorted(names):
        tests = [t for t in used_by.get(n, []) if _still_there(t, modules)]
        if not tests:
            unmapped.add(n)
        elif not any(_runs(t, chosen) for t in tests):
            # One test that used it proves it runs: one in a module already chosen if any.
            near = [t for t in tests if t.split("::")[0] in {c.split("::")[0] for c in chosen}]
            chosen.add((near or tests)[0])
    for path, text in modules.items():
        if any(f'"{n}"' in text or f"'{n}'" in text for n in unmapped):
            chosen.add(path.relative_to(ROOT).as_posix())
    whole = {c for c in chosen if "::" not in c}
    chosen = {c for c in chosen if c.split("::")[0] not in whole or "::" not in c}
    sources = [f"docs/{p}.md" for p in pages]
    return sorted(chosen) + sources


def judged(entries: list[dict], pages: str | None) -> list[dict]:
    """The guards' entries for the pages a page-scoped run proves (all without one)."""
    if not pages:
        return entries
    wanted = set(pages.split(","))
    return [e for e in entries if e["page"] in wanted]
