"""`gateway-assistant doctor`: the connection Claude Code will use — each value with the
place it comes from, in the precedence the CLI applies — and what is wrong with it.
`--check` sends one request to the gateway and says what the answer means."""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import claude_code, net
from .findings import Finding, printable, read_capped
from .secrets import header_problem, mask, mask_words, redact_url, scrub, strip_userinfo

SETTINGS_MAX_BYTES = 1024 * 1024  # a settings.json is a few KB

KEYS = ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "ANTHROPIC_MODEL",
        "ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL", *claude_code.SWITCHES, *claude_code.PRESENCE_SWITCHES,
        *(m[0] for m in claude_code.MODES if m[0] not in claude_code.SWITCHES),
        *(m[2] for m in claude_code.MODES),
        "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
        "NODE_EXTRA_CA_CERTS")
SECRETS = ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY")


def read_layers(env, home: Path, cwd: Path, managed: Path, settings: str | None, findings):
    """[(source, path or None, {env...}, apiKeyHelper)] from the highest precedence down."""
    files = claude_code.settings_files(home, cwd, managed)
    ordered = files[:1] + ([("--settings", settings)] if settings else []) + files[1:]
    layers = []
    for source, where in ordered:
        text = None
        if source == "--settings" and not _is_file(where):
            text, where = where, None  # inline JSON, as claude --settings accepts
        else:
            try:
                # Regular files only, at most SETTINGS_MAX_BYTES: a settings file in the
                # working directory can be /dev/zero or a FIFO.
                text = read_capped(where, SETTINGS_MAX_BYTES, source).decode("utf-8")
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError) as e:
                findings.append(Finding("error", "settings-unreadable",
                                        f"{source} cannot be read: {printable(e, 300)}",
                                        "point it at a regular JSON file (or remove it), "
                                        "readable and UTF-8", str(where)))
                continue
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("the top level is not an object")
            block = data.get("env") or {}
            if not isinstance(block, dict):
                raise ValueError('"env" is not an object')
        except (ValueError, RecursionError) as e:
            findings.append(Finding("error", "settings-invalid",
                                    f"{source} is not valid settings JSON: {printable(e, 120)}",
                                    "fix the JSON; Claude Code cannot use this file",
                                    str(where or "--settings")))
            continue
        layers.append((source, where, {str(k): str(v) for k, v in block.items()},
                       data.get("apiKeyHelper")))
    layers.append(("shell environment", None, {k: v for k, v in env.items() if k in KEYS}, None))
    return layers


def _http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # a bad port or IPv6 literal
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and text == text.strip()


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # inline JSON too long or odd to be a path
        return False


def effective(layers) -> dict[str, tuple[str, str]]:
    """Key by key, the first layer that sets it wins: {key: (value, source)}."""
    result = {}
    for source, _where, block, helper in layers:
        for key, value in block.items():
            result.setdefault(key, (value, source))
        if helper and "apiKeyHelper" not in result:
            result["apiKeyHelper"] = (str(helper), source)
    return result


def doctor(settings: str | None = None, check: bool = False, env: dict | None = None,
           home: Path | None = None, cwd: Path | None = None,
           managed: Path = claude_code.MANAGED_SETTINGS, deadline: float = 30.0):
    env = dict(os.environ) if env is None else env
    home = Path(home or env.get("HOME") or Path.home())
    cwd = Path(cwd or Path.cwd())
    findings: list[Finding] = []
    layers = read_layers(env, home, cwd, managed, settings, findings)
    eff = effective(layers)
    value = {k: v for k, (v, _s) in eff.items()}
    findings += problems(value, eff, layers)
    if check:
        findings += live_check(value, deadline=deadline)
    report = ["Claude Code's effective connection (highest precedence first: managed settings,"
              " --settings, .claude/settings.local.json, .claude/settings.json,"
              " ~/.claude/settings.json, shell):"]
    shown = {}
    for key, (v, source) in eff.items():
        if key in KEYS or key == "apiKeyHelper":
            display = mask(v) if key in SECRETS else printable(shown_value(key, v), 100)
            report.append(f"  {key} = {display}  ({source})")
            shown[key] = {"value": display, "source": source}
    if len(report) == 1:
        report.append("  (nothing set: Claude Code talks to the Anthropic API with its login)")
    return findings, {"report": "\n".join(report), "effective": shown}


def shown_value(key: str, value: str) -> str:
    """A value as doctor prints it: URLs without their password, a helper command with any
    key written into it masked."""
    if key.endswith(("_URL", "_PROXY", "_proxy")):
        return redact_url(value)
    return mask_words(scrub(value)) if key == "apiKeyHelper" else scrub(value)


def problems(value: dict, eff: dict, layers) -> list[Finding]:
    out = []

    def add(severity, code, message, fix, key=None):
        source = eff[key][1] if key in eff else ""
        out.append(Finding(severity, code, message, fix, source))

    base = value.get("ANTHROPIC_BASE_URL")
    tokens = [k for k in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "apiKeyHelper")
              if value.get(k)]
    if base and not _http_url(base):
        add("error", "base-url-invalid",
            "ANTHROPIC_BASE_URL is not an http(s) URL with a host: Claude Code cannot send "
            "requests to it",
            "set it to the gateway's address, e.g. https://gateway.example.com or "
            "http://localhost:4000", "ANTHROPIC_BASE_URL")
    if base and not tokens:
        add("error", "base-url-without-token",
            "ANTHROPIC_BASE_URL is set but no key is: Claude Code stops with "
            "\"Not logged in · Please run /login\"",
            "set ANTHROPIC_AUTH_TOKEN to your gateway key (sent as Authorization: Bearer)",
            "ANTHROPIC_BASE_URL")
    if found := key_beside_token(eff):
        out.append(found)
    for switch in claude_code.SWITCHES:
        raw = value.get(switch)
        if raw is None:
            continue
        norm = raw.strip().lower()
        if norm not in claude_code.TRUE_VALUES + claude_code.FALSE_VALUES:
            add("warning", "switch-value",
                f"{switch}={printable(raw)!r} is not a value Claude Code reads as true: "
                "it is off", f"use {switch}=1 (or remove it)", switch)
    for switch in claude_code.PRESENCE_SWITCHES:
        raw = value.get(switch)
        if raw and raw.strip().lower() in claude_code.FALSE_VALUES:
            add("warning", "switch-presence",
                f"{switch}={printable(raw)!r} turns it on: Claude Code reads any value but the "
                "empty string as on", f"to turn it off, remove {switch}", switch)
    modes = [m for m in claude_code.MODES
             if value.get(m[0], "").strip().lower() in claude_code.TRUE_VALUES]
    if len(modes) > 1:
        add("warning", "several-provider-modes",
            f"{', '.join(m[0] for m in modes)} are all on: Claude Code uses the first it checks, "
            f"{modes[0][1]} ({modes[0][0]}), and ignores the others",
            "keep one provider mode on and remove the others", modes[0][0])
    if modes and base:
        switch, name, address = modes[0]
        add("warning", "direct-provider-and-gateway",
            f"{switch} is on and ANTHROPIC_BASE_URL is set: Claude Code talks to {name} "
            f"(at {address}, or the provider's own address) and sends no Messages request to "
            "ANTHROPIC_BASE_URL",
            f"for an Anthropic-format gateway remove {switch}; for a gateway in front of "
            f"{name} put its address in {address}", switch)
    out += proxy_problems(value, eff)
    ca = value.get("NODE_EXTRA_CA_CERTS")
    if ca and not Path(ca).expanduser().is_file():
        add("error", "ca-file-missing",
            f"NODE_EXTRA_CA_CERTS points to {printable(ca)}, which does not exist: Claude Code "
            "warns \"Ignoring extra certs\" and TLS to a gateway or proxy with a private CA "
            "fails",
            "point it to your CA bundle in PEM format", "NODE_EXTRA_CA_CERTS")
    for source, where, block, _helper in layers:
        if source == "project settings":
            for key in SECRETS:
                if block.get(key):
                    out.append(Finding(
                        "warning", "secret-in-project-settings",
                        f"{key} is in .claude/settings.json, which is usually committed",
                        f"move {key} to .claude/settings.local.json (keep it out of git) and "
                        "rotate the key if it was pushed", str(where)))
    return out


def key_beside_token(eff: dict) -> Finding | None:
    """A provider key (ANTHROPIC_API_KEY) set beside a gateway token (ANTHROPIC_AUTH_TOKEN or
    apiKeyHelper). Claude Code then sends both on every request (measured with the real CLI in
    tests/tools/test_doctor.py): the token as Authorization: Bearer (ANTHROPIC_AUTH_TOKEN before
    the helper's output), ANTHROPIC_API_KEY as x-api-key. Names places, never values."""
    if not eff.get("ANTHROPIC_API_KEY", ("", ""))[0]:
        return None  # unset, or set to "" (which hides a value set further down)
    token = next((k for k in ("ANTHROPIC_AUTH_TOKEN", "apiKeyHelper") if eff.get(k, ("",))[0]),
                 None)
    if token is None:
        return None
    key_source, token_source = eff["ANTHROPIC_API_KEY"][1], eff[token][1]
    bearer = "ANTHROPIC_AUTH_TOKEN" if token == "ANTHROPIC_AUTH_TOKEN" else \
        "the output of apiKeyHelper"
    if key_source != "shell environment":
        fix = f"remove ANTHROPIC_API_KEY from the {key_source} file"
    elif token_source == "shell environment":
        fix = "unset ANTHROPIC_API_KEY in this shell and remove its export from your shell profile"
    else:
        fix = ("add \"ANTHROPIC_API_KEY\": \"\" to the env of the settings file that sets the "
               f"gateway ({token_source}), or unset ANTHROPIC_API_KEY in the shell and remove "
               "its export from your shell profile")
    return Finding("warning", "both-tokens",
                   f"ANTHROPIC_API_KEY is set beside {token} ({token_source}): "
                   f"Claude Code sends both on every request, {bearer} as Authorization: "
                   "Bearer and ANTHROPIC_API_KEY as x-api-key; if ANTHROPIC_API_KEY holds your "
                   "own Anthropic key, the gateway receives it",
                   fix, key_source)


def _no_proxy_match(host: str, port: int, no_proxy: str) -> bool:
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, eport = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
        if eport and eport != str(port):
            continue
        name = name.lstrip("*").lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


def proxy_problems(value: dict, eff: dict) -> list[Finding]:
    base = value.get("ANTHROPIC_BASE_URL")
    proxy_key = next((k for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
                      if value.get(k)), None)
    if not base or not proxy_key:
        return []
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    no_proxy = value.get("NO_PROXY") or value.get("no_proxy") or ""
    excluded = _no_proxy_match(host, port, no_proxy)
    if _is_local(host) and not excluded:
        return [Finding("warning", "gateway-proxied",
                        f"{proxy_key} is set and the gateway host {host} is not in NO_PROXY: "
                        "Claude Code sends its requests to the local gateway through the proxy",
                        f"add it: NO_PROXY={','.join(filter(None, [no_proxy, host]))}",
                        eff[proxy_key][1])]
    if not _is_local(host) and excluded:
        return [Finding("warning", "gateway-not-proxied",
                        f"NO_PROXY excludes the gateway host {host}: Claude Code connects to it "
                        f"directly, not through {proxy_key}",
                        "if the gateway is reachable only through the proxy, remove the host "
                        "from NO_PROXY", eff.get("NO_PROXY", eff.get("no_proxy", ("", "")))[1])]
    return []


# -- --check ------------------------------------------------------------------------------------

STEPS = {
    "unreachable": "is the gateway running at that address? Try: curl -sS {base}/health/liveliness",
    401: "the gateway does not accept this key: check ANTHROPIC_AUTH_TOKEN against the gateway's"
         " master or virtual key (and which settings file set it, above)",
    403: "the key is valid but not allowed this model or route: ask the gateway's admin",
    "model": "the gateway has no model named {model}: add a model_name for it, or map Claude "
             "Code's aliases with ANTHROPIC_DEFAULT_*_MODEL",
    429: "rate limited by the gateway or the provider: wait, or raise the limits",
    "5xx": "the gateway or its provider failed: read the gateway's log for this request",
}


def live_check(value: dict, timeout: float = 20.0, deadline: float = 30.0) -> list[Finding]:
    raw = (value.get("ANTHROPIC_BASE_URL") or "").rstrip("/")
    if not raw:
        return [Finding("info", "check-skipped", "--check: no ANTHROPIC_BASE_URL, no gateway "
                        "to check")]
    keys = [value.get(k, "") for k in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY")]
    base, shown = strip_userinfo(raw), redact_url(raw)
    model = value.get("ANTHROPIC_MODEL") or claude_code.DEFAULT_MODEL
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    for key, name, header, prefix in (("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN",
                                       "authorization", "Bearer "),
                                      ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY", "x-api-key",
                                       "")):
        if not value.get(key):
            continue
        if problem := header_problem(value[key]):
            return [Finding("error", "check-key-unsendable",
                            f"--check: {name} ({mask(value[key])}) {problem}: no request sent",
                            f"set {name} to the key alone, without spaces or line breaks")]
        headers[header] = prefix + value[key]
    body = json.dumps({"model": model, "max_tokens": 1,
                       "messages": [{"role": "user", "content": "ping"}]}).encode()
    clock = net.Deadline(deadline, "doctor --check (--deadline)")
    try:
        answer = net.send(opener(value, base, clock), base + "/v1/messages", body, headers,
                          clock, timeout)
    except net.DeadlineExceeded as e:
        return [Finding("error", "check-deadline", f"--check: {shown}: {e}",
                        "a gateway answers one short request in seconds; look for what holds "
                        "the connection open")]
    except (ConnectionError, OSError, ValueError) as e:
        reason = scrub(getattr(e, "reason", e), keys)
        return [Finding("error", "check-unreachable",
                        f"--check: cannot reach {shown}: {printable(reason, 160)}",
                        STEPS["unreachable"].format(base=shown))]
    finally:
        clock.cancel()
    if 300 <= answer.status < 400:
        return [redirect_finding(base, answer)]
    if answer.status < 300:
        return [Finding("info", "check-ok", f"--check: the gateway answered {answer.status} "
                        f"for model {printable(model)}")]
    text = answer.body.decode("utf-8", "replace")
    return [classify(answer.status, scrub(text, keys), shown, model)]


def redirect_finding(base: str, answer) -> Finding:
    where = urljoin(base + "/v1/messages", answer.location)
    a, b = urlsplit(base), urlsplit(where)
    same = (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    return Finding("error", "check-redirect",
                   f"--check: {redact_url(base)} answered {answer.status} with a redirect to "
                   f"{printable(redact_url(where), 160)} "
                   f"({'the same host' if same else 'another host'}): not followed, the key "
                   "was not sent there",
                   "set ANTHROPIC_BASE_URL to the address that answers itself; Claude Code "
                   "sends your key to the URL you give it")


def classify(status: int, text: str, base: str, model: str) -> Finding:
    try:
        message = json.loads(text).get("error", {}).get("message", "")
    except (ValueError, AttributeError):
        message = text
    said = f"--check: {status} from {base}: {printable(message, 160)}"
    if status in (401, 403, 429):
        return Finding("error", f"check-{status}", said, STEPS[status])
    if status in (400, 404) and "model" in str(message).lower():
        return Finding("error", "check-unknown-model", said, STEPS["model"].format(model=model))
    if status >= 500:
        return Finding("error", "check-5xx", said, STEPS["5xx"])
    return Finding("error", f"check-{status}", said, "read the message above and the gateway log")


def opener(value: dict, base: str, deadline: net.Deadline):
    """Connect the way Claude Code would: its proxy variables and extra CA, not this shell's."""
    parts = urlsplit(base)
    proxy = next((value[k] for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
                  if value.get(k)), None)
    no_proxy = value.get("NO_PROXY") or value.get("no_proxy") or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if proxy and _no_proxy_match((parts.hostname or "").lower(), port, no_proxy):
        proxy = None
    context = ssl.create_default_context()
    ca = value.get("NODE_EXTRA_CA_CERTS")
    if ca and Path(ca).is_file():
        context.load_verify_locations(ca)
    return net.opener(deadline, {"http": proxy, "https": proxy} if proxy else {}, context)
