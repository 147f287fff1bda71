"""How-to: Claude Code in its Bedrock Mantle mode through LiteLLM (docs/how-to/mantle.md).

Bedrock Mantle serves the Anthropic Messages API at
https://bedrock-mantle.<region>.api.aws/anthropic/v1/messages with Bedrock model ids
(`anthropic.claude-…`), signed with SigV4 for the service `bedrock`: the stand-in
(`aws_anthropic_wire.install_mantle`) verifies the signature with the secret key the gateway
was given. LiteLLM finds it through BEDROCK_MANTLE_API_BASE, a variable its bedrock_mantle
provider reads when a config sets no api_base."""

from __future__ import annotations

import json

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.wire import aws_anthropic_wire, front_door
from tests.harness.wire.provider_fake import serving

START = ("mantle/02-start-gateway.sh",)
CONFIG = {"config.yaml": "mantle/01-config.yaml"}
CONNECT = "mantle/03-connect.sh"
FIRST = "quickstart/07-first-request.sh"
GATEWAY_KEY = "sk-litellm-change-me"
ACCESS_KEY_ID = "fake-access-key-id-for-tests-only"
SECRET_KEY = "fake-secret-access-key-for-tests-only"
MANTLE_MESSAGES = "/anthropic/v1/messages"
SIGNING_SERVICE = "bedrock"  # the AWS service name in the signature's scope
MODEL = "anthropic.claude-opus-5-5"  # what Mantle mode asks for when no model is set
PROBE_MAX_TOKENS = 1
NO_KEY = "API Error: 401 Authentication Error, No api key passed in."
SKIP_AUTH_NOTICE = "AWS credentials expired or invalid"
NO_CREDENTIALS = "API Error: Could not load AWS credentials"
NO_ACCESSIBLE_MODEL = "Opus: no accessible model (tried Opus 5.5, Opus 5, Opus 4.8, Opus 4.7)"


@pytest.fixture(scope="module")
def mantle_provider(isolated):
    with serving(lambda fake: aws_anthropic_wire.install_mantle(fake, SECRET_KEY)) as fake:
        yield fake


@pytest.fixture
def mantle(mantle_provider):
    mantle_provider.reset()
    yield mantle_provider
    mantle_provider.reset()


@pytest.fixture
def gateway(gateways, mantle_provider):
    return gateways.get(START, CONFIG, env={
        "BEDROCK_MANTLE_API_BASE": mantle_provider.url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_KEY})


def test_mantle_mode_through_the_gateway(gateway, mantle, terminal):
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run(CONNECT, FIRST)
    claude_replied(result, "pong")
    print("front door:", door.lines())
    # Every request Claude Code sent, of any method, in order: a one-token probe at
    # /v1/messages, then the prompt at /v1/messages?beta=true; the gateway key as a Bearer
    # token on both, no x-api-key, the model in Bedrock's form.
    assert [(r.method, r.path) for r in door.requests] == [
        ("POST", "/v1/messages"), ("POST", "/v1/messages?beta=true")], door.lines()
    assert all(r.header("authorization") == f"Bearer {GATEWAY_KEY}"
               and r.header("x-api-key") is None for r in door.requests), \
        [r.headers for r in door.requests]
    probe, prompt = (json.loads(r.body) for r in door.requests)
    assert probe["max_tokens"] == PROBE_MAX_TOKENS and "stream" not in probe \
        and "tools" not in probe, probe
    assert prompt.get("stream") is True and prompt.get("tools"), sorted(prompt)
    assert probe["model"] == prompt["model"] == MODEL
    # What reached Mantle: both requests, at /anthropic/v1/messages, signed by the gateway
    # (the stand-in verifies the SigV4 signature with the gateway's secret key, for bedrock
    # in us-east-1), the same model id, and no trace of the gateway key.
    calls = mantle.received()
    assert [(c.method, c.path) for c in calls] == [("POST", MANTLE_MESSAGES)] * 2
    for c in calls:
        signature = aws_anthropic_wire.sigv4(c, SECRET_KEY)
        assert signature and signature["service"] == SIGNING_SERVICE \
            and signature["region"] == "us-east-1" \
            and signature["access_key_id"] == ACCESS_KEY_ID, c.headers
        assert c.json["model"] == MODEL
        assert GATEWAY_KEY not in str(c.headers) and GATEWAY_KEY.encode() not in c.body
    assert calls[0].json["max_tokens"] == PROBE_MAX_TOKENS and calls[1].json["stream"] is True
    captures.check("mantle/first-request.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_mantle_skip_auth_sends_no_key_the_gateway_refuses(gateway, mantle, terminal):
    """CLAUDE_CODE_SKIP_MANTLE_AUTH=1 in place of the token (as for Bedrock): Claude Code
    then sends no credential at all, and the gateway refuses the request."""
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "unset AWS_BEARER_TOKEN_BEDROCK",
            "export CLAUDE_CODE_SKIP_MANTLE_AUTH=1",
            f"source {snippet(FIRST)}"]))
    claude_failed_with(result, NO_KEY, within_s=60)
    assert SKIP_AUTH_NOTICE in result.output, result.output
    # No one-token probe first: only the prompt, tried twice (the terminal allows one retry).
    assert {r.path for r in door.requests} == {"/v1/messages?beta=true"}, door.lines()
    assert door.requests and all(r.header("authorization") is None
                                 and r.header("x-api-key") is None for r in door.requests)
    assert not mantle.received(), "the gateway refused it without asking Mantle"
    captures.check("mantle/fails-skip-auth.console", captures.console(
        snippet(FIRST).read_text(), result.output))


def test_without_a_token_claude_code_looks_for_aws_credentials(gateway, mantle, terminal):
    """Neither AWS_BEARER_TOKEN_BEDROCK nor skip-auth: Claude Code looks for AWS credentials
    of its own to sign with, finds none, and sends nothing."""
    with front_door.record(4000) as door:
        result = terminal.sh("\n".join([
            f"source {snippet(CONNECT)}",
            "unset AWS_BEARER_TOKEN_BEDROCK",
            f"source {snippet(FIRST)}"]))
    claude_failed_with(result, NO_CREDENTIALS, within_s=60)
    assert NO_ACCESSIBLE_MODEL in result.output, result.output
    assert not door.requests, door.lines()
    captures.check("mantle/fails-no-token.console", captures.console(
        snippet(FIRST).read_text(), result.output))
