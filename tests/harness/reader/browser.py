"""The reader's browser: Debian's Chromium, headless, driven by Playwright (never
`playwright install`: the browser comes from the system package). Flags keep it from
reaching anything but loopback on its own (background networking, updates, sync)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

from tests.harness.proof import starts

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def why_unavailable() -> str | None:
    if not shutil.which(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (Debian package chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (test dependency group)"
    return None


@contextmanager
def browser():
    """A fresh headless Chromium (empty profile) for the duration of the block."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        with starts.timed("Chromium", "headless, empty profile"):
            b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()
