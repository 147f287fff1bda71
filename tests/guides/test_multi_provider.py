"""How-to: one gateway, several providers, with fallback (docs/how-to/multi-provider.md)."""

from __future__ import annotations

import pytest
import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.wire import bedrock_wire, front_door

START = ("vertex/04-service-account.sh", "multi-provider/02-start-gateway.sh")
CONFIG = {"config.yaml": "multi-provider/01-config.yaml"}


@pytest.fixture
def gateway(gateways, provider, aws_gateway_env, google_gateway_env):
    return gateways.get(START, CONFIG, env={
        "ANTHROPIC_API_BASE": provider.url, **aws_gateway_env, **google_gateway_env})


def predicts(vertex):
    return vertex.received("POST", r"Predict$")


def test_per_command_model_reaches_each_provider(gateway, upstream, bedrock, vertex, terminal):
    result = terminal.run("quickstart/06-connect-shell.sh",
                          "bedrock/05-disable-experimental-betas.sh",
                          "multi-provider/03-per-command.sh")
    assert result.code == 0 and result.stdout.split() == ["pong"] * 3, result.output
    assert [c.path for c in bedrock.received("POST", "^/model/")] == [
        "/model/us.anthropic.claude-opus-5-5/invoke-with-response-stream"]
    assert bedrock.received("POST")[0].json["anthropic_version"] == bedrock_wire.ANTHROPIC_VERSION
    assert len(predicts(vertex)) == 1
    assert [r.json["model"] for r in upstream_messages(upstream)] == ["claude-opus-5-5"]


def test_failing_provider_falls_back_to_the_next(gateway, upstream, bedrock, vertex, terminal):
    bedrock.fail(503, {"message": "Bedrock is unavailable in this region"}, times=10)
    result = terminal.run("quickstart/06-connect-shell.sh",
                          "bedrock/05-disable-experimental-betas.sh",
                          "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    config = yaml.safe_load(snippet("multi-provider/01-config.yaml").read_text())
    retries = config["router_settings"]["num_retries"]
    tried = len(bedrock.received("POST", "^/model/"))
    # The page: Bedrock tried 1 + num_retries times (twice), then Vertex AI once, and the
    # Anthropic API, last in the chain, not at all.
    assert tried == retries + 1 == 2, tried
    assert len(predicts(vertex)) == 1 and not upstream_messages(upstream)
    captures.check("multi-provider/fallback.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))
    captures.check("multi-provider/fallback.txt", "\n".join([  # a summary of the stand-ins' logs
        f"Bedrock requests (all answered 503): {tried}",
        f"Vertex AI requests (answered 200): {len(predicts(vertex))}",
        f"Anthropic API requests: {len(upstream_messages(upstream))}"]))


def test_both_modes_set_bedrock_mode_wins(gateway, upstream, bedrock, vertex, terminal):
    """Gateway-mode and Bedrock-mode variables in one shell: Bedrock mode wins, and this
    gateway does not publish the Bedrock model id Claude Code then asks for."""
    both = ("quickstart/06-connect-shell.sh", "bedrock/03-connect.sh",
            "bedrock/05-disable-experimental-betas.sh")
    with front_door.record(4000) as door:
        result = terminal.run(*both, "quickstart/07-first-request.sh")
    claude_failed_with(result, "Invalid model name passed in model=us.anthropic.claude-opus-5-5",
                       within_s=30)
    # Everything that reached the gateway's port, whatever its method: nothing on the
    # gateway-mode route, the Bedrock-form request there.
    assert not [r for r in door.requests if r.path.startswith("/v1/")], door.lines()
    assert "POST /bedrock/model/us.anthropic.claude-opus-5-5/invoke-with-response-stream" \
        in door.lines(), door.lines()
    assert "POST /bedrock/model/us.anthropic.claude-opus-5-5/invoke-with-response-stream" \
        in gateway.log()
    assert not upstream_messages(upstream) and not bedrock.received("POST")
    captures.check("multi-provider/both-modes.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))
    fixed = terminal.run(*both, "multi-provider/04-leave-bedrock-mode.sh",
                         "quickstart/07-first-request.sh")
    claude_replied(fixed, "pong")
