"""Reference: tested versions (docs/reference/versions.md). What the page says the pinned
packages need is what their own metadata declares."""

from __future__ import annotations

import json
import re

from tests.harness.project import CLAUDE_CODE_PACKAGE, LITELLM_VERSION, VERSIONS
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.start import components


def test_versions_page_matches_the_pinned_packages():
    site = components.litellm_bin().parent / "lib"
    (metadata,) = site.glob(f"python3*/site-packages/litellm-{LITELLM_VERSION}.dist-info/METADATA")
    requires = re.search(r"^Requires-Python: (.*)$", metadata.read_text(), re.M).group(1)
    need = VERSIONS["requirements"]
    assert {s.strip() for s in requires.split(",")} == {
        f">={need['python']}", f"<{need['python_below']}"}, requires
    package = components.claude_bin().parent / "lib/node_modules" / CLAUDE_CODE_PACKAGE
    engines = json.loads((package / "package.json").read_text())["engines"]["node"]
    assert engines == f">={need['node']}.0.0", engines


def test_versions_page_names_the_proxies_the_pages_ran(terminal):
    """The third-party notice sends readers to this page for the versions of nginx, HAProxy
    and Squid the pages were tested with: those are the ones on the PATH the runs use."""
    terminal.env["PATH"] = f"/usr/sbin:{terminal.env['PATH']}"  # where Debian puts them
    result = terminal.run("versions/01-proxy-versions.sh")
    assert result.code == 0, result.output
    output = result.stdout
    for name in ("nginx version: nginx/", "HAProxy version ", "Squid Cache: Version "):
        assert output.count(name) == 1, output
    captures.check("versions/proxies.console", captures.console(
        snippet("versions/01-proxy-versions.sh").read_text(), output),
        figures=r"(?<=\+deb12u)\d+ \d{4}/\d\d/\d\d")  # a Debian security update
