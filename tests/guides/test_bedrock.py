"""How-to: Claude Code in Bedrock mode through LiteLLM (docs/how-to/bedrock.md)."""

from __future__ import annotations

import subprocess

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.start import components
from tests.harness.wire import anthropic_wire, bedrock_wire, front_door

START = ("bedrock/02-start-gateway.sh",)
CONFIG = {"config.yaml": "bedrock/01-config.yaml"}
STREAM = "/model/us.anthropic.claude-opus-5-5/invoke-with-response-stream"


@pytest.fixture
def gateway(gateways, aws_gateway_env):
    return gateways.get(START, CONFIG, env=aws_gateway_env)


def bedrock_calls(bedrock):
    return bedrock.received("POST", r"^/model/")


@pytest.mark.parametrize("skip_auth", ["1", "true"])
def test_bedrock_mode_through_the_gateway(skip_auth, gateway, bedrock, terminal):
    steps = ["bedrock/03-connect.sh", "bedrock/05-disable-experimental-betas.sh",
             "bedrock/04-first-request.sh"]
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        if skip_auth == "1":
            result = terminal.run(*steps)
        else:  # the page says `true` works as well as `1`
            script = [f"source {snippet(s)}" for s in steps]
            script.insert(1, "export CLAUDE_CODE_SKIP_BEDROCK_AUTH=true")
            result = terminal.sh("\n".join(script))
    claude_replied(result, "pong")
    print("front door:", door.lines())
    # Claude Code presents the gateway key as a Bearer token and signs nothing itself: no
    # request of any method carries an AWS signature or AWS credential header.
    posts = [r for r in door.requests if r.method == "POST"]
    assert posts and all(r.header("authorization") == "Bearer sk-litellm-change-me"
                         for r in posts), door.lines()
    signed = ("x-amz-date", "x-amz-content-sha256", "x-amz-security-token")
    assert not [r for r in door.requests if "AWS4-HMAC-SHA256" in (r.header("authorization") or "")
                or any(r.header(h) for h in signed)], [(str(r), r.headers) for r in door.requests]
    (call,) = bedrock_calls(bedrock)
    assert call.path == STREAM
    assert call.json["anthropic_version"] == bedrock_wire.ANTHROPIC_VERSION
    assert "model" not in call.json, "Bedrock names the model in the path, not the body"
    # Signed by the gateway with its own AWS credentials, for the region in its config.
    signature = call.header("authorization")
    assert signature.startswith("AWS4-HMAC-SHA256 Credential=fake-access-key-id-for-tests-only/")
    assert "/us-east-1/bedrock/" in signature
    assert "sk-litellm-change-me" not in str(call.headers)
    assert b"sk-litellm-change-me" not in call.body
    # Claude Code asks for inference profiles first; LiteLLM refuses, Claude Code carries on.
    assert '"GET /bedrock/inference-profiles?type=SYSTEM_DEFINED HTTP/1.1" 401' in gateway.log()
    if skip_auth == "1":
        captures.check("bedrock/first-request.console", captures.console(
            snippet("bedrock/04-first-request.sh").read_text(), result.stdout))


def test_without_the_fix_betas_cost_many_requests(gateway, bedrock, terminal):
    """The beta-header trap: the provider refuses flags it does not know; Claude Code drops
    them one retry at a time, and the gateway tries each refused request three times."""
    start = len(gateway.log().splitlines())
    result = terminal.run("bedrock/03-connect.sh", "quickstart/11-debug-requests.sh")
    assert result.code == 0 and result.stdout.strip().endswith("pong"), result.output
    # What Claude Code did: refused attempts, each 400 and "not retryable", then one success.
    attempts = [line for line in result.stdout.splitlines()
                if "post http://localhost:4000/bedrock/v1/messages?beta=true" in line]
    refused = [line for line in attempts if "failed with status 400" in line]
    assert len(refused) == len(attempts) - 1 >= 2 and "succeeded with status 200" in \
        attempts[-1], result.output
    # What the gateway received: the same requests (its log), and what it sent on.
    received = [line for line in gateway.log().splitlines()[start:]
                if "POST /bedrock/model/" in line]
    assert len(received) == len(attempts) and received[-1].endswith("200 OK"), received
    calls = bedrock_calls(bedrock)
    upstream_refused = [c for c in calls if any(
        b not in bedrock_wire.SUPPORTED_BETAS for b in c.json["anthropic_beta"])]
    assert len(upstream_refused) == 3 * len(refused) and len(calls) == len(upstream_refused) + 1, \
        [c.json["anthropic_beta"] for c in calls]
    first, last = calls[0].json["anthropic_beta"], calls[-1].json["anthropic_beta"]
    assert set(last) < set(first), "Claude Code dropped flags until the provider accepted"
    captures.check("bedrock/betas-refused.console", captures.console(
        snippet("quickstart/11-debug-requests.sh").read_text(), result.stdout))
    captures.check("bedrock/betas-refused.txt", "\n".join(  # a summary of the stand-in's log
        [f"requests Claude Code sent: {len(attempts)} ({len(refused)} refused)",
         f"requests Bedrock received: {len(calls)} ({len(upstream_refused)} refused: "
         "invalid beta flag)",
         f"first request's anthropic_beta: {', '.join(first)}",
         f"accepted request's anthropic_beta: {', '.join(last)}"]))


def test_event_stream_frames_decode_with_botocore(bedrock):
    """The fake answers in real AWS event-stream frames: botocore (LiteLLM's own copy)
    decodes them back to the Anthropic events."""
    events = anthropic_wire.sse_events("claude-opus-5-5", "pong")
    frames = b"".join(bedrock_wire.chunk(data) for _, data in events)
    code = ("import sys, json, base64\n"
            "from botocore.eventstream import EventStreamBuffer\n"
            "buf = EventStreamBuffer(); buf.add_data(sys.stdin.buffer.read())\n"
            "for m in buf:\n"
            "    h = m.headers; p = json.loads(m.payload)\n"
            "    print(h[':event-type'], json.loads(base64.b64decode(p['bytes']))['type'])\n")
    out = subprocess.run([components.litellm_bin() / "python", "-c", code], input=frames,
                         capture_output=True, check=True).stdout.decode().split("\n")
    assert out[0] == "chunk message_start" and "chunk message_stop" in out, out


# -- When it fails: each provider-side failure with the symptom Claude Code shows --------

FAILURES = {  # name: (how the provider fails, what Claude Code then shows)
    "access-denied": (lambda b: b.fail(403, bedrock_wire.ACCESS_DENIED, times=20),
                      "API Error: 400 allm_passthrough_route: Invalid model name passed in "
                      "model=us.anthropic.claude-opus-5."),
    "throttled": (lambda b: b.fail(429, bedrock_wire.THROTTLED, times=20),
                  "API Error: Request rejected (429)"),
    "region-down": (lambda b: b.down_regions.add("us-east-1"), "API Error: 503"),
}


@pytest.mark.parametrize("name", FAILURES)
def test_provider_failure_symptoms(name, gateway, bedrock, terminal):
    fail, shown = FAILURES[name]
    fail(bedrock)
    result = terminal.run("bedrock/03-connect.sh", "bedrock/05-disable-experimental-betas.sh",
                          "bedrock/04-first-request.sh")
    claude_failed_with(result, shown, within_s=60)
    assert bedrock.received("POST", "^/model/"), "the refusal came from the provider"
    captures.check(f"bedrock/fails-{name}.console", captures.console(
        snippet("bedrock/04-first-request.sh").read_text(), result.output))


OLDER_OPUS = ["claude-opus-5", "claude-opus-5", "claude-opus-4-8", "claude-opus-4-7",
              "claude-opus-4-6-v1", "claude-opus-4-5-20251101-v1:0",
              "claude-opus-4-1-20250805-v1:0"]


def test_access_denied_sends_claude_code_down_older_models(gateway, bedrock, terminal):
    """Refused the model (403), Claude Code asks for older Opus models one after another;
    the gateway publishes none of them, so what it shows is the gateway's refusal of the
    first, and only the model you chose ever reached Bedrock."""
    bedrock.fail(403, bedrock_wire.ACCESS_DENIED, times=20)
    with front_door.record(4000) as door:  # every request Claude Code sent the gateway
        result = terminal.run("bedrock/03-connect.sh", "bedrock/05-disable-experimental-betas.sh",
                              "bedrock/04-first-request.sh")
    print("front door:", door.lines())
    claude_failed_with(result, FAILURES["access-denied"][1], within_s=60)
    models = [r.path.split("/model/us.anthropic.", 1)[1].rsplit("/", 1)[0]
              for r in door.requests if "/model/" in r.path]
    assert models == ["claude-opus-5-5"] + OLDER_OPUS, door.lines()
    assert all(r.method == "POST" for r in door.requests if "/model/" in r.path)
    reached = {r.path for r in bedrock.requests}
    assert reached == {"/model/us.anthropic.claude-opus-5-5/invoke-with-response-stream"}, \
        reached
    assert "403" not in result.output, result.output  # the cause never shows
    # The cause is in the gateway's access log, on the one model that reached Bedrock.
    assert ('"POST /bedrock/model/us.anthropic.claude-opus-5-5/invoke-with-response-stream '
            'HTTP/1.1" 403 Forbidden') in gateway.log()


def test_model_the_gateway_does_not_publish(gateway, bedrock, terminal):
    result = terminal.run("bedrock/03-connect.sh", "bedrock/05-disable-experimental-betas.sh",
                          "bedrock/06-other-model.sh")
    claude_failed_with(result, "Invalid model name passed in model=eu.anthropic.claude-opus-5-5",
                       within_s=30)
    assert not bedrock.received("POST"), "the gateway refused it; Bedrock never saw it"
    captures.check("bedrock/fails-unpublished-model.console", captures.console(
        snippet("bedrock/06-other-model.sh").read_text(), result.output))
