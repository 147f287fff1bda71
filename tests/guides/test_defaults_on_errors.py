"""What a reader with Claude Code's default retries sees when the gateway keeps refusing: how
many requests, how long until the message. The guides' failure captures are made with bounded
retries (terminal.FAST_FAILURE) so they take seconds; the pages that show them (Bedrock, the
field failures, the gateway protocol) state these measurements instead.

Each scenario runs once, in the background (harness/background.py): its own provider fake on
an ephemeral port answers every inference request with the status a gateway passes on, with
no Retry-After (LiteLLM's pass-through sets none), and a terminal with the defaults sends
one request. In Bedrock mode Claude Code is pointed straight at a Bedrock-shaped fake, the
address the gateway's `/bedrock` route stands at."""

from __future__ import annotations

from tests.harness import background
from tests.harness.reader.expect import claude_failed_with
from tests.harness.reader.terminal import Terminal
from tests.harness.wire import anthropic_wire, bedrock_wire
from tests.harness.wire.provider_fake import serving

FIRST_REQUEST = "quickstart/07-first-request.sh"
MESSAGES = r"^/v1/messages$"
INVOKE = r"^/model/"
KEY = "sk-litellm-change-me"
INVALID_BETA = ('litellm.BadRequestError: BedrockException - {"message": "invalid beta flag"}'
                "\n\nLiteLLM: model group 'claude-opus-5-5' failed with the error above. "
                "No fallback was attempted.")


def attempts(fake, path: str) -> list[float]:
    """When each inference request arrived, in seconds after the first."""
    times = [r.at for r in fake.received("POST", path)]
    return [round(t - times[0], 1) for t in times]


def anthropic_mode(workdir, status: int, message: str | None = None):
    with serving(anthropic_wire.install) as fake:
        fake.fail(status, anthropic_wire.error_body(status, message or f"gateway says {status}"),
                  times=1000, path=MESSAGES)
        t = Terminal(workdir, defaults=True)
        t.env.update(ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_AUTH_TOKEN=KEY)
        return t.run(FIRST_REQUEST, timeout=600), attempts(fake, MESSAGES)


def bedrock_mode(workdir, status: int, body: dict):
    with serving(bedrock_wire.install) as fake:
        fake.fail(status, body, times=1000, path=INVOKE)
        t = Terminal(workdir, defaults=True)
        t.env.update(CLAUDE_CODE_USE_BEDROCK="1", ANTHROPIC_BEDROCK_BASE_URL=fake.url,
                     CLAUDE_CODE_SKIP_BEDROCK_AUTH="1", AWS_REGION="us-east-1",
                     ANTHROPIC_AUTH_TOKEN=KEY, CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS="1")
        return t.run("bedrock/04-first-request.sh", timeout=600), attempts(fake, INVOKE)


@background.scenario
def gateway_keeps_answering_503(workdir):
    return anthropic_mode(workdir, 503)


@background.scenario
def gateway_keeps_answering_429(workdir):
    return anthropic_mode(workdir, 429)


@background.scenario
def gateway_keeps_answering_400(workdir):
    """What LiteLLM passes on when Bedrock refuses a beta flag (field-failures-betas)."""
    return anthropic_mode(workdir, 400, INVALID_BETA)


@background.scenario
def gateway_keeps_answering_403(workdir):
    return anthropic_mode(workdir, 403)


@background.scenario
def gateway_keeps_answering_504(workdir):
    return anthropic_mode(workdir, 504)


@background.scenario
def gateway_keeps_answering_404(workdir):
    return anthropic_mode(workdir, 404)


@background.scenario
def bedrock_keeps_answering_503(workdir):
    return bedrock_mode(workdir, 503, {"message": "Service unavailable"})


@background.scenario
def bedrock_keeps_answering_429(workdir):
    return bedrock_mode(workdir, 429, bedrock_wire.THROTTLED)


def ten_retries(result, at: list[float], message: str) -> None:
    """The first request and Claude Code's 10 retries, with pauses that grow, before the
    message; two to five minutes in all."""
    claude_failed_with(result, message, within_s=400)
    assert len(at) == 11, at
    gaps = [b - a for a, b in zip(at, at[1:])]
    assert gaps[-1] > 4 * min(gaps) and 25 <= max(gaps) <= 45, gaps
    assert 120 <= result.seconds <= 300, (result.seconds, at)


@background.joins(gateway_keeps_answering_503)
def test_with_defaults_a_503_shows_after_ten_retries():
    ten_retries(*background.join(gateway_keeps_answering_503), "API Error: 503 gateway says 503")


@background.joins(gateway_keeps_answering_429)
def test_with_defaults_a_429_without_retry_after_shows_after_ten_retries():
    ten_retries(*background.join(gateway_keeps_answering_429),
                "API Error: Request rejected (429) · gateway says 429")


@background.joins(gateway_keeps_answering_404)
def test_with_defaults_a_404_is_asked_twice():
    """The /v1 at the end of a base URL: a 404, which Claude Code reports as a model
    problem after one more request, whatever its retries allow (2 with one retry too)."""
    result, at = background.join(gateway_keeps_answering_404)
    claude_failed_with(result, "There's an issue with the selected model", within_s=60)
    assert len(at) == 2 and at[1] < 10, at


@background.joins(bedrock_keeps_answering_503)
def test_with_defaults_bedrock_mode_503_shows_after_ten_retries():
    ten_retries(*background.join(bedrock_keeps_answering_503), "API Error: 503")


@background.joins(bedrock_keeps_answering_429)
def test_with_defaults_bedrock_mode_429_shows_after_ten_retries():
    ten_retries(*background.join(bedrock_keeps_answering_429), "API Error: Request rejected (429)")


@background.joins(gateway_keeps_answering_400)
def test_with_defaults_a_400_invalid_beta_flag_is_asked_six_times_in_seconds():
    """Six requests a few seconds apart at most, as with one retry allowed: Claude Code's
    retries of a 400 do not depend on CLAUDE_CODE_MAX_RETRIES."""
    result, at = background.join(gateway_keeps_answering_400)
    claude_failed_with(result, "invalid beta flag", within_s=60)
    assert len(at) == 6 and at[-1] < 20, at


@background.joins(gateway_keeps_answering_403)
def test_with_defaults_a_403_shows_at_once():
    result, at = background.join(gateway_keeps_answering_403)
    claude_failed_with(result, "API Error: 403 gateway says 403", within_s=60)
    assert len(at) == 1, at


@background.joins(gateway_keeps_answering_504)
def test_with_defaults_a_504_shows_after_ten_retries():
    ten_retries(*background.join(gateway_keeps_answering_504), "API Error: 504")
