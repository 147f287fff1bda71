"""How-to: gateway mode and Anthropic-managed Google Cloud mode through LiteLLM
(docs/how-to/provider-modes.md), with the quickstart's gateway in front of the Anthropic API
stand-in. Every request Claude Code sends is read at the gateway's port."""

from __future__ import annotations

import json

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader import claude_binary
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.wire import front_door

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
CONNECT = "quickstart/06-connect-shell.sh"
GATEWAY_MODE = "provider-modes/01-gateway-mode.sh"
GOOGLE_CLOUD = "provider-modes/02-google-cloud.sh"
FIRST = "quickstart/07-first-request.sh"
GATEWAY_KEY = "sk-litellm-change-me"
GATEWAY_MODE_DEFAULT = ("API Error: 400 anthropic_messages: Invalid model name passed in "
                        "model=claude-opus-4-7.")
NO_GOOGLE_CREDENTIALS = "API Error: Could not load Google Cloud credentials"
GOOGLE_CLOUD_HOST = "claude.googleapis.com"  # the service's host, in the pinned binary


@pytest.fixture
def gateway(gateways, provider):
    return gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


def sh(terminal, *steps, extra=()):
    return terminal.sh("\n".join([*(f"source {snippet(s)}" for s in steps[:-1]), *extra,
                                  f"source {snippet(steps[-1])}"]))


def test_gateway_mode_through_the_gateway(gateway, upstream, terminal):
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run(CONNECT, GATEWAY_MODE, FIRST)
    claude_replied(result, "pong")
    print("front door:", door.lines())
    # Every request, any method: only the Messages API (no HEAD /api/hello connection check),
    # the key as a Bearer token, no context_management in the body.
    assert [(r.method, r.path) for r in door.requests] == [("POST", "/v1/messages?beta=true")], \
        door.lines()
    (request,) = door.requests
    assert request.header("authorization") == f"Bearer {GATEWAY_KEY}"
    assert request.header("x-api-key") is None
    body = json.loads(request.body)
    assert body["model"] == "claude-opus-5-5" and "context_management" not in body, sorted(body)
    assert "context-management-2025-06-27" not in (request.header("anthropic-beta") or "")
    assert [c.json["model"] for c in upstream.received("POST")] == ["claude-opus-5-5"]
    captures.check("provider-modes/gateway-mode.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_gateway_mode_asks_for_its_own_default_model(gateway, upstream, terminal):
    """Without the model lines, gateway mode asks for claude-opus-4-7, which the quickstart's
    gateway does not publish."""
    with front_door.record(4000) as door:
        result = sh(terminal, CONNECT, FIRST, extra=["export CLAUDE_CODE_USE_GATEWAY=1"])
    claude_failed_with(result, GATEWAY_MODE_DEFAULT, within_s=90)
    assert door.requests and {json.loads(r.body)["model"] for r in door.requests} == {
        "claude-opus-4-7"}, door.lines()
    assert not upstream.received("POST"), "the gateway refused it without asking the provider"
    captures.check("provider-modes/fails-gateway-mode-default-model.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_gateway_mode_needs_an_auth_token(gateway, terminal):
    """With ANTHROPIC_API_KEY in place of ANTHROPIC_AUTH_TOKEN, Claude Code leaves gateway
    mode off: the connection check, the key as x-api-key, context_management, as without it."""
    with front_door.record(4000) as door:
        result = sh(terminal, CONNECT, GATEWAY_MODE, FIRST, extra=[
            "unset ANTHROPIC_AUTH_TOKEN", f"export ANTHROPIC_API_KEY={GATEWAY_KEY}"])
    claude_replied(result, "pong")
    assert ("HEAD", "/api/hello") in [(r.method, r.path) for r in door.requests], door.lines()
    (post,) = [r for r in door.requests if r.method == "POST"]
    assert post.header("x-api-key") == GATEWAY_KEY and post.header("authorization") is None
    assert "context_management" in json.loads(post.body)


def test_google_cloud_mode_through_the_gateway(gateway, upstream, terminal):
    """Anthropic-managed Google Cloud mode with skip-auth and the gateway key as a custom
    header: the request goes through the gateway (to the quickstart's Anthropic upstream)."""
    with front_door.record(4000) as door:
        result = terminal.run(GOOGLE_CLOUD, FIRST)
    claude_replied(result, "pong")
    print("front door:", door.lines())
    assert [(r.method, r.path) for r in door.requests] == [("POST", "/v1/messages?beta=true")], \
        door.lines()
    (request,) = door.requests
    assert request.header("authorization") == f"Bearer {GATEWAY_KEY}"
    assert request.header("x-api-key") is None
    assert json.loads(request.body)["model"] == "claude-opus-5-5"
    assert [c.json["model"] for c in upstream.received("POST")] == ["claude-opus-5-5"]
    captures.check("provider-modes/google-cloud.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_google_cloud_mode_without_skip_auth_needs_google_credentials(gateway, terminal):
    with front_door.record(4000) as door:
        result = sh(terminal, GOOGLE_CLOUD, FIRST,
                    extra=["unset CLAUDE_CODE_SKIP_ANTHROPIC_GOOGLE_CLOUD_AUTH"])
    claude_failed_with(result, NO_GOOGLE_CREDENTIALS, within_s=60)
    assert not door.requests, door.lines()
    captures.check("provider-modes/fails-google-credentials.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_pinned_litellm_has_no_route_to_anthropic_managed_google_cloud():
    """The pinned binary knows the service's host; the pinned LiteLLM's source never names it."""
    from tests.test_reference_tables import litellm_source
    assert GOOGLE_CLOUD_HOST.encode() in claude_binary.binary().read_bytes()
    assert GOOGLE_CLOUD_HOST not in litellm_source()
