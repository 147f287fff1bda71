"""Access to the files readers copy. Tests get snippet paths only through `snippet()`, which
records that the snippet was exercised, so the coverage guard knows what ran."""

from __future__ import annotations

from pathlib import Path

from .project import SNIPPETS

EXERCISED: set[str] = set()


def snippet(rel: str) -> Path:
    path = SNIPPETS / rel
    if not path.is_file():
        raise FileNotFoundError(f"no snippet {rel} under {SNIPPETS}")
    EXERCISED.add(rel)
    return path


def ran(*rels: str) -> None:
    """Record that these snippets' bytes were really run (executed, sourced, loaded by the
    component, served a request). Harness runners call it; call it yourself only where a
    test runs a snippet some other way."""
    for rel in rels:
        if not (SNIPPETS / rel).is_file():
            raise FileNotFoundError(f"no snippet {rel} under {SNIPPETS}")
        EXERCISED.add(rel)


def all_snippets() -> set[str]:
    return {str(p.relative_to(SNIPPETS)) for p in SNIPPETS.rglob("*") if p.is_file()}
