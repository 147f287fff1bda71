"""How-to: Claude Code in its Claude Platform on AWS mode through LiteLLM
(docs/how-to/claude-platform-on-aws.md).

Claude Platform on AWS serves the Anthropic Messages API at
https://aws-external-anthropic.<region>.api.aws/v1/messages, for a workspace named in
`anthropic-workspace-id`, signed with SigV4 for the service `aws-external-anthropic`: the
stand-in (`aws_anthropic_wire.install_claude_platform`) verifies the signature with the secret
key the gateway was given and the workspace header. LiteLLM finds it through
ANTHROPIC_AWS_API_BASE, a variable its claude_platform provider reads when a config sets no
api_base."""

from __future__ import annotations

import json

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.wire import aws_anthropic_wire, front_door
from tests.harness.wire.provider_fake import serving

START = ("claude-platform-aws/02-start-gateway.sh",)
CONFIG = {"config.yaml": "claude-platform-aws/01-config.yaml"}
CONNECT = "claude-platform-aws/03-connect.sh"
FIRST = "quickstart/07-first-request.sh"
GATEWAY_KEY = "sk-litellm-change-me"
WORKSPACE = "wrkspc_your-workspace-id"  # the start script's value
ACCESS_KEY_ID = "fake-access-key-id-for-tests-only"
SECRET_KEY = "fake-secret-access-key-for-tests-only"
PLATFORM_MESSAGES = "/v1/messages"
SIGNING_SERVICE = "aws-external-anthropic"  # the AWS service name in the signature's scope
NO_WORKSPACE = ("API Error: No workspace ID found. Set `workspaceId` in the constructor or the "
                "`ANTHROPIC_AWS_WORKSPACE_ID` environment variable.")
NO_KEY = "API Error: 401 Authentication Error, No api key passed in."
SKIP_AUTH_NOTICE = "AWS credentials expired or invalid"


@pytest.fixture(scope="module")
def platform_provider(isolated):
    with serving(lambda fake: aws_anthropic_wire.install_claude_platform(
            fake, WORKSPACE, SECRET_KEY)) as fake:
        yield fake


@pytest.fixture
def platform(platform_provider):
    platform_provider.reset()
    yield platform_provider
    platform_provider.reset()


def gateway_env(provider) -> dict[str, str]:
    return {"ANTHROPIC_AWS_API_BASE": provider.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}


@pytest.fixture
def gateway(gateways, platform_provider):
    return gateways.get(START, CONFIG, env=gateway_env(platform_provider))


def test_claude_platform_mode_through_the_gateway(gateway, platform, terminal):
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run(CONNECT, FIRST)
    claude_replied(result, "pong")
    print("front door:", door.lines())
    # Every request Claude Code sent, of any method: the Messages API, the gateway key in
    # x-api-key, no Authorization header, the workspace it was given.
    assert door.requests and {r.method for r in door.requests} == {"POST"}, door.lines()
    assert {r.path for r in door.requests} == {"/v1/messages?beta=true"}, door.lines()
    assert all(r.header("x-api-key") == GATEWAY_KEY and r.header("authorization") is None
               and r.header("anthropic-workspace-id") == WORKSPACE
               for r in door.requests), [r.headers for r in door.requests]
    sent = [json.loads(r.body) for r in door.requests]
    assert {b["model"] for b in sent} == {"claude-opus-5-5"}
    assert all("context_management" in b for b in sent), "Claude Code sends context_management"
    # What reached the platform: /v1/messages, signed by the gateway (the stand-in verifies
    # the SigV4 signature with the gateway's secret key, for aws-external-anthropic in
    # us-east-1), the workspace, the model, a streamed answer asked for; no
    # context_management, and no trace of the gateway key.
    calls = platform.received()
    assert calls and {(c.method, c.path) for c in calls} == {("POST", PLATFORM_MESSAGES)}
    for c in calls:
        signature = aws_anthropic_wire.sigv4(c, SECRET_KEY)
        assert signature and signature["service"] == SIGNING_SERVICE \
            and signature["region"] == "us-east-1" \
            and signature["access_key_id"] == ACCESS_KEY_ID, c.headers
        assert c.header("anthropic-workspace-id") == WORKSPACE
        assert c.header("x-api-key") is None
        assert c.json["model"] == "claude-opus-5-5" and c.json.get("stream") is True
        assert "context_management" not in c.json, "LiteLLM drops it"
        assert GATEWAY_KEY not in str(c.headers) and GATEWAY_KEY.encode() not in c.body
    captures.check("claude-platform-aws/first-request.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_the_gateway_names_the_workspace(gateway, platform, terminal):
    """Claude Code's workspace id is another one: the platform still gets the gateway's."""
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "export ANTHROPIC_AWS_WORKSPACE_ID=wrkspc_another-workspace",
            f"source {snippet(FIRST)}"]))
    claude_replied(result, "pong")
    assert door.requests and {r.header("anthropic-workspace-id") for r in door.requests} == {
        "wrkspc_another-workspace"}, door.lines()
    calls = platform.received()
    assert calls and {c.header("anthropic-workspace-id") for c in calls} == {WORKSPACE}


def test_a_key_in_the_gateways_environment_replaces_the_signature(gateways, platform_provider,
                                                                  platform, terminal):
    """ANTHROPIC_AWS_API_KEY in the gateway's environment (Claude Code's name for its key):
    LiteLLM sends it to the platform as x-api-key and signs nothing."""
    stray = "a-key-left-in-the-gateways-shell"
    gateways.get(START, CONFIG, env={**gateway_env(platform_provider),
                                     "ANTHROPIC_AWS_API_KEY": stray})
    try:
        terminal.run(CONNECT, FIRST)
        calls = platform.received()
        assert calls and all(c.header("x-api-key") == stray for c in calls), \
            [c.headers for c in calls]
        assert not [c for c in calls if aws_anthropic_wire.sigv4(c, SECRET_KEY)
                    or "AWS4-HMAC-SHA256" in (c.header("authorization") or "")]
    finally:
        gateways.free_port(4000)  # the next test starts the published gateway again


def test_without_a_workspace_id_claude_code_stops(terminal):
    """With a key and no ANTHROPIC_AWS_WORKSPACE_ID, Claude Code stops before sending."""
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "unset ANTHROPIC_AWS_WORKSPACE_ID",
            f"source {snippet(FIRST)}"]))
    claude_failed_with(result, NO_WORKSPACE, within_s=60)
    assert not door.requests, door.lines()
    captures.check("claude-platform-aws/fails-no-workspace.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_claude_platform_skip_auth_sends_no_key_the_gateway_refuses(gateway, platform, terminal):
    """CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH=1 in place of the key (as for Bedrock): Claude
    Code then sends no credential at all, and the gateway refuses the request."""
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "unset ANTHROPIC_AWS_API_KEY",
            "export CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH=1",
            f"source {snippet(FIRST)}"]))
    claude_failed_with(result, NO_KEY, within_s=60)
    assert SKIP_AUTH_NOTICE in result.output, result.output
    assert door.requests and all(r.header("authorization") is None
                                 and r.header("x-api-key") is None for r in door.requests)
    assert not platform.received(), "the gateway refused it without asking the platform"
    captures.check("claude-platform-aws/fails-skip-auth.console", captures.console(
        snippet(FIRST).read_text(), result.output))
