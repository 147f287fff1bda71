"""Field failures: prompt caching through LiteLLM (docs/how-to/field-failures-caching.md).
The provider stand-in reports cache usage the way the Messages API does, per API key (one
key = one deployment), so a test can see cache hits drop when a gateway spreads requests."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.harness.proof import captures
from tests.harness.reader.expect import upstream_messages
from tests.harness.wire import anthropic_wire

START = ("field-caching/03-start-gateway.sh",)
SPREAD = {"config.yaml": "field-caching/01-two-deployments.yaml"}
CACHE_AWARE = {"config.yaml": "field-caching/02-two-deployments-cache-aware.yaml"}
PROMPTS = 10


@pytest.fixture
def caching_upstream(upstream):
    anthropic_wire.report_cache_usage(upstream)
    yield upstream


def _run(gateways, config, provider, terminal):
    gateways.get(START, config, env={"ANTHROPIC_API_BASE": provider.url})
    usages = []
    for _ in range(PROMPTS):
        r = terminal.run("field-caching/04-connect.sh", "field-caching/05-ask-with-usage.sh")
        assert r.code == 0, r.output
        usages.append(json.loads(r.stdout)["usage"])
    calls = upstream_messages(provider)
    keys = Counter(c.header("x-api-key") for c in calls)
    return usages, calls, keys


def _summary(usages, keys) -> str:
    writes = sum(1 for u in usages if u.get("cache_creation_input_tokens"))
    reads = sum(1 for u in usages if u.get("cache_read_input_tokens"))
    return (f"prompts: {len(usages)} (one claude -p each, one after another)\n"
            f"deployments that received them: {len(keys)}\n"
            f"prompts that wrote the cache (cache_creation_input_tokens > 0): {writes}\n"
            f"prompts that read it (cache_read_input_tokens > 0): {reads}\n")


def test_load_balancing_writes_a_cache_per_deployment(gateways, caching_upstream, terminal):
    usages, calls, keys = _run(gateways, SPREAD, caching_upstream, terminal)
    # cache_control reaches the provider through LiteLLM, and cache usage comes back to
    # Claude Code (its JSON output), so the gateway breaks neither.
    assert all(any("cache_control" in b for b in c.json["system"]) for c in calls)
    assert any(u["cache_read_input_tokens"] > 0 for u in usages)
    assert len(keys) == 2, f"shuffle sent all {PROMPTS} prompts to one deployment: rerun"
    writes = [u for u in usages if u["cache_creation_input_tokens"]]
    assert len(writes) == 2, "one cache write per deployment"
    captures.check("field-caching/spread-summary.txt", _summary(usages, keys))


def test_prompt_caching_check_keeps_the_cached_deployment(gateways, caching_upstream, terminal):
    usages, calls, keys = _run(gateways, CACHE_AWARE, caching_upstream, terminal)
    assert len(keys) == 1, f"prompts went to {len(keys)} deployments: {keys}"
    captures.check("field-caching/cache-aware-summary.txt", _summary(usages, keys))


def test_usage_shows_cache_tokens(gateways, caching_upstream, terminal):
    """What a developer can look at: the usage block of --output-format json."""
    gateways.get(START, CACHE_AWARE, env={"ANTHROPIC_API_BASE": caching_upstream.url})
    first = terminal.run("field-caching/04-connect.sh", "field-caching/05-ask-with-usage.sh")
    second = terminal.run("field-caching/04-connect.sh", "field-caching/05-ask-with-usage.sh")
    keep = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    shown = [{k: json.loads(r.stdout)["usage"][k] for k in keep} for r in (first, second)]
    assert shown[0]["cache_creation_input_tokens"] > 0 and shown[1]["cache_read_input_tokens"] > 0
    # Counts depend on the size of Claude Code's prompt (which includes the project path):
    # the capture shows which are zero and which are not.
    def sign(usage):
        return ", ".join(f"{k}: {'0' if not v else '> 0'}" for k, v in usage.items())
    captures.check("field-caching/usage.txt",
                   f"first prompt:  {sign(shown[0])}\nsecond prompt: {sign(shown[1])}\n")
