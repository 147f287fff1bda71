"""The built site as a reader meets it: served on loopback, opened in the reader's browser
(harness/reader/browser.py). `DOCS_BUILD` names the build verify-docs made; alone, the site_build
fixture (tests/conftest.py) builds it."""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.harness.reader import browser as reader_browser

# The widths a reader meets: a laptop, and a phone (390 CSS px: today's common iPhone and
# Pixel widths sit at 390-412, so 390 is the narrower end).
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VARIANTS = {f"{scheme}-{w}": {"color_scheme": scheme, "viewport": size,
                              "is_mobile": size is PHONE, "has_touch": size is PHONE}
            for scheme in ("light", "dark") for w, size in (("1280", DESKTOP), ("390", PHONE))}


def pages(build: Path) -> list[str]:
    """Every page of the site, as paths relative to the site root."""
    return sorted(str(p.relative_to(build)) for p in build.rglob("*.html")
                  if not p.relative_to(build).parts[0].startswith("_"))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url(site_build):
    """The built site served on 127.0.0.1 (a free port), stopped at the end."""
    handler = functools.partial(QuietHandler, directory=str(site_build))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def chromium():
    if why := reader_browser.why_unavailable():
        pytest.skip(why)
    with reader_browser.browser() as b:
        yield b


@pytest.fixture(scope="session")
def site_pages(site_build) -> list[str]:
    found = pages(site_build)
    assert "index.html" in found, f"no index.html in {site_build}"
    return found


@pytest.fixture(scope="session")
def site_blocks(site_build) -> list[dict]:
    return json.loads((site_build / "code-blocks.json").read_text())
