"""The LiteLLM quickstart (docs/tutorials/quickstart.md), run step by step with its own
snippets: real LiteLLM, real Claude Code, the provider fake behind the gateway."""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import textwrap
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.harness import background
from tests.harness.project import (
    CLAUDE_CODE_PACKAGE,
    CLAUDE_CODE_VERSION,
    LITELLM_VERSION,
    VERSIONS,
)
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import (
    claude_failed_with,
    claude_replied,
    upstream_messages,
    upstream_models,
)
from tests.harness.reader.terminal import Terminal
from tests.harness.start import components
from tests.harness.start.gateway import GatewayFailed
from tests.harness.wire import anthropic_wire, front_door

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
PROVIDER_KEY = "sk-ant-your-anthropic-key"  # what 03-start-gateway.sh exports
MASTER_KEY = "sk-litellm-change-me"


@pytest.fixture
def gateway(gateways, provider):
    """The quickstart gateway, pointed at the provider fake through its environment."""
    return gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


# -- Steps 1 and 5: installs ------------------------------------------------------------------

def installed_versions(packages) -> list[str]:
    """Versions installed in the LiteLLM venv, one Python start for all."""
    return subprocess.run(
        [components.litellm_bin() / "python", "-c",
         "import importlib.metadata as m, sys; [print(m.version(p)) for p in sys.argv[1:]]",
         *packages], capture_output=True, text=True, check=True).stdout.split()


def test_install_line_pins_every_package_it_names():
    """Every package on the published install line is pinned with ==, to the version
    conf/versions.toml holds, and that version is what the run installed (the harness runs
    this very snippet to install LiteLLM)."""
    line = snippet("quickstart/01-install-litellm.sh").read_text().splitlines()[-1]
    named = dict((token.split("==") + [None])[:2]
                 for token in shlex.split(line.split("pip install", 1)[1]))
    expected = {"litellm[proxy]": LITELLM_VERSION, **VERSIONS["litellm"]["with"]}
    assert named == expected, f"install line pins {named}, conf/versions.toml {expected}"
    assert LITELLM_VERSION not in VERSIONS["litellm"]["denied"]
    installed = dict(zip(expected, installed_versions(p.split("[")[0] for p in expected)))
    assert installed == expected, installed
    claude = snippet("quickstart/05-install-claude-code.sh").read_text()
    assert f"{CLAUDE_CODE_PACKAGE}@{CLAUDE_CODE_VERSION}" in claude


def test_documented_requirements_match_the_pinned_packages():
    site = components.litellm_bin().parent / "lib"
    (metadata,) = site.glob(f"python3*/site-packages/litellm-{LITELLM_VERSION}.dist-info/METADATA")
    requires = re.search(r"^Requires-Python: (.*)$", metadata.read_text(), re.M).group(1)
    needs = VERSIONS["requirements"]
    assert requires == f">={needs['python']}, <{needs['python_below']}", requires
    package = components.claude_bin().parent / "lib/node_modules" / CLAUDE_CODE_PACKAGE
    engines = json.loads((package / "package.json").read_text())["engines"]["node"]
    assert engines == f">={needs['node']}.0.0", engines


def test_installed_components_are_the_pinned_ones():
    assert installed_versions(["litellm"]) == [LITELLM_VERSION]
    claude = subprocess.run([components.claude_bin() / "claude", "--version"],
                            capture_output=True, text=True, check=True).stdout
    assert claude.split()[0] == CLAUDE_CODE_VERSION


def test_quickstart_needs_no_container(gateway, upstream, terminal):
    """The FAQ's "Do I need Docker?": the install lines are pip in a venv and npm, and the
    gateway that answers is the `litellm` command running as an ordinary process (in the
    start snippet's process group), not a container."""
    from pathlib import Path

    from tests.harness.start.gateway import Gateway
    install = snippet("quickstart/01-install-litellm.sh").read_text().splitlines()
    assert install[0].startswith("python3 -m venv ") and install[-1].startswith("pip install ")
    claude = snippet("quickstart/05-install-claude-code.sh").read_text()
    assert claude.startswith("npm install -g "), claude
    start = snippet("quickstart/03-start-gateway.sh").read_text().splitlines()
    assert start[-1].startswith("litellm --config config.yaml"), start
    claude_replied(terminal.run("quickstart/06-connect-shell.sh",
                                "quickstart/07-first-request.sh"), "pong")
    if type(gateway) is not Gateway:
        return  # the rerun with the gateway in a container (GATEWAY_BACKEND=container)
    group = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == gateway.proc.pid:  # the process group of the start snippet
                group.append((stat.parent / "cmdline").read_bytes().split(b"\0"))
        except (OSError, IndexError, ValueError):
            continue
    assert any(any(a.endswith(b"/bin/litellm") for a in argv) and b"--config" in argv
               for argv in group), group
    assert not [a for argv in group for a in argv if a.endswith((b"docker", b"containerd"))]


# -- Steps 2 to 4: the config and the running gateway ------------------------------------

def test_master_key_outside_general_settings_stops_the_gateway(gateways, provider, tmp_path):
    """The page says LiteLLM refuses to start with master_key under litellm_settings."""
    config = yaml.safe_load(snippet("quickstart/02-config.yaml").read_text())
    config["litellm_settings"]["master_key"] = config["general_settings"].pop("master_key")
    moved = tmp_path / "config.yaml"
    moved.write_text(yaml.safe_dump(config))
    with pytest.raises(GatewayFailed, match="no master key is set"):
        gateways.get(START, {"config.yaml": moved}, env={"ANTHROPIC_API_BASE": provider.url})
    # The page also warns: LiteLLM's own LITELLM_MASTER_KEY, if exported, hides the mistake.
    hidden = gateways.get(START, {"config.yaml": moved}, env={
        "ANTHROPIC_API_BASE": provider.url, "LITELLM_MASTER_KEY": MASTER_KEY})
    assert hidden.running()
    gateways.free_port(hidden.port)


def test_request_without_key_is_refused_with_401(gateway):
    """What the page says prisma is for: a clear 401, not a 500, when no key is sent."""
    body = json.dumps({"model": "claude-opus-5-5", "max_tokens": 8,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(gateway.url + "/v1/messages", body,
                                     {"content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert "No api key passed in" in refused.value.read().decode()


def test_gateway_answers_liveliness(gateway, terminal):
    result = terminal.run("quickstart/04-check-gateway.sh")
    assert result.code == 0, result.output
    captures.check("quickstart/check-gateway.console", captures.console(
        snippet("quickstart/04-check-gateway.sh").read_text(), result.stdout))


# -- Steps 6 and 7: connect three ways, first request ---------------------------------------

CONNECTIONS = {
    "shell": {"run": ["quickstart/06-connect-shell.sh"]},
    "user": {"settings": {"user": "quickstart/06-connect-user-settings.json"}},
    "project": {"settings": {"project": "quickstart/06-connect-project-settings.json",
                             "local": "quickstart/06-connect-project-settings-local.json"}},
}


def connect(terminal, how: str) -> list[str]:
    for level, rel in CONNECTIONS[how].get("settings", {}).items():
        terminal.settings(level, rel)
    return CONNECTIONS[how].get("run", [])


@pytest.mark.parametrize("how", CONNECTIONS)
def test_first_request_through_the_gateway(how, gateway, upstream, terminal):
    result = terminal.run(*connect(terminal, how), "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    (call,) = upstream_messages(upstream)
    assert call.json["model"] == "claude-opus-5-5", "Claude Code's default model"
    # The gateway swapped the reader's gateway key for the provider key from its environment.
    assert call.header("x-api-key") == PROVIDER_KEY
    assert MASTER_KEY not in str(call.headers)
    assert call.json.get("stream") is True, "Claude Code streams; the gateway passed SSE"
    if how == "shell":
        captures.check("quickstart/first-request.console",
                       captures.console(snippet("quickstart/07-first-request.sh").read_text(),
                                        result.stdout))


def test_aliases_reach_their_deployments(gateway, upstream, terminal):
    """The names Claude Code asks the gateway for (read at its door, every request), and the
    deployments they reach behind it."""
    with front_door.record(4000) as door:
        result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/08-aliases.sh")
    assert result.code == 0 and result.stdout.split() == ["pong", "pong"], result.output
    asked = [json.loads(r.body)["model"] for r in door.requests if r.method == "POST"]
    assert asked == ["claude-sonnet-5-5", "claude-haiku-5-5"], door.lines()
    assert upstream_models(upstream) == ["claude-sonnet-5-5", "claude-haiku-5-5"]


def test_default_model_variables_remap_the_aliases(gateway, upstream, terminal):
    """The page's alternative to matching names: ANTHROPIC_DEFAULT_*_MODEL."""
    terminal.env.update(ANTHROPIC_DEFAULT_SONNET_MODEL="claude-haiku-5-5",
                        ANTHROPIC_DEFAULT_HAIKU_MODEL="claude-opus-5-5")
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/08-aliases.sh")
    assert result.code == 0, result.output
    assert upstream_models(upstream) == ["claude-haiku-5-5", "claude-opus-5-5"]


# -- Precedence: the order the page states, proven with the real CLI --------------------

PRECEDENCE = ["flag", "local", "project", "user", "shell"]  # first wins


def place_token(terminal, level: str, token: str) -> str:
    """Put ANTHROPIC_AUTH_TOKEN at one level; returns the claude options it needs."""
    env = json.dumps({"env": {"ANTHROPIC_AUTH_TOKEN": token}})
    if level == "flag":
        return f"--settings '{env}' "
    if level == "shell":
        terminal.env["ANTHROPIC_AUTH_TOKEN"] = token
    else:
        base = terminal.home if level == "user" else terminal.project
        path = base / {"user": ".claude/settings.json", "project": ".claude/settings.json",
                       "local": ".claude/settings.local.json"}[level]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env)
    return ""


@pytest.mark.parametrize("winner", PRECEDENCE[:-1])
def test_settings_precedence(winner, gateway, upstream, terminal):
    """At each level, a good token beats stale ones at every lower level, and a stale one
    there beats good ones below it."""
    terminal.env["ANTHROPIC_BASE_URL"] = "http://localhost:4000"
    lower = PRECEDENCE[PRECEDENCE.index(winner) + 1:]
    for wins, loses, outcome in ((MASTER_KEY, "sk-stale-token", 0), ("sk-stale-token",
                                                                     MASTER_KEY, 1)):
        for level in lower:
            place_token(terminal, level, loses)
        flag = place_token(terminal, winner, wins)
        result = terminal.sh(f'claude {flag}-p "Reply with the word pong"')
        assert (result.code != 0) == bool(outcome), f"{winner} over {lower}: {result.output}"


def test_settings_env_beats_the_shell(gateway, upstream, terminal):
    terminal.env["ANTHROPIC_BASE_URL"] = "http://localhost:4000"
    terminal.env["ANTHROPIC_AUTH_TOKEN"] = "sk-stale-token"
    stale = terminal.run("quickstart/07-first-request.sh")
    # Without a database LiteLLM accepts only its master key; any other key is refused so.
    claude_failed_with(stale, "API Error: 400 No connected db.")
    terminal.settings("user", "quickstart/06-connect-user-settings.json")
    claude_replied(terminal.run("quickstart/07-first-request.sh"), "pong")


# -- Step 8: how do I know it went through the gateway? ----------------------------------

def test_status_screen_names_gateway_and_token(gateway, terminal):
    terminal.seed_first_run()
    screen = terminal.interactive("quickstart/06-connect-shell.sh", "quickstart/09-status.sh",
                                  keys="/status", until="Esc to close")
    assert "Anthropic base URL:         http://localhost:4000" in screen, screen
    assert "Auth token:                 ANTHROPIC_AUTH_TOKEN" in screen, screen
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if "Status" in line and "Config" in line)
    end = next(i for i, line in enumerate(lines) if "Esc to close" in line)
    captures.check("quickstart/status.txt", textwrap.dedent("\n".join(lines[top:end])))
    # Shell variables only: no settings file read, so "Setting sources" stays empty.
    assert re.search(r"^\s*Setting sources:\s*$", screen, re.M), screen


def test_status_setting_sources_lists_the_files_read(gateway, terminal):
    """With step 6's settings files instead of shell variables, /status names them."""
    terminal.settings("user", "quickstart/06-connect-user-settings.json")
    terminal.settings("project", "quickstart/06-connect-project-settings.json")
    terminal.seed_first_run()
    screen = terminal.interactive("quickstart/09-status.sh", keys="/status", until="Esc to close")
    assert "Setting sources:            User settings, Shared project settings" in screen, screen


def test_gateway_counts_claude_code_tokens(gateways, provider, terminal):
    # Counters are cumulative: a freshly started gateway makes the page's numbers exact.
    gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": provider.url}, restart=True)
    claude_replied(terminal.run("quickstart/06-connect-shell.sh",
                                "quickstart/07-first-request.sh"), "pong")
    result = terminal.run("quickstart/10-gateway-usage.sh")
    counted = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    assert counted == {  # exactly what the provider reported for that one request
        'litellm_input_tokens_metric_total{model="claude-opus-5-5"}':
            f"{anthropic_wire.INPUT_TOKENS:.1f}",
        'litellm_output_tokens_metric_total{model="claude-opus-5-5"}':
            f"{anthropic_wire.OUTPUT_TOKENS:.1f}",
    }, result.output
    captures.check("quickstart/gateway-usage.console", captures.console(
        snippet("quickstart/10-gateway-usage.sh").read_text(), result.stdout))


def test_debug_log_shows_the_gateway_url(gateway, terminal):
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/11-debug-requests.sh")
    assert "post http://localhost:4000/v1/messages?beta=true succeeded with status 200" \
        in result.stdout, result.output
    captures.check("quickstart/debug-requests.console", captures.console(
        snippet("quickstart/11-debug-requests.sh").read_text(), result.stdout))


# Credentials a reader may send, each visibly fake: through the variables and, for a gateway
# that wants its own header, through ANTHROPIC_CUSTOM_HEADERS (Cloudflare's and others' names).
CUSTOM_HEADERS = ("X-Gateway-Key: sk-gw-alice-change-me\n"
                  "cf-aig-authorization: Bearer sk-cf-fake-token\n"
                  "api-key: sk-fake-api-key\n"
                  "Cookie: session=fake-session-cookie")
MASKED = ["authorization", "api-key", "x-api-key", "cookie", "set-cookie"]


def headers_block(output: str, start: str) -> list[str]:
    """The `headers: {...}` lines of the first debug block that begins with `start`."""
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if start in line)
    top = next(i for i in range(first, len(lines)) if lines[i].strip() == "headers: {")
    end = next(i for i in range(top, len(lines)) if lines[i].strip() in ("},", "}"))
    return lines[top:end + 1]


def test_debug_log_masks_five_header_names_and_prints_the_rest(upstream, terminal):
    """ANTHROPIC_LOG=debug: what it masks, what it prints in clear, and that bodies are
    elided. Straight at the recorder, which answers with a load balancer's Set-Cookie."""
    upstream.response_headers = {"Set-Cookie": "lb=fake-sticky-cookie; Path=/"}
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url, ANTHROPIC_CUSTOM_HEADERS=CUSTOM_HEADERS)
    result = terminal.run("enterprise/01-auth-token.sh", "enterprise/02-auth-api-key.sh",
                          "quickstart/12-debug-full.sh")
    assert result.code == 0 and result.stdout.splitlines()[-1] == "pong", result.output
    assert "sending request" not in result.stderr, "the page says: standard output"
    sent = headers_block(result.stdout, "sending request")
    received = headers_block(result.stdout, "response start")
    shown = {line.split(":", 1)[0].strip().strip('"'): line.split(":", 1)[1].strip()
             for line in sent + received if ":" in line}
    for name in MASKED:
        assert shown[name] == '"***",', (name, shown.get(name))
    # Every other header, a gateway's credential among them, is printed as sent.
    assert shown["x-gateway-key"] == '"sk-gw-alice-change-me",', shown
    assert shown["cf-aig-authorization"] == '"Bearer sk-cf-fake-token",', shown
    # Bodies are not printed: their parts show as [Array ...] / [Object ...].
    assert "messages: [Array ...]," in result.stdout
    assert "Reply with the word" not in result.stdout
    upstream_headers = upstream_messages(upstream)[0].headers
    assert upstream_headers["x-gateway-key"] == "sk-gw-alice-change-me"  # what was really sent
    normalised = [re.sub(r'"[0-9a-f]{8}-[0-9a-f-]{27}"', '"…"', line) for line in sent]
    captures.check("quickstart/debug-headers.txt", "\n".join(normalised))
    # The capture shows the test's API_TIMEOUT_MS (20 s); the page names the default too.
    assert '"x-stainless-timeout": "20",' in "\n".join(normalised)
    del terminal.env["API_TIMEOUT_MS"]
    default = terminal.run("enterprise/01-auth-token.sh", "quickstart/12-debug-full.sh")
    assert '"x-stainless-timeout": "600",' in default.stdout, default.output


def test_debug_flags_write_claude_codes_own_log(gateway, terminal):
    """`--debug` writes Claude Code's own log to ~/.claude/debug/<session>.txt; `--debug-file`
    to the file named. Both with a real request through the gateway. In this run neither
    held the gateway key."""
    terminal.env.update(ANTHROPIC_BASE_URL="http://localhost:4000",
                        ANTHROPIC_AUTH_TOKEN=MASTER_KEY)
    claude_replied(terminal.sh('claude --debug -p "Reply with the word pong"'), "pong")
    (log,) = (terminal.home / ".claude" / "debug").glob("*-*-*-*-*.txt")
    text = log.read_text()
    assert "[API REQUEST] /v1/messages" in text and MASTER_KEY not in text, text[-2000:]
    chosen = terminal.project / "claude-debug.log"
    claude_replied(terminal.sh(f'claude --debug-file {chosen} -p "Reply with the word pong"'),
                   "pong")
    text = chosen.read_text()
    assert "[API REQUEST] /v1/messages" in text and MASTER_KEY not in text, text[-2000:]


# -- When it does not work: each pitfall reproduced with its real symptom ---------------

def pitfall(name: str, result, command: str = "quickstart/07-first-request.sh") -> None:
    assert result.code != 0, result.output
    captures.check(f"quickstart/pitfall-{name}.console",
                   captures.console(snippet(command).read_text(), result.output))


def test_pitfall_base_url_without_token(gateway, upstream, terminal):
    """No key: Claude Code sends no model request. The gateway's door, not only the
    provider behind it, sees just the connection check, and it carries no credential."""
    terminal.env["ANTHROPIC_BASE_URL"] = "http://localhost:4000"
    with front_door.record(4000) as door:
        result = terminal.run("quickstart/07-first-request.sh")
        time.sleep(2)  # anything sent as Claude Code exits still arrives
    claude_failed_with(result, "Not logged in", within_s=15)
    assert door.lines() == ["HEAD /api/hello"]  # every request the gateway was sent
    (check,) = door.requests
    assert check.header("authorization") is None and check.header("x-api-key") is None
    assert check.body == b""
    assert not upstream.requests
    pitfall("no-token", result)


def test_pitfall_wrong_token(gateway, upstream, terminal):
    terminal.env.update(ANTHROPIC_BASE_URL="http://localhost:4000",
                        ANTHROPIC_AUTH_TOKEN="sk-not-the-master-key")
    result = terminal.run("quickstart/07-first-request.sh")
    claude_failed_with(result, "API Error: 400 No connected db.", within_s=15)
    assert not upstream_messages(upstream)
    pitfall("wrong-token", result)


def test_pitfall_model_missing_from_config(gateway, upstream, terminal):
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/13-unknown-model.sh")
    claude_failed_with(result, "Invalid model name passed in model=claude-sonnet-5",
                       within_s=15)
    assert not upstream_messages(upstream)
    pitfall("unknown-model", result, "quickstart/13-unknown-model.sh")


def test_pitfall_gateway_started_where_base_url_is_exported(gateways, provider, terminal):
    """LiteLLM reads ANTHROPIC_BASE_URL as its own upstream: the reader's Claude Code
    variable, exported in the gateway's shell, points the gateway at itself."""
    provider.reset()
    gateways.get(("quickstart/06-connect-shell.sh",) + START, CONFIG)  # no redirect to the fake
    with front_door.record(4000) as door:  # Claude Code's requests and the gateway's own
        result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    print("front door:", door.lines())
    # The gateway called itself with the provider key, which it (rightly) refuses.
    claude_failed_with(result, "AnthropicException", within_s=30)
    assert "No connected db" in result.output
    posts = [r for r in door.requests if r.method == "POST"]
    assert any(r.header("x-api-key") == PROVIDER_KEY and MASTER_KEY not in str(r.headers)
               for r in posts), [(str(r), r.headers) for r in posts]
    assert any(r.header("authorization") == f"Bearer {MASTER_KEY}" for r in posts), \
        [(str(r), r.headers) for r in posts]
    assert not upstream_messages(provider)
    pitfall("gateway-loops", result)


def test_pitfall_gateway_not_running(gateways, terminal):
    gateways.free_port(4000)
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    claude_failed_with(result, "ECONNREFUSED", within_s=15)
    pitfall("not-running", result)


# -- With Claude Code's defaults (a background scenario: ~3 minutes beside the suite) -------

@background.scenario
def defaults_when_nothing_listens(workdir):
    """The not-running pitfall as a reader has it: default retries and timeouts. Its own
    closed port (4000 belongs to the serial tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before Claude Code starts
    t = Terminal(workdir, defaults=True)
    t.env.update(ANTHROPIC_BASE_URL=f"http://localhost:{port}", ANTHROPIC_AUTH_TOKEN=MASTER_KEY)
    return t.run("quickstart/11-debug-requests.sh", timeout=600)


@background.joins(defaults_when_nothing_listens)
def test_with_defaults_connection_refused_shows_after_ten_retries():
    result = background.join(defaults_when_nothing_listens)
    claude_failed_with(result, "ECONNREFUSED", within_s=400)
    assert result.output.count("connection failed") == 11, result.output  # 1 + 10 retries
    assert 120 <= result.seconds <= 300, result.seconds
    captures.check("quickstart/defaults-not-running-summary.txt", (
        f"Claude Code {CLAUDE_CODE_VERSION}, default retries and timeouts, nothing listening "
        "at ANTHROPIC_BASE_URL, ANTHROPIC_LOG=info:\n"
        "  'connection failed' lines:  11 (the first attempt and 10 retries)\n"
        "  until the error:            between 120 and 300 s\n"
        "  then it printed:            API Error: Connection refused … (ECONNREFUSED)\n"))
