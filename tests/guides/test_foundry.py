"""How-to: Claude Code in Microsoft Foundry mode through LiteLLM (docs/how-to/foundry.md).

Foundry serves Claude with the Anthropic Messages API at
https://<resource>.services.ai.azure.com/anthropic/v1/messages, key in `x-api-key`: the stand-in
is the Anthropic wire format under that prefix, on a server of its own (its own host)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.wire import anthropic_wire, front_door
from tests.harness.wire.provider_fake import serving

START = ("foundry/02-start-gateway.sh",)
CONFIG = {"config.yaml": "foundry/01-config.yaml"}
CONNECT = "foundry/03-connect.sh"
FIRST = "quickstart/07-first-request.sh"
FOUNDRY_KEY = "foundry-resource-key-for-tests-only"  # the key only the gateway holds
GATEWAY_KEY = "sk-litellm-change-me"
FOUNDRY_MESSAGES = "/anthropic/v1/messages"
NO_ENDPOINT = ("API Error: Must provide one of the `baseURL` or `resource` arguments, or the "
               "`ANTHROPIC_FOUNDRY_RESOURCE` environment variable")
SKIP_AUTH_TOKEN = "Bearer skip-foundry-auth"
NO_CONNECTED_DB = "API Error: 400 No connected db."
OWN_DEFAULT = "claude-sonnet-5-5"  # Foundry mode's own default model in the pinned CLI


def _foundry_wire(fake):
    anthropic_wire.install(fake, prefix="/anthropic")


@pytest.fixture(scope="module")
def foundry_provider(isolated):
    with serving(_foundry_wire) as fake:
        yield fake


@pytest.fixture
def foundry(foundry_provider):
    foundry_provider.reset()
    yield foundry_provider
    foundry_provider.reset()


@pytest.fixture
def gateway(gateways, foundry_provider):
    return gateways.get(START, CONFIG, env={
        "AZURE_FOUNDRY_API_BASE": f"{foundry_provider.url}/anthropic",
        "AZURE_FOUNDRY_API_KEY": FOUNDRY_KEY})


def test_foundry_mode_through_the_gateway(gateway, foundry, terminal):
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run(CONNECT, FIRST)
    claude_replied(result, "pong")
    print("front door:", door.lines())
    # Every request Claude Code sent, of any method: the Messages API, the gateway key in
    # x-api-key, no Authorization header.
    assert door.requests and {r.method for r in door.requests} == {"POST"}, door.lines()
    assert {r.path for r in door.requests} == {"/v1/messages?beta=true"}, door.lines()
    assert all(r.header("x-api-key") == GATEWAY_KEY and r.header("authorization") is None
               for r in door.requests), [r.headers for r in door.requests]
    # What reached Foundry: its Anthropic path, the resource key only the gateway holds, the
    # deployment named in the body, a streamed answer asked for.
    calls = foundry.received()
    assert calls and {(c.method, c.path) for c in calls} == {("POST", FOUNDRY_MESSAGES)}
    assert {c.header("x-api-key") for c in calls} == {FOUNDRY_KEY}
    # `claude -p` asks for its Sonnet model: the name ANTHROPIC_DEFAULT_SONNET_MODEL gives.
    assert {json.loads(r.body)["model"] for r in door.requests} == {"claude-sonnet-5-5"}
    assert {c.json["model"] for c in calls} == {"claude-sonnet-5-5"}
    assert all(c.json.get("stream") is True for c in calls)
    assert not [c for c in calls
                if GATEWAY_KEY in str(c.headers) or GATEWAY_KEY.encode() in c.body]
    # ... and the Foundry key never at the gateway's door: no header, no body of any request.
    assert not [r for r in door.requests
                if FOUNDRY_KEY in str(r.headers) or FOUNDRY_KEY.encode() in r.body]
    captures.check("foundry/first-request.console", captures.console(
        snippet(FIRST).read_text(), result.output))


DEPLOYMENT = "claude-sonnet-5-5-prod-eastus"  # a deployment named other than the model_name


def test_the_deployment_name_can_differ_from_the_model_name(gateways, foundry, terminal,
                                                            tmp_path):
    """The published config with the Sonnet entry's `azure_ai/` name changed to a deployment
    named otherwise: Claude Code still asks for `claude-sonnet-5-5` (the model_name), and
    Foundry receives the deployment's name as `model`."""
    config = yaml.safe_load(snippet(CONFIG["config.yaml"]).read_text())
    entry = next(m for m in config["model_list"] if m["model_name"] == "claude-sonnet-5-5")
    entry["litellm_params"]["model"] = f"azure_ai/{DEPLOYMENT}"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    gateways.get(START, {"config.yaml": path}, env={
        "AZURE_FOUNDRY_API_BASE": f"{foundry.url}/anthropic",
        "AZURE_FOUNDRY_API_KEY": FOUNDRY_KEY}, restart=True)
    try:
        with front_door.record(4000) as door:
            result = terminal.run(CONNECT, FIRST)
        claude_replied(result, "pong")
        assert door.requests and {json.loads(r.body)["model"] for r in door.requests} == {
            "claude-sonnet-5-5"}, door.lines()
        calls = foundry.received()
        assert calls and {(c.method, c.path) for c in calls} == {("POST", FOUNDRY_MESSAGES)}
        assert {c.json["model"] for c in calls} == {DEPLOYMENT}
    finally:
        gateways.free_port(4000)  # the published config for the next test


def connections(trace: Path) -> list[str]:
    """Every connect() and sendto() to a network address in an strace log (-f: every thread
    and child): an outbound connection or datagram of any kind, to any host or port."""
    return [line for line in trace.read_text().splitlines()
            if re.search(r"\b(connect|sendto|sendmsg)\(", line)
            and re.search(r"AF_INET6?\b", line)]


def test_foundry_mode_without_an_endpoint(terminal, tmp_path):
    """Foundry mode with neither ANTHROPIC_FOUNDRY_BASE_URL nor ANTHROPIC_FOUNDRY_RESOURCE:
    Claude Code stops before sending anything, anywhere. The snippet's `claude` runs under
    strace (a shell function of the same name, so the snippet runs as published), which logs
    every connection Claude Code and its children open, to any address and port, DNS
    included; and the gateway's port is recorded at its door."""
    trace = tmp_path / "claude.strace"
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "unset ANTHROPIC_FOUNDRY_BASE_URL",
            f'claude() {{ strace -f -qq -e trace=connect,sendto,sendmsg -o "{trace}" '
            '"$(type -P claude)" "$@"; }',
            f"source {snippet(FIRST)}"]))
    claude_failed_with(result, NO_ENDPOINT, within_s=60)
    assert trace.exists(), result.output
    assert connections(trace) == [], connections(trace)
    assert not door.requests, door.lines()
    captures.check("foundry/fails-no-endpoint.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_skip_auth_sends_a_placeholder_the_gateway_refuses(gateway, foundry, terminal):
    """CLAUDE_CODE_SKIP_FOUNDRY_AUTH=1 in place of the key (as for Bedrock and Vertex AI):
    Claude Code sends a fixed placeholder bearer token, which the gateway refuses."""
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "unset ANTHROPIC_FOUNDRY_API_KEY",
            "export CLAUDE_CODE_SKIP_FOUNDRY_AUTH=1",
            f"source {snippet(FIRST)}"]))
    claude_failed_with(result, NO_CONNECTED_DB, within_s=60)
    assert door.requests and all(r.header("authorization") == SKIP_AUTH_TOKEN
                                 and r.header("x-api-key") is None for r in door.requests)
    assert not foundry.received(), "the gateway refused it without asking Foundry"
    captures.check("foundry/fails-skip-auth.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_without_model_names_foundry_mode_asks_for_sonnet_5_5(gateway, foundry, terminal):
    """Without the ANTHROPIC_DEFAULT_*_MODEL lines, Foundry mode asks for its built-in default,
    claude-sonnet-5-5 in the pinned release: a name the step-1 config publishes, so it answers
    (2.1.330 asked for the retired claude-sonnet-4-5, which the gateway refused)."""
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "unset ANTHROPIC_DEFAULT_OPUS_MODEL ANTHROPIC_DEFAULT_SONNET_MODEL "
            "ANTHROPIC_DEFAULT_HAIKU_MODEL",
            f"source {snippet(FIRST)}"]))
    print("front door:", door.lines())
    claude_replied(result, "pong")
    asked = [json.loads(r.body)["model"] for r in door.requests]
    assert door.requests and set(asked) == {OWN_DEFAULT}, door.lines()
    assert {r.method for r in door.requests} == {"POST"}, door.lines()
    assert {json.loads(r.body)["model"] for r in foundry.requests} == {OWN_DEFAULT}
