"""Claude apps gateway: the pinned `claude` binary's own gateway server, started from a
published start snippet (`claude gateway --config gateway.yaml`) on a published
gateway.yaml, both byte for byte, through the same runner as LiteLLM and nginx
(`gateway.Gateway`: a temporary working directory, logs kept, stopped by PID).

The harness shapes only the world: PATH to the pinned Claude Code, and the environment
variables the published gateway.yaml references (`${VAR}`): where the IdP, PostgreSQL and
the upstream live, and visibly fake secrets. The IdP and the upstream on loopback need
CLAUDE_GATEWAY_ALLOW_LOOPBACK=1 (without it the gateway refuses them; PostgreSQL on loopback
it accepts: test_loopback_targets_are_refused_by_default)."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.start import components
from tests.harness.start.gateway import Gateway, GatewayFailed

START = ("apps-gateway/03-start-gateway.sh",)
JWT_SECRET = "test-only-jwt-secret-0123456789abcdef"  # >= 32 characters, as the schema wants
UPSTREAM_KEY = "sk-ant-gateway-upstream-key"  # what the gateway presents to the provider fake


class AppsGateway(Gateway):
    health_path = "/healthz"
    component = "Claude apps gateway"
    booted: float = 0.0  # seconds from start to /healthz 200


def world(idp, pg, upstream_url: str, **extra: str) -> dict[str, str]:
    """The environment the published gateway.yaml's references resolve from, here."""
    from tests.harness.start.oidc_idp import CLIENT_ID, CLIENT_SECRET
    return {
        "PATH": f"{components.claude_bin()}:/usr/bin:/bin",
        "OIDC_ISSUER": idp.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET, "GATEWAY_JWT_SECRET": JWT_SECRET,
        "DATABASE_URL": pg.url, "ANTHROPIC_UPSTREAM_URL": upstream_url,
        "ANTHROPIC_API_KEY": UPSTREAM_KEY,
        # the IdP, PostgreSQL and the upstream are on loopback in the test's namespace
        "CLAUDE_GATEWAY_ALLOW_LOOPBACK": "1",
        **extra,
    }


def start(files: dict[str, str | Path], env: dict[str, str], port: int = 8080,
          start: tuple[str, ...] = START) -> AppsGateway:
    gw = AppsGateway(start, files, port, env)
    t = time.monotonic()
    gw.launch()
    gw.booted = time.monotonic() - t
    return gw


def boot_failure(files: dict[str, str | Path], env: dict[str, str], port: int = 8080,
                 start: tuple[str, ...] = START) -> str:
    """Start a gateway that must refuse to boot; return its log."""
    gw = AppsGateway(start, files, port, env)
    try:
        gw.launch()
    except GatewayFailed:
        return gw.log()
    gw.stop()
    raise AssertionError("the gateway booted, but it should have refused:\n" + gw.log())


def events(gw: Gateway, evt: str | None = None) -> list[dict]:
    """The gateway's JSON log lines (one object per line), optionally of one `evt`."""
    out = []
    for line in gw.log().splitlines():
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if evt is None or record.get("evt") == evt:
                out.append(record)
    return out


def get(gw: Gateway, path: str, token: str | None = None, method: str = "GET",
        body: dict | None = None) -> tuple[int, str]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(gw.url + path, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# -- signing a developer in: interactive /login under tmux, the device page in the browser --

def device_grant(gw: Gateway, timeout: float = 15) -> dict:
    """The first request of a sign-in, as /login sends it: the gateway's device code, user code
    and verification page (answered 200, as RFC 8628 says). Raises urllib.error.HTTPError
    when the gateway refuses it."""
    form = urllib.parse.urlencode({"client_id": "claude-code", "surface": "claude_code"})
    with urllib.request.urlopen(gw.url + "/oauth/device_authorization", form.encode(),
                                timeout=timeout) as r:
        assert r.status == 200, r.status
        return json.loads(r.read())


DEVICE_CODE = re.compile(r"Code:\s+([A-Z0-9]{4}-[A-Z0-9]{4})")


def _keys(screen, *keys: str) -> None:
    subprocess.run([*screen.tmux, "send-keys", "-t", "0", *keys], check=True)


SETTINGS_FILE = re.compile(r"\(/\S*?/\.claude/\s*settings\.json\),?\s+not from\s+"
                           r"your organization's\s+managed settings\.", re.S)


def login_part(screen_text: str) -> str:
    """The login dialog only (below Claude Code's banner), as a capture shows it: the device
    code masked, the spinner glyph fixed, the test's HOME written ~ (which re-wraps that line)."""
    lines = screen_text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Login"), 0)
    text = "\n".join(lines[start:])
    text = SETTINGS_FILE.sub("(~/.claude/settings.json), not from your organization's "
                             "managed settings.", text)
    text = re.sub(r"^(\s*)\S(\s+Waiting for sign-in)", r"\1*\2", text, flags=re.M)
    return DEVICE_CODE.sub("Code:  XXXX-XXXX", text)


@dataclass
class SignIn:
    screens: dict[str, str] = field(default_factory=dict)  # step -> the login dialog
    pages: dict[str, str] = field(default_factory=dict)  # step -> the browser page's text
    seconds: float = 0.0  # from /login to "Connected"


def sign_in(terminal, user: str, password: str | None = None,
            start: str = "apps-gateway/05-start-claude.sh", expect_connected: bool = True
            ) -> SignIn:
    """What a developer does: start Claude Code, type /login, connect to the gateway URL the
    settings name, trust it, open the verification page in the browser, enter the code,
    sign in at the IdP. Returns what the terminal and the browser showed."""
    from tests.harness.reader import browser
    from tests.harness.start import oidc_idp
    result = SignIn()
    with terminal.session(start, timeout=60) as screen:
        started = time.monotonic()
        result.screens["gateway"] = login_part(screen.type("/login", "Enter to connect"))
        _keys(screen, "Enter")
        result.screens["trust"] = login_part(screen.wait("Trust gateway"))
        _keys(screen, "Up")  # the default answer is "No, cancel login"
        screen.wait(r"❯ Yes, trust this gateway")
        _keys(screen, "Enter")
        shown = screen.wait(r"Code:\s+[A-Z0-9]{4}-[A-Z0-9]{4}[\s\S]*http://\S+/device")
        result.screens["code"] = login_part(shown)
        code = DEVICE_CODE.search(shown).group(1)
        url = re.search(r"(http://\S+/device)", shown).group(1)
        with browser.browser() as b:
            page = b.new_page()
            page.goto(url)
            result.pages["device"] = page.inner_text("body")
            page.fill("input", code)
            page.click("button")
            try:
                page.wait_for_selector("input[name=username]")
            except Exception:  # say what the browser shows instead (a refusal is a page)
                print("no IdP sign-in page; the browser is at", page.url, "showing:\n",
                      page.inner_text("body")[:2000])
                raise
            result.pages["idp"] = page.inner_text("body")
            oidc_idp.sign_in(page, user, password)
            page.wait_for_load_state()
            result.pages["after"] = page.inner_text("body")
        if expect_connected:
            result.screens["connected"] = login_part(screen.wait("Connected to Cloud gateway"))
        result.seconds = time.monotonic() - started
    return result


def credentials(terminal) -> Path:
    return terminal.home / ".claude" / ".credentials.json"
