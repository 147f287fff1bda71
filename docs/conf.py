"""Sphinx configuration. Versions shown on pages come from conf/versions.toml, the same file
the test harness installs from, so a version on a page is the tested one."""

import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).parent
VERSIONS = tomllib.loads((DOCS.parent / "conf" / "versions.toml").read_text())
sys.path.insert(0, str(DOCS / "_ext"))

project = "Claude Code through an LLM gateway"
author = "The gateway-docs maintainers"
copyright = "2026, the gateway-docs maintainers"

extensions = ["myst_parser", "sphinx_design", "sphinx_copybutton", "code_block_manifest",
              "proof_role"]
exclude_patterns = ["_build", "_captured", "_generated", "_includes", "conftest.py"]
myst_enable_extensions = ["substitution", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_substitutions = {
    "litellm_version": VERSIONS["litellm"]["version"],
    "claude_code_version": VERSIONS["claude_code"]["version"],
    "claude_code_package": VERSIONS["claude_code"]["package"],
    "python_min": VERSIONS["requirements"]["python"],
    "python_below": VERSIONS["requirements"]["python_below"],
    "node_min": VERSIONS["requirements"]["node"],
}

html_theme = "furo"
html_title = project
html_static_path = []

# Copying a console transcript copies the `$ `-prompted commands only, never the output.
copybutton_prompt_text = r"\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
