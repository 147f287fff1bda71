"""Where things are: the repository, the pinned versions, the component cache."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets"
CAPTURED = ROOT / "docs" / "_captured"
VERSIONS = tomllib.loads((ROOT / "conf" / "versions.toml").read_text())

LITELLM_VERSION = VERSIONS["litellm"]["version"]
CLAUDE_CODE_VERSION = VERSIONS["claude_code"]["version"]
CLAUDE_CODE_PACKAGE = VERSIONS["claude_code"]["package"]

# Installs are kept across runs and clones, keyed by version, so warm runs install nothing.
CACHE = Path(os.environ.get("GATEWAY_DOCS_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gateway-docs")
