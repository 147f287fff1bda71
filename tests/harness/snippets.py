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


def all_snippets() -> set[str]:
    return {str(p.relative_to(SNIPPETS)) for p in SNIPPETS.rglob("*") if p.is_file()}
