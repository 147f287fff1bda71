"""Access to the files readers copy. `snippet(rel)` only gives a snippet's path; a snippet
counts as exercised when its bytes really ran: the runners (terminal, gateways, nginx, the
component installs) call `ran(rel)` once they have, so the coverage guard knows what ran.
Reading a snippet's text (to check a pin, to print its command) proves nothing."""

from __future__ import annotations

from pathlib import Path

from tests.harness.project import SNIPPETS
from tests.harness.proof.records import RunRecord, used

EXERCISED = RunRecord("exercised")


def snippet(rel: str) -> Path:
    path = SNIPPETS / rel
    if not path.is_file():
        raise FileNotFoundError(f"no snippet {rel} under {SNIPPETS}")
    return path


def ran(*rels: str) -> None:
    """Record that these snippets' bytes were really run (executed, sourced, loaded by the
    component, served a request). Harness runners call it; call it yourself only where a
    test runs a snippet some other way."""
    for rel in rels:
        snippet(rel)
        EXERCISED.add(rel)
        used(rel)


def all_snippets() -> set[str]:
    return {str(p.relative_to(SNIPPETS)) for p in SNIPPETS.rglob("*") if p.is_file()}
