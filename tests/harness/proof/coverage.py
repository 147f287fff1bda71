"""The coverage guard's judgement, as a function of the site's manifest (code-blocks.json,
written by docs/_ext/code_block_manifest.py) and the run's records, so a test can judge a
planted site with records of its own (tests/test_guard_plants.py).

A block is covered only when the bytes a reader sees were executed or checked in this run:
- a block included from snippets/ shows exactly the file (no :lines:, :prepend: …) and a test
  ran that snippet;
- a block included from docs/_captured/ shows exactly the file and a test re-checked it;
- a block written on the page was checked by Sybil in this run (docs/conftest.py), which
  refuses transcripts, commands, LiteLLM configs and settings the pinned CLI would not read;
- an inline literal that is a whole command a reader runs is a line of a snippet that ran, or
  the words that start one (the form of a command: `claude -p`), or output a checked
  capture holds (an error message that starts with a program's name);
- nothing else preformatted (doctest blocks, line blocks, raw <pre>/<code>, files a page reads
  through csv-table or include) reaches a page."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.project import CAPTURED, ROOT, SNIPPETS

DOCS = ROOT / "docs"

# Programs a reader is told to run on these pages' subjects: package managers and
# interpreters (installs), the components (claude, litellm, nginx, squid), the shell's own
# environment commands (export/unset/source change what the next command does), clients of
# the services involved (curl, openssl, cloud CLIs, kubectl, docker), and this project's tools.
# A literal starting with one of them, then an argument, is a command.
COMMAND_WORDS = (
    "apt-get apt dnf yum brew pip pip3 pipx uv python python3 npm npx node claude litellm "
    "curl wget openssl export unset source docker kubectl helm gcloud aws az sudo nox "
    "gateway-assistant nginx squid systemctl"
).split()
COMMAND = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:" + "|".join(map(re.escape, COMMAND_WORDS))
                     + r")\s+\S")
PREFORMATTED_HTML = re.compile(r"<\s*(pre|code|samp|kbd|tt|xmp|listing|plaintext|textarea)\b",
                               re.IGNORECASE)


@dataclass
class Records:
    """What the run did (the defaults: the run's own records)."""
    exercised: set[str] = field(default_factory=set)  # snippets/ paths that ran
    captures: set[str] = field(default_factory=set)  # docs/_captured/ paths re-checked
    inline: set[tuple[str, str]] = field(default_factory=set)  # (page path, text) checked

    @classmethod
    def of_this_run(cls) -> Records:
        from tests.harness.proof import captures, snippets, static_checks
        return cls(snippets.EXERCISED.all(), captures.CHECKED.all(),
                   static_checks.CHECKED_INLINE.all())


def _where(entry: dict, docs: Path) -> str:
    source = entry.get("file") or str(docs / f"{entry['page']}.md")
    try:
        source = str(Path(source).resolve().relative_to(docs.parent))
    except ValueError:
        pass
    return f"{source}:{entry.get('line') or '?'}"


def shown_difference(shown: str, path: Path) -> str | None:
    """None when the page shows the file's bytes (trailing newlines aside); else how not."""
    text = path.read_text()
    if shown.rstrip("\n") == text.rstrip("\n"):
        return None
    lines, shown_lines = text.rstrip("\n").splitlines(), shown.rstrip("\n").splitlines()
    for start in range(len(lines)):
        if lines[start:start + len(shown_lines)] == shown_lines and shown_lines:
            return (f"shows lines {start + 1}–{start + len(shown_lines)} of {len(lines)} only; "
                    "include the whole file (no :lines:, :start-after:, :end-before:) or "
                    "split the snippet")
    diff = list(difflib.unified_diff(lines, shown_lines, path.name, "shown", lineterm="", n=0))
    return ("shows other text than the file (:prepend:, :append:, :dedent: …); include it "
            "unchanged:\n      " + "\n      ".join(diff[2:8]))


def _ran_lines(records: Records, snippets_dir: Path) -> set[str]:
    lines = set()
    for rel in records.exercised:
        path = snippets_dir / rel
        if path.is_file():
            lines.update(" ".join(line.split()) for line in path.read_text().splitlines())
    return lines


def _ran_form(text: str, ran_lines: set[str]) -> bool:
    """A literal is proven when it is a line of a snippet that ran, or the words that start
    one (`claude -p`, `gateway-assistant validate`, `export …`: the form of a command the
    page shows whole elsewhere). Whole words only: `pip install litellm` is not the start of
    `pip install litellm==1.106.2`, which would install another version."""
    words = text.removesuffix("…").removesuffix("...").split()
    return text in ran_lines or any(line.split()[:len(words)] == words for line in ran_lines)


def _captured_output(text: str, records: Records, captured: Path) -> bool:
    """A literal that quotes output a checked capture holds (`claude gateway: …` is an error
    message, not a command); `…` stands for text left out."""
    pattern = re.compile(r"\s*.*?\s*".join(re.escape(" ".join(part.split()))
                                          for part in re.split(r"…|\.\.\.", text)))
    for rel in records.captures:
        path = captured / rel
        if path.is_file() and pattern.search(" ".join(path.read_text().split())):
            return True
    return False


def why_uncovered(entry: dict, records: Records, ran_lines: set[str],
                  shown: set[tuple[str, Path]] = frozenset(), snippets_dir: Path = SNIPPETS,
                  captured: Path = CAPTURED, docs: Path = DOCS) -> str | None:
    kind = entry.get("kind", "block")
    if kind == "literal":
        text = " ".join(entry["text"].split())
        if COMMAND.match(text) and not _ran_form(text, ran_lines) \
                and not _captured_output(text, records, captured):
            return (f"inline literal `{text}` is a command a reader runs, and no snippet a "
                    "test ran has that line (or starts a line with those words); put it in "
                    "a snippet and run it, or reword")
        return None
    if kind == "raw":
        if (m := PREFORMATTED_HTML.search(entry["text"])):
            return (f"raw {entry.get('format') or ''} output with <{m.group(1)}>: preformatted "
                    "text must be a literalinclude of a snippet or a capture")
        return None
    if kind in ("doctest", "line-block"):
        return f"a {kind} shows preformatted text that nothing runs; use a snippet or capture"
    source = entry.get("included_from")
    if kind == "dependency":
        path = Path(source)
        if path.suffix == ".md" and path.is_relative_to(docs):
            return None  # a page include: its blocks are listed as the page's own
        if path.suffix in (".svg", ".png") and path.is_relative_to(docs / "_generated"):
            return None  # a benchmark's chart (an image): nothing on it to copy or paste
        if (entry["page"], path.resolve()) in shown:
            return None  # judged through the block that shows it
        return (f"the page reads {source} (csv-table :file:, include, …): its text reaches "
                "the page without a check; use a literalinclude of a snippet or capture")
    if source:
        path = Path(source).resolve()
        if path.is_relative_to(snippets_dir):
            rel = str(path.relative_to(snippets_dir))
            if (why := shown_difference(entry["text"], path)):
                return f"literalinclude of snippets/{rel} {why}"
            return None if rel in records.exercised else f"snippet {rel} was not run by a test"
        if path.is_relative_to(captured):
            rel = str(path.relative_to(captured))
            if (why := shown_difference(entry["text"], path)):
                return f"literalinclude of docs/_captured/{rel} {why}"
            return None if rel in records.captures else f"capture {rel} was not re-checked"
        return f"included from {source}, which is neither snippets/ nor docs/_captured/"
    page = entry.get("file") or str(docs / f"{entry['page']}.md")
    if (page, entry["text"].strip("\n")) in records.inline:
        return None
    return (f"inline {entry.get('language') or 'plain'} block that no check passed in this run "
            "(its language is refused or not checked; commands and configs belong in "
            "snippets/, outputs in docs/_captured/)")


def judge(manifest: list[dict], records: Records | None = None, **where) -> list[str]:
    """Every entry of the manifest that nothing in `records` proves, as
    `docs/page.md:line: why` lines."""
    records = records or Records.of_this_run()
    ran_lines = _ran_lines(records, where.get("snippets_dir", SNIPPETS))
    shown = {(e["page"], Path(e["included_from"]).resolve()) for e in manifest
             if e.get("kind", "block") == "block" and e.get("included_from")}
    docs = where.get("docs", DOCS)
    return [f"{_where(e, docs)}: {why}" for e in manifest
            if (why := why_uncovered(e, records, ran_lines, shown, **where))]
