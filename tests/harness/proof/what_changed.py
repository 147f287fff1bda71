"""What each Claude Code release from 2.1.330 on (the pin when the page began; the pin has moved
since, and a reader upgrading from an older pin needs every step) changed for a gateway, read
from the binaries themselves: the environment variables each reads (reader/claude_binary.py),
the beta flags it declares, the Claude apps gateway's gateway.yaml keys
(reader/gateway_schema.py through proof/apps_gateway_keys.py), the changelog lines it embeds
about gateways, proxies, Bedrock and Vertex AI, and the matrix checks
(docs/_generated/matrix.json) whose result changed. `nox -s drift` writes
docs/_generated/what-changed.json and .md; tests/test_what_changed.py recomputes them from the
pinned binary and each installed release.

How a binary holds its beta flags (measured on 2.1.330 to 2.1.332): one registry of frozen
pairs, `function R(e,o){return Object.freeze({name:e,header:o})}` then
`var jAt=R("claude_code","claude-code-20250219"),…`; a flag Claude Code keeps to itself is built
by a second builder with `header:null`. Its changelog: one function returning the text,
`return"## 2.1.331\\n\\n- Added …"`, which holds releases before its own, never its own (2.1.332:
from 2.1.331 down; 2.1.337: 2.1.336 to 2.1.334, releases npm never published)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.harness.project import CLAUDE_CODE_VERSION, ROOT
from tests.harness.start import releases

GENERATED = ROOT / "docs" / "_generated"
DATA = GENERATED / "what-changed.json"
PAGE = GENERATED / "what-changed.md"
MATRIX = GENERATED / "matrix.json"
# The oldest release the page covers: it keeps every release from here, the current pin among
# them (marked), so a move of the pin never drops what the releases before it changed.
FIRST = "2.1.330"
CHANGELOG_URL = "https://github.com/anthropics/claude-code/blob/main/CHANGELOG.md"
ABOUT_GATEWAYS = re.compile(r"gateway|prox(?:y|ies)|Bedrock|Vertex|Agent Platform|"
                            r"ANTHROPIC_BASE_URL|custom (?:API )?endpoint", re.I)
BETA_BUILDER = re.compile(rb"function ([\w$]+)\((\w),(\w)\)\{return Object\.freeze\("
                          rb"\{name:\2,header:\3\}\)\}")
CHANGELOG = re.compile(rb'return"(## \d+\.\d+\.\d+\\n)')


def key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version))


def binary(version: str) -> Path:
    """The native executable of one release: the pinned install, or one `releases` installed
    (ReleaseUnavailable when it is not installed)."""
    from tests.harness.reader import claude_binary
    if version == CLAUDE_CODE_VERSION:
        return claude_binary.binary()
    return (releases.bin_dir("claude-code", version) / "claude").resolve()


def betas(data: bytes) -> list[str]:
    """The `anthropic-beta` values the binary declares."""
    m = BETA_BUILDER.search(data)
    if not m:
        raise ValueError("no beta registry in the binary")
    block = data[m.end():m.end() + 20_000]
    block = block[:block.find(b";")]
    out = set()
    for header in re.findall(rb'\b' + re.escape(m.group(1)) + rb'\("[\w-]+",([^)]+)\)', block):
        if header.startswith(b'"'):
            out.add(header.strip(b'"').decode())
        elif const := re.search(rb"[,;\s]" + re.escape(header) + rb'="([\w-]+)"', data):
            out.add(const.group(1).decode())  # a flag held in a constant of the module
    assert "claude-code-20250219" in out, f"beta extraction broke: {sorted(out)}"
    return sorted(out)


def changelog(data: bytes) -> dict[str, list[str]]:
    """The changelog the binary embeds: release -> its lines."""
    m = CHANGELOG.search(data)
    if not m:
        return {}
    i = j = m.start() + len(b'return"')
    while data[j] != 0x22:
        j += 2 if data[j] == 0x5C else 1
    # A JavaScript string: its escapes JSON lacks (\x41, \', \`) made JSON's.
    literal = re.sub(rb"\\(?:x([0-9a-fA-F]{2})|([^\"/bfnrtu]))", lambda m: b"\\u00" + m[1]
                     if m[1] else m[0] if m[2] == b"\\" else m[2], data[i:j])
    text = json.loads(b'"' + literal + b'"')
    out: dict[str, list[str]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        head, _, body = section.partition("\n")
        out[head.strip()] = [x[2:].strip() for x in body.splitlines() if x.startswith("- ")]
    return out


def read(version: str) -> dict:
    """What one release's binary reads and declares."""
    from tests.harness.proof import apps_gateway_keys
    from tests.harness.reader import claude_binary, gateway_schema
    path = binary(version)
    data = path.read_bytes()
    try:  # the keys as the key reference lists them
        keys = sorted({k.path + (f" ({k.variant})" if k.variant else "")
                       for k in apps_gateway_keys.rows(gateway_schema.schema(path))})
    except (ValueError, AttributeError, IndexError, TypeError) as e:
        keys = None  # a build the schema reader does not know yet (2.1.337's zod re-exports)
        print(f"Claude Code {version}: gateway.yaml schema not read: {e}", flush=True)
    return {"env_vars": sorted(claude_binary.env_vars(path)), "betas": betas(data),
            "gateway_keys": keys, "changelog": changelog(data)}


def checks(version: str) -> dict | None:
    """The matrix checks whose result differs between this release and the newest earlier one
    the matrix measured, LiteLLM release by LiteLLM release; None when the matrix did not
    measure this one (or none before it)."""
    results = json.loads(MATRIX.read_text())
    cells = {(p["claude-code"], p["litellm"]): p["cells"] for p in results["pairs"]}
    earlier = sorted({c for c, _ in cells if key(c) < key(version)}, key=key)
    if not earlier or not any(c == version for c, _ in cells):
        return None
    before = earlier[-1]
    shared = [x for (c, x) in cells if c == version and (before, x) in cells]
    return {"against": before, "litellm": shared, "date": results["date"], "changed": [
        {"litellm": x, "check": name, "before": cells[before, x][name]["outcome"],
         "after": cells[version, x][name]["outcome"]}
        for x in shared for name in results["checks"]
        if cells[before, x][name]["outcome"] != cells[version, x][name]["outcome"]]}


def diff(old: list[str], new: list[str]) -> dict[str, list[str]]:
    return {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new))}


def compute(versions: list[str]) -> dict:
    """The page's data for these releases (FIRST first, the pin among them), each against the
    one before."""
    versions = sorted(set(versions) | {FIRST, CLAUDE_CODE_VERSION}, key=key)
    versions = [v for v in versions if key(v) >= key(FIRST)]
    reads = {v: read(v) for v in versions}
    out = {"pinned": CLAUDE_CODE_VERSION, "releases": []}
    for i, v in enumerate(versions):
        entry = section(v, versions[i - 1] if i else None, reads)
        out["releases"].append(entry)
    return out


def section(version: str, before: str | None, reads: dict) -> dict:
    """One release's entry; `reads` holds at least it and the one before."""
    now = reads[version]
    found: dict[str, str] = {}  # each changelog entry since `before` -> the binary holding it
    for binary_version in sorted(reads, key=key):
        for release in reads[binary_version]["changelog"]:
            if release == version or before and key(before) < key(release) < key(version):
                found.setdefault(release, binary_version)
    entry = {"version": version, "before": before,
             "counts": {k: len(now[k]) if now[k] is not None else None
                        for k in ("env_vars", "betas", "gateway_keys")},
             "changelog": [{"release": rel, "from": src, "lines": [
                 x for x in reads[src]["changelog"][rel] if ABOUT_GATEWAYS.search(x)]}
                 for rel, src in sorted(found.items(), key=lambda f: key(f[0]), reverse=True)]}
    if before:
        entry.update({k: diff(reads[before][k], now[k])
                      if None not in (reads[before][k], now[k]) else None
                      for k in ("env_vars", "betas", "gateway_keys")})
        entry["checks"] = checks(version)
    return entry


def write(data: dict) -> Path:
    """Write the data and the page; a drift run's record of test results is kept until the
    next drift run that runs tests replaces it."""
    if "drift" not in data and DATA.exists():
        if previous := json.loads(DATA.read_text()).get("drift"):
            data = {**data, "drift": previous}
    GENERATED.mkdir(exist_ok=True)
    DATA.write_text(json.dumps(data, indent=1) + "\n")
    PAGE.write_text(render(data), encoding="utf-8")
    return PAGE


# -- the page ------------------------------------------------------------------------------

# What a gateway team does about a change, for the names that matter behind a gateway. Each
# sentence rests on the changelog line the page quotes with it, or on a page of this site.
ADVICE = {
    "CLAUDE_CODE_DISABLE_RESPONSE_COMPRESSION":
        "If a proxy between your developers and the gateway cuts compressed responses off, "
        "this is how Claude Code asks for uncompressed ones (the changelog line below): set it "
        "in the `env` block of the managed settings you distribute with this release.",
    "CLAUDE_GATEWAY_IDP_CONNECT_BY_HOSTNAME":
        "Only for a Claude apps gateway that reaches its identity provider through an egress "
        "proxy with `oidc.use_proxy: true`: set it in the gateway's environment when `NO_PROXY` "
        "would otherwise send sign-in requests around the proxy.",
    "oidc.groups_jsonpath":
        "If your identity provider puts groups in a list of objects (Entra- or Google-shaped "
        "claims) rather than a list of names, read them with this key.",
}
BETAS_ADVICE = ("A gateway that forwards the `anthropic-beta` header unchanged needs nothing. A "
                "gateway or provider route that accepts only known flags (Bedrock and Vertex AI "
                "through LiteLLM) refuses a new one: see "
                "[beta flags through Bedrock and Vertex AI](../how-to/field-failures-betas.md).")
KEYS_ADVICE = ("Existing `gateway.yaml` files keep working only if no key they set is removed; "
               "a new key is optional unless its section requires it: see "
               "[every `gateway.yaml` key](apps-gateway-keys.md).")


def _names(items: list[str]) -> str:
    return ", ".join(f"`{x}`" for x in items) if items else "none"


def _changes(title: str, change: dict | None, advice: str = "") -> list[str]:
    if change is None:
        return [f"**{title}**: not read. The reader of the `gateway.yaml` schema does not know "
                "this build's layout yet; compare with Anthropic's "
                "[configuration reference](https://code.claude.com/docs/en/claude-apps-gateway-"
                "config).", ""]
    added, removed = change["added"], change["removed"]
    lines = [f"**{title}**: {len(added)} added, {len(removed)} removed.", ""]
    lines += [f"- Added: {_names(added)}", f"- Removed: {_names(removed)}", ""]
    specific = [f"- `{x}`: {ADVICE[x]}" for x in added + removed if x.split(" (")[0] in ADVICE]
    if specific or (advice and (added or removed)):
        lines += ["What to do:", ""] + specific + ([f"- {advice}"] if advice else []) + [""]
    return lines


def render(data: dict) -> str:
    out: list[str] = []
    for r in reversed(data["releases"]):
        v, before = r["version"], r["before"]
        pinned = " (pinned)" if v == data["pinned"] else ""
        out += [f"## Claude Code {v}{pinned}", ""]
        c = r["counts"]
        counts = (f"reads {c['env_vars']} environment variables, declares {c['betas']} beta "
                  "flags" + (f" and accepts {c['gateway_keys']} `gateway.yaml` keys"
                             if c["gateway_keys"] is not None else "") +
                  " {proof}`test_what_changed_matches_the_binaries`.")
        if before:
            out += [f"Compared with {before}. {v} {counts}", ""]
            out += _changes("Environment variables Claude Code reads", r["env_vars"])
            out += _changes("Beta flags it declares", r["betas"], BETAS_ADVICE)
            out += _changes("Claude apps gateway `gateway.yaml` keys", r["gateway_keys"],
                            KEYS_ADVICE)
        else:
            out += [(f"The release every other page is proven with. It {counts}"
                     if pinned else f"The oldest release this page covers. It {counts}"), ""]
        out += ["**Changelog lines about gateways, proxies, Bedrock and Vertex AI**", ""]
        for entry in r["changelog"]:
            out += [f"From the entry of {entry['release']} in the changelog embedded in Claude "
                    f"Code {entry['from']} ([Anthropic's changelog]({CHANGELOG_URL})):", ""]
            quoted = [f"> {x}" for x in entry["lines"]]
            out += ["\n>\n".join(quoted) if quoted else "None about them.", ""]
        if v not in {e["release"] for e in r["changelog"]}:
            out += [f"No release measured here embeds the entry of {v} (each binary "
                    f"carries the releases before its own): read it in "
                    f"[Anthropic's changelog]({CHANGELOG_URL}).", ""]
        out += [""] if out[-1] != "" else []
        if before:
            out += ["**The site's checks**", ""] + _checks(v, r["checks"], data.get("drift"))
    return "\n".join(out).rstrip("\n") + "\n"


def _checks(v: str, measured: dict | None, drift: dict | None) -> list[str]:
    out = []
    if measured is None:
        out += [f"The [compatibility matrix](compatibility-matrix.md) has not measured {v}.", ""]
    elif not measured["changed"]:
        out += [f"Every check of the [compatibility matrix](compatibility-matrix.md) has the "
                f"same result with {v} as with {measured['against']}, with each LiteLLM release "
                f"measured ({', '.join(measured['litellm'])}; measured {measured['date']}) "
                "{proof}`test_what_changed_matches_the_binaries`.", ""]
    else:
        out += [f"Checks of the [compatibility matrix](compatibility-matrix.md) whose result "
                f"differs from {measured['against']} (measured {measured['date']}):", ""]
        out += [f"- LiteLLM {x['litellm']}, {x['check']}: {x['before']} → {x['after']}"
                for x in measured["changed"]] + [""]
    if drift and drift["claude_code"] == v:
        out += [f"The drift run of {drift['date']} ran {drift['run']} tests with {v} and "
                f"LiteLLM {drift['litellm']} against the pinned pair; "
                f"{len(drift['changed'])} changed result" + (":" if drift["changed"] else "."),
                ""]
        out += [f"- `{x['test']}`: {x['before']} → {x['after']} {x['detail']}".rstrip()
                for x in drift["changed"]] + ([""] if drift["changed"] else [])
    elif measured is None:
        out += ["No drift run has recorded its checks for it: the project's drift session "
                "runs the matrix's checks (the first request, aliases, headers, streaming, "
                "Bearer authentication, `/status`, Bedrock and Vertex AI modes, `NO_PROXY`) "
                "with the newest release and records which changed result here.", ""]
    return out


def installed() -> list[str]:
    """The Claude Code releases from FIRST on, other than the pin, in the component cache."""
    found = [p.name.removeprefix("claude-code-") for p in (releases.CACHE / "releases").glob(
        "claude-code-*") if (p / ".installed").exists()]
    return [v for v in found if key(v) >= key(FIRST) and v != CLAUDE_CODE_VERSION]


if __name__ == "__main__":
    print(write(compute(installed())))
