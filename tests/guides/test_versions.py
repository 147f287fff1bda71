"""Reference: tested versions (docs/reference/versions.md). What the page says the pinned
packages need is what their own metadata declares."""

from __future__ import annotations

import json
import re

from tests.harness.project import CLAUDE_CODE_PACKAGE, LITELLM_VERSION, VERSIONS
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
