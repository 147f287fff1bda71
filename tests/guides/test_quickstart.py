"""The LiteLLM quickstart (docs/tutorials/quickstart.md), run step by step with its own
snippets: real LiteLLM, real Claude Code, the provider fake behind the gateway."""

from __future__ import annotations

import re
import subprocess
import textwrap

import pytest

from tests.harness import anthropic_wire, captures, components
from tests.harness.expect import (claude_failed_with, claude_replied, upstream_messages,
                                  upstream_models)
from tests.harness.project import (CLAUDE_CODE_PACKAGE, CLAUDE_CODE_VERSION, LITELLM_VERSION,
                                   VERSIONS)
from tests.harness.snippets import snippet

START = "quickstart/03-start-gateway.sh"
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
PROVIDER_KEY = "sk-ant-your-anthropic-key"  # what 03-start-gateway.sh exports
MASTER_KEY = "sk-litellm-change-me"


@pytest.fixture
def gateway(gateways, provider):
    """The quickstart gateway, pointed at the provider fake through its environment."""
    return gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


# -- Step 1 and 4: installs ------------------------------------------------------------------

def test_install_snippets_pin_the_tested_versions():
    litellm = snippet("quickstart/01-install-litellm.sh").read_text()
    pins = re.findall(r"litellm\[proxy\]==([\w.]+)", litellm)
    assert pins == [LITELLM_VERSION], f"snippet pins {pins}, conf/versions.toml {LITELLM_VERSION}"
    assert LITELLM_VERSION not in VERSIONS["litellm"]["denied"]
    claude = snippet("quickstart/05-install-claude-code.sh").read_text()
    assert f"{CLAUDE_CODE_PACKAGE}@{CLAUDE_CODE_VERSION}" in claude


def test_installed_components_are_the_pinned_ones():
    version = subprocess.run(
        [components.litellm_bin() / "python", "-c",
         "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert version == LITELLM_VERSION
    claude = subprocess.run([components.claude_bin() / "claude", "--version"],
                            capture_output=True, text=True, check=True).stdout
    assert claude.split()[0] == CLAUDE_CODE_VERSION


# -- Step 5 and 6: connect three ways, first request ---------------------------------------

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
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/08-aliases.sh")
    assert result.code == 0 and result.stdout.split() == ["pong", "pong"], result.output
    assert upstream_models(upstream) == ["claude-sonnet-5-5", "claude-haiku-5-5"]


# -- Precedence: the page says a settings file's env beats the shell ----------------------

def test_settings_env_beats_the_shell(gateway, upstream, terminal):
    terminal.env["ANTHROPIC_BASE_URL"] = "http://localhost:4000"
    terminal.env["ANTHROPIC_AUTH_TOKEN"] = "sk-stale-token"
    stale = terminal.run("quickstart/07-first-request.sh")
    # Without a database LiteLLM accepts only its master key; any other key is refused so.
    claude_failed_with(stale, "API Error: 400 No connected db.")
    terminal.settings("user", "quickstart/06-connect-user-settings.json")
    claude_replied(terminal.run("quickstart/07-first-request.sh"), "pong")


def test_project_local_settings_beat_user_settings(gateway, upstream, terminal):
    stale = terminal.home / ".claude" / "settings.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"env": {"ANTHROPIC_BASE_URL": "http://localhost:4000",'
                     ' "ANTHROPIC_AUTH_TOKEN": "sk-stale-token"}}')
    connect(terminal, "project")
    claude_replied(terminal.run("quickstart/07-first-request.sh"), "pong")


def test_gateway_answers_liveliness(gateway, terminal):
    result = terminal.run("quickstart/04-check-gateway.sh")
    assert result.code == 0, result.output
    captures.check("quickstart/check-gateway.console", captures.console(
        snippet("quickstart/04-check-gateway.sh").read_text(), result.stdout))


# -- Step 7: how do I know it worked? ------------------------------------------------------

def test_status_screen_names_gateway_and_token(gateway, terminal):
    terminal.seed_first_run()
    screen = terminal.interactive("quickstart/06-connect-shell.sh", keys="/status",
                                  until="Esc to close")
    assert "Anthropic base URL:         http://localhost:4000" in screen, screen
    assert "Auth token:                 ANTHROPIC_AUTH_TOKEN" in screen, screen
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if "Status" in line and "Config" in line)
    end = next(i for i, line in enumerate(lines) if "Esc to close" in line)
    captures.check("quickstart/status.txt", textwrap.dedent("\n".join(lines[top:end])))


def test_gateway_counts_claude_code_tokens(gateway, upstream, terminal):
    terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    result = terminal.run("quickstart/10-gateway-usage.sh")
    counted = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    # The gateway counts what the provider reported; cumulative over the session's requests.
    opus_in = float(counted['litellm_input_tokens_metric_total{model="claude-opus-5-5"}'])
    assert opus_in >= anthropic_wire.INPUT_TOKENS and opus_in % anthropic_wire.INPUT_TOKENS == 0


def test_debug_log_shows_the_gateway_url(gateway, terminal):
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/11-debug-requests.sh")
    assert "post http://localhost:4000/v1/messages?beta=true succeeded with status 200" \
        in result.stdout, result.output
    captures.check("quickstart/debug-requests.console", captures.console(
        snippet("quickstart/11-debug-requests.sh").read_text(), result.stdout))


def test_debug_flags_exist_in_the_pinned_cli(terminal):
    help_text = terminal.sh("claude --help").stdout
    for flag in ("--debug", "--debug-file", "--model", "--settings"):
        assert flag in help_text, f"{flag} is on the page but not in claude --help"
