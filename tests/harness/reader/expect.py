"""The shared vocabulary guide tests are written in: a few words each, like "claude replied",
"upstream received", "claude failed with"."""

from __future__ import annotations

from tests.harness.reader.terminal import Result
from tests.harness.wire.provider_fake import ProviderFake, Request


def _show(result: Result) -> str:
    return f"exit {result.code} after {result.seconds:.1f}s\nstdout: {result.stdout}\n" \
           f"stderr: {result.stderr}"


def claude_replied(result: Result, text: str) -> None:
    assert result.code == 0 and result.stdout.strip() == text, \
        f"expected Claude Code to print {text!r}:\n{_show(result)}"


def claude_failed_with(result: Result, message: str, within_s: float = 60) -> None:
    assert result.code != 0 and message in result.output, \
        f"expected a failure showing {message!r}:\n{_show(result)}"
    assert result.seconds < within_s, f"failure took {result.seconds:.0f}s (bound: {within_s}s)"


def upstream_messages(provider: ProviderFake) -> list[Request]:
    """The Messages API calls the provider received, in order."""
    return provider.received("POST", r"/v1/messages$")


def upstream_models(provider: ProviderFake) -> list[str]:
    return [r.json["model"] for r in upstream_messages(provider)]
