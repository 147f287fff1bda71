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

from tests.harness.project import ROOT, SNIPPETS

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
# The gateway section, one list per program; a row whose side names neither goes under OTHER.
GATEWAY_GROUPS = ("LiteLLM", "Claude apps gateway")
OTHER = "Where the gateway runs"
# How a source link reads: the documentation it leads to (the host when it is none of these).
SOURCE_NAMES = {"code.claude.com": "Claude Code docs", "docs.litellm.ai": "LiteLLM docs",
                "docs.docker.com": "Docker docs", "systemd.io": "systemd docs"}
# Each list sits in a container of this class: reader.css lets a name wider than a phone's
# screen wrap there instead of running off it.
LIST_CLASS = "variable-list"


@functools.cache
def data() -> dict:
    return tomllib.loads(DATA.read_text(encoding="utf-8"))


def status(row: dict) -> str:
    """Which of proven / sourced / not verified the row is; exactly one must be given."""
    given = [k for k in STATUS_WORD if k in row]
    if len(given) != 1:
        raise ValueError(f"{row['names']}: give exactly one of proof, source, unverified")
    return given[0]


def _sentence(text: str) -> str:
    """`text`, ending in a full stop."""
    text = text.strip()
    return text if text.rstrip(")").endswith((".", "!", "?")) else text + "."


def _status(row: dict) -> str:
    """The proof marks at the end of the description they prove, a source link, or why
    nothing here shows the behaviour."""
    kind = status(row)
    if kind == "proof":
        return "".join(f"{{proof}}`{t}`" for t in row["proof"])  # one group: no break inside
    if kind == "source":
        url = data()["sources"][row["source"]]
        host = url.split("//", 1)[1].split("/", 1)[0]
        return f"Source: [{SOURCE_NAMES.get(host, host)}]({url})."
    return "Not verified: " + _sentence(row["unverified"])


def _term(row: dict) -> str:
    names = ", ".join(f"`{n}`" for n in row["names"])
    return names + (" (a name the config references)" if row.get("kind") == "reference"
                    else "")


def _entry(row: dict, lead: str = "") -> list[str]:
    """One variable (or a set of variables that behave alike): the names; what it does, with
    its proof marks, its source or why nothing here shows it; then, in one line, its values,
    its default and the page that uses it. `lead` starts the description: where the row's
    side differs from its list's."""
    facts = [f"{label}: {row[key]}" for label, key in (("Values", "values"),
                                                      ("Default", "default"))
             if row[key] != "\u2014"]
    facts.append(f"Used on {{doc}}`/{row['page']}`")
    return [_term(row), f": {lead}{_sentence(row['what'])} {_status(row)}", "",
            "  " + " \u00b7 ".join(facts), ""]


def _claude_code_lead(row: dict) -> str:
    """A variable of the Claude Code section that another program reads."""
    side = row.get("side", "Claude Code")
    return "" if side == "Claude Code" else f"**Set where {side} runs.** "


def _gateway_lead(row: dict, group: str) -> str:
    """The programs that read a gateway variable, unless its list's title or its description
    names them already."""
    others = [s for s in row["side"].split(", ") if s != group and s not in row["what"]]
    return f"**{' and '.join(others)}:** " if others else ""


def _list(entries: list[list[str]]) -> list[str]:
    lines = [f":::{{container}} {LIST_CLASS}"]
    for entry in entries:
        lines += entry
    return lines[:-1] + [":::", ""]


def category_members(env_vars) -> dict[str, list[str]]:
    """The binary's variables in each category of the data file."""
    return {cat: sorted(v for v in env_vars if re.search(pattern, v))
            for cat, pattern in data()["categories"].items()}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(env_vars) -> str:
    d = data()
    members = category_members(env_vars)
    covered = sorted(set().union(*members.values()))
    lines = [
        f"The pinned Claude Code binary reads {len(env_vars)} environment variables "
        f"(read from the binary itself); {len(covered)} of "
        "them are about gateways, providers, proxies, TLS, models, retries or timeouts (by "
        "name patterns kept in the page's data file), and every one of those is listed below "
        f"{{proof}}`{ENV_TEST}`. So is every variable a guide on this site uses. A check mark "
        "after a description means a test shows that behaviour with the pinned version; "
        "**Source** links to the vendor's documentation; **Not verified** means the binary "
        "reads the name and nothing here shows what it does, and says why.", "",
        "## Claude Code (the developer's machine)", "",
        "Set these in the shell that runs `claude`, or in the `env` block of a "
        "{doc}`settings file </reference/settings-files>`.", "",
    ]
    for cat, title in CATEGORY_TITLES.items():
        rows = [r for r in d["claude_code"] if r["cat"] == cat]
        if not rows:
            continue
        lines += [f"### {title}", ""]
        lines += _list([_entry(r, _claude_code_lead(r)) for r in rows])
    lines += ["## The gateways", "",
              "Set these where the gateway starts, never in a developer's shell. A name a "
              "config references (`os.environ/NAME` in LiteLLM, `${NAME}` in Claude apps "
              "gateway) is this site's choice; any name works if the config and the shell "
              "agree.", ""]
    groups: dict[str, list[dict]] = {g: [] for g in (*GATEWAY_GROUPS, OTHER)}
    for r in d["gateway"]:
        first = r["side"].split(", ", 1)[0]
        groups[first if first in GATEWAY_GROUPS else OTHER].append(r)
    for title, rows in groups.items():
        if rows:
            lines += [f"### {title}", ""]
            lines += _list([_entry(r, _gateway_lead(r, title)) for r in rows])
    lines += ["## Names nothing reads", "",
              "Setting these changes nothing: the pinned Claude Code binary holds no such "
              "string and the pinned LiteLLM's source never names them, unless the entry says "
              "otherwise "
              f"{{proof}}`{NOT_READ_TEST}`.", ""]
    entries = []
    for r in d["not_read"]:
        who = (" (the pinned Claude Code reads it; the pinned LiteLLM does not)"
               if r.get("binary") else
               " (named in a message of the pinned LiteLLM, never read)"
               if r.get("litellm") == "message" else "")
        entries.append([f"`{r['name']}`", f": Use instead: {_sentence(r['instead'])}", "",
                        f"  {_sentence(_capital(r['where']) + who)}", ""])
    lines += _list(entries)
    return "\n".join(lines).rstrip("\n") + "\n"


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
    from tests.harness.reader import claude_binary
    print(write(claude_binary.env_vars()))
