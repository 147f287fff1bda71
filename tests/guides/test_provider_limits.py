"""Troubleshooting: the Anthropic API's own rate limit behind the quickstart gateway
(docs/troubleshooting/index.md, "A provider's rate limit or quota"): what Claude Code shows
when the Anthropic API answers 429 to LiteLLM, and what reached the provider; and LiteLLM's
retries per error type (docs/how-to/routing.md, "Retries per error type")."""

from __future__ import annotations

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with
from tests.harness.wire import anthropic_wire, front_door

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
MESSAGES = r"^/v1/messages$"
# The Anthropic API's 429 body as Claude Code users report it (anthropics/claude-code#55132,
# continuedev/continue#10594); the organization id is a placeholder.
RATE_LIMIT_MESSAGE = (
    "This request would exceed your organization's rate limit of 30,000 input tokens per "
    "minute (org: 00000000-0000-0000-0000-000000000000, model: claude-opus-5-5). For details, "
    "refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers "
    "for current usage. Please reduce the prompt length or the maximum tokens requested, or "
    "try again later. You may also contact sales at https://claude.com/contact-sales to "
    "discuss your options for a rate limit increase.")


def test_anthropic_rate_limit_through_the_gateway(gateways, upstream, terminal):
    gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": upstream.url})
    upstream.fail(429, anthropic_wire.error_body(429, RATE_LIMIT_MESSAGE), retry_after="1",
                  times=100, path=MESSAGES)
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    claude_failed_with(result, "API Error: Request rejected (429) · ", within_s=60)
    assert "This request would exceed your organization's rate limit" in result.output
    sent = [r for r in door.requests if r.method == "POST"]
    reached = upstream.received("POST", MESSAGES)
    print("front door:", door.lines(), "reached the Anthropic API at",
          [round(r.at - reached[0].at, 1) for r in reached])
    # Claude Code retried the 429 (once: the terminal allows one retry), and every attempt went
    # on to the Anthropic API three times: the call and LiteLLM's two default retries; then
    # LiteLLM passed the 429 on.
    assert len(sent) == 2 and len(reached) == 3 * len(sent), (door.lines(), len(reached))
    captures.check("troubleshooting/anthropic-429.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))


# -- Retries per error type (docs/how-to/routing.md, "Retries per error type") ---------------

POLICY = {"config.yaml": "routing/06-retry-policy.yaml"}
SERVER_ERROR = anthropic_wire.error_body(500, "Internal server error")


@pytest.mark.parametrize("status, tries", [(429, 1), (500, 4)])
def test_retry_policy_sets_retries_per_error(status, tries, gateways, upstream, terminal):
    """retry_policy: no retry of a 429 (RateLimitErrorRetries: 0), three of a 500
    (InternalServerErrorRetries: 3), against LiteLLM's default of two for both (above)."""
    gateways.get(START, POLICY, env={"ANTHROPIC_API_BASE": upstream.url})
    body = anthropic_wire.error_body(429, RATE_LIMIT_MESSAGE) if status == 429 else SERVER_ERROR
    upstream.fail(status, body, times=100, path=MESSAGES)
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    assert result.code != 0, result.output
    sent = [r for r in door.requests if r.method == "POST"]
    reached = upstream.received("POST", MESSAGES)
    print(f"{status}: Claude Code sent {len(sent)}, the Anthropic API received {len(reached)}")
    assert sent and len(reached) == tries * len(sent), (door.lines(), len(reached))
