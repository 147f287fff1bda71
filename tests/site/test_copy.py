"""Copy that works: every copy button on the site, clicked in the reader's browser, puts
exactly what a reader should paste on the clipboard: the snippet file a test ran (no
trailing newline that would run it on paste), or for a console transcript its commands —
`$ ` and `> ` prompts removed, no output — which are again the bytes of a snippet file.
Blocks that are only output have no copy button (docs/_ext/reader_a11y.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.project import CAPTURED, SNIPPETS

from .conftest import VARIANTS

SNIPPET_TEXTS = {p.read_text().rstrip("\n"): p for p in SNIPPETS.rglob("*") if p.is_file()}
COPY_ALL = """async () => {
  const copied = [];
  for (const button of document.querySelectorAll("button.copybtn")) {
    const pre = document.querySelector(button.dataset.clipboardTarget);
    button.click();
    await new Promise((r) => setTimeout(r, 30));
    copied.push({shown: pre.textContent, copied: await navigator.clipboard.readText()});
    await navigator.clipboard.writeText("");
  }
  return copied;
}"""


def commands(transcript: str) -> str:
    """The commands of a console transcript (harness/proof/captures.py console())."""
    out = []
    for line in transcript.splitlines():
        if line.startswith(("$ ", "> ")):
            out.append(line[2:])
        elif line == ">":
            out.append("")
    return "\n".join(out)


def output_only(block: dict) -> bool:
    """A captured output without a command line (the site gives it no copy button)."""
    return ("/_captured/" in (block["included_from"] or "")
            and not any(line.startswith("$ ") for line in block["text"].splitlines()))


def expected_copy(block: dict) -> tuple[str, str]:
    """(what the clipboard must hold, where that comes from)."""
    source = Path(block["included_from"]).resolve() if block["included_from"] else None
    if source and source.is_relative_to(SNIPPETS):
        return source.read_text().rstrip("\n"), str(source.relative_to(SNIPPETS.parent))
    if source and source.is_relative_to(CAPTURED):
        typed = commands(block["text"])
        ran = SNIPPET_TEXTS.get(typed)
        assert ran, (f"docs/_captured/{source.relative_to(CAPTURED)}: its commands are no "
                     f"snippet file:\n{typed}")
        return typed, f"{ran.relative_to(SNIPPETS.parent)} (in a transcript)"
    return block["text"].rstrip("\n"), f"inline block on {block['page']}"


@pytest.mark.parametrize("variant", ["light-1280", "light-390"])  # commands wrap on a phone
def test_every_copy_button_copies_what_the_reader_pastes(chromium, site_url, site_pages,
                                                         site_blocks, variant):
    context = chromium.new_context(**VARIANTS[variant])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url[:-1])
    page = context.new_page()
    wrong, buttons = [], 0
    try:
        for rel in site_pages:
            docname = rel.removesuffix(".html")
            # code blocks only: the manifest also lists inline literals and raw nodes
            blocks = [b for b in site_blocks if b["page"] == docname and b["kind"] == "block"
                      and not output_only(b)]
            page.goto(site_url + rel)
            clicked = page.evaluate(COPY_ALL)
            assert len(clicked) == len(blocks), (
                f"{rel}: {len(clicked)} copy buttons for {len(blocks)} blocks with something "
                "to paste")
            for block, got in zip(blocks, clicked, strict=True):
                assert got["shown"].rstrip("\n") == block["text"].rstrip("\n"), (
                    f"{rel}: buttons and blocks out of order at line {block['line']}")
                want, origin = expected_copy(block)
                buttons += 1
                if got["copied"] != want:
                    wrong.append(f"{rel} line {block['line']} ({origin}):\n"
                                 f"  copied {got['copied']!r}\n  wanted {want!r}")
    finally:
        context.close()
    print(f"{buttons} copy buttons on {len(site_pages)} pages")
    assert buttons, "no copy buttons found"
    assert not wrong, "copy buttons that copy the wrong thing:\n" + "\n".join(wrong)


@pytest.mark.parametrize("line, copied", [("$ a \\", "a \\"), ("> b", "b"), (">", "")])
def test_transcript_prompts_are_removed(line, copied):
    assert commands(line) == copied


OPACITY = "b => getComputedStyle(b).opacity"


@pytest.mark.parametrize("variant", ["light-1280", "light-390"])
def test_copy_button_shows_on_keyboard_focus_and_on_touch(chromium, site_url, variant):
    context = chromium.new_context(**VARIANTS[variant])
    page = context.new_page()
    try:
        page.goto(site_url + "tutorials/quickstart.html")
        button = page.locator("button.copybtn").first
        page.mouse.move(0, 0)
        page.wait_for_timeout(400)  # the button fades (0.3 s transition)
        resting = float(button.evaluate(OPACITY))
        for _ in range(200):  # Tab, as a keyboard reader does, until the button has focus
            page.keyboard.press("Tab")
            if button.evaluate("b => b === document.activeElement"):
                break
        else:
            raise AssertionError("Tab never reaches the first copy button")
        page.wait_for_timeout(400)
        assert float(button.evaluate(OPACITY)) == 1, "focused copy button is not visible"
        assert button.evaluate("b => getComputedStyle(b).outlineStyle") != "none"
    finally:
        context.close()
    # On a touch screen (no hover) it shows without being touched; with a mouse it waits.
    assert (resting == 1) == VARIANTS[variant]["has_touch"], resting
