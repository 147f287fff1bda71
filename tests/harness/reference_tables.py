"""The environment-variable reference, rendered from its data file
(docs/reference/environment-variables.toml) into docs/_generated/environment-variables.md, and
the facts tests/test_reference_tables.py checks it against: what the pinned Claude Code binary
reads (claude_binary.env_vars), what the pinned LiteLLM's source names, and the variables the
site's own snippets and pages use."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from .project import ROOT, SNIPPETS

DATA = ROOT / "docs" / "reference" / "environment-variables.toml"
GENERATED = ROOT / "docs" / "_generated" / "environment-variables.md"
ENV_TEST = "test_environment_variable_page_covers_the_binary"
NOT_READ_TEST = "test_names_nothing_reads_are_in_neither_component"

CATEGORY_TITLES = {
    "gateway": "Gateway address (ANTHROPIC_BASE_URL), credentials and traffic",
    "provider": "Provider modes (Bedrock, Vertex AI and others)",
    "proxy": "Proxies",
    "tls": "TLS and certificates",
    "model": "Models",
    "retry-timeout": "Retries and timeouts",
    "other": "Other variables the guides use",
}
STATUS_WORD = {"proof": "proven", "source": "sourced", "unverified": "not verified"}


@functools.cache
def data() -> dict:
    return tomllib.loads(DATA.read_text(encoding="utf-8"))


def status(row: dict) -> str:
    """Which of proven / sourced / not verified the row is; exactly one must be given."""
    given = [k for k in STATUS_WORD if k in row]
    if len(given) != 1:
        raise ValueError(f"{row['names']}: give exactly one of proof, source, unverified")
    return given[0]


def _status_cell(row: dict) -> str:
    kind = status(row)
    if kind == "proof":
        return "proven: " + ", ".join(f"{{proof}}`{t}`" for t in row["proof"])
    if kind == "source":
        url = data()["sources"][row["source"]]
        return f"sourced: [{url.split('//', 1)[1]}]({url})"
    return f"not verified: {row['unverified']}"


def _names(row: dict) -> str:
    return ", ".join(f"`{n}`" for n in row["names"])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def category_members(env_vars) -> dict[str, list[str]]:
    """The binary's variables in each category of the data file."""
    return {cat: sorted(v for v in env_vars if re.search(pattern, v))
            for cat, pattern in data()["categories"].items()}


def render(env_vars) -> str:
    d = data()
    members = category_members(env_vars)
    covered = sorted(set().union(*members.values()))
    lines = [
        f"The pinned Claude Code binary reads {len(env_vars)} environment variables "
        f"(read from the binary itself); {len(covered)} of "
        "them are about gateways, providers, proxies, TLS, models, retries or timeouts (the "
        "name patterns are in `docs/reference/environment-variables.toml`), and every one of "
        f"those has a row below {{proof}}`{ENV_TEST}`. So does every variable a guide on this "
        "site uses. **proven** (with a check mark) means a test shows the behaviour with the "
        "pinned version; **sourced** links to the vendor's documentation; **not verified** means "
        "the binary reads the name and nothing here shows what it does.", "",
        "## Claude Code (the developer's machine)", "",
        "Set these in the shell that runs `claude`, or in the `env` block of a "
        "{doc}`settings file </reference/settings-files>`.", "",
    ]
    for cat, title in CATEGORY_TITLES.items():
        rows = [r for r in d["claude_code"] if r["cat"] == cat]
        if not rows:
            continue
        lines += [f"### {title}", "",
                  "| Variable | Side | What it does | Values | Default | Used on | Status |",
                  "|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append("| " + " | ".join(_cell(c) for c in (
                _names(r), r.get("side", "Claude Code"), r["what"], r["values"], r["default"],
                f"{{doc}}`/{r['page']}`", _status_cell(r))) + " |")
        lines.append("")
    lines += ["## The gateways", "",
              "Set these where the gateway starts, never in a developer's shell. A name a "
              "config references (`os.environ/NAME` in LiteLLM, `${NAME}` in Claude apps "
              "gateway) is this site's choice; any name works if the config and the shell "
              "agree.", "",
              "| Variable | Side | What it does | Values | Default | Used on | Status |",
              "|---|---|---|---|---|---|---|"]
    for r in d["gateway"]:
        side = r["side"] + (" (a name the config references)" if r["kind"] == "reference"
                            else "")
        lines.append("| " + " | ".join(_cell(c) for c in (
            _names(r), side, r["what"], r["values"], r["default"],
            f"{{doc}}`/{r['page']}`", _status_cell(r))) + " |")
    lines += ["", "## Names nothing reads", "",
              "Setting these changes nothing: the pinned Claude Code binary holds no such "
              "string and the pinned LiteLLM's source never names them, unless the row says "
              "otherwise "
              f"{{proof}}`{NOT_READ_TEST}`.", "",
              "| Name | Where it comes from | Use instead |", "|---|---|---|"]
    for r in d["not_read"]:
        who = (" (the pinned Claude Code reads it; the pinned LiteLLM does not)"
               if r.get("binary") else
               " (named in a message of the pinned LiteLLM, never read)"
               if r.get("litellm") == "message" else "")
        lines.append(f"| `{r['name']}` | {_cell(r['where'])}{who} | {_cell(r['instead'])} |")
    return "\n".join(lines) + "\n"


# -- what the site uses --------------------------------------------------------------------

VAR = r"[A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z][A-Z0-9]{2,}"
SNIPPET_USES = [
    rf"(?:^|[\s;(])(?:export\s+)?({VAR})=",  # assignments and exports
    rf"os\.environ/({VAR})",  # LiteLLM config references
    rf"\$\{{({VAR})",  # ${NAME} (apps gateway, shells)
    rf"\$({VAR})\b",  # $NAME
    rf"-\s*name:\s*({VAR})\s*$",  # Kubernetes env lists
    rf"^\s+({VAR}):\s",  # YAML environment maps (Compose, managed settings env)
]
PAGE_USES = rf"`({VAR})(?:=[^`]*)?`"


def site_variables() -> dict[str, set[str]]:
    """Every variable name the site uses -> where: snippet files, and inline code on pages
    that has the shape of a variable (upper case with an underscore, or `NAME=value`)."""
    found: dict[str, set[str]] = {}
    for path in sorted(SNIPPETS.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for pattern in SNIPPET_USES:
            for m in re.finditer(pattern, text, re.MULTILINE):
                found.setdefault(m.group(1), set()).add(str(path.relative_to(ROOT)))
        if path.suffix == ".json":
            import json
            try:
                env = json.loads(text).get("env", {})
            except (ValueError, AttributeError):
                env = {}
            for name in env:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "docs").rglob("*.md")):
        if {"_build", "_captured", "_generated"} & set(path.parts):
            continue
        for m in re.finditer(PAGE_USES, path.read_text()):
            name = m.group(1)
            if "_" in name or "=" in m.group(0):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def rows() -> list[dict]:
    return data()["claude_code"] + data()["gateway"]


def named() -> set[str]:
    return {n for r in rows() for n in r["names"]} | {r["name"] for r in data()["not_read"]}


def write(env_vars) -> Path:
    GENERATED.write_text(render(env_vars), encoding="utf-8")
    return GENERATED


if __name__ == "__main__":
    from . import claude_binary
    print(write(claude_binary.env_vars()))
