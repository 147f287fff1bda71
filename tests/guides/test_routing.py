"""How-to: routing and resilience across regions and providers (docs/how-to/routing.md)."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied
from tests.harness.start import components
from tests.harness.wire import bedrock_wire, front_door

START = ("vertex/04-service-account.sh", "multi-provider/02-start-gateway.sh")
STRATEGIES = {
    "routing/01-multi-region.yaml": "simple-shuffle",
    "routing/02-least-busy.yaml": "least-busy",
    "routing/03-usage-based.yaml": "usage-based-routing-v2",
    "routing/04-latency-based.yaml": "latency-based-routing",
    "routing/05-circular-fallback.yaml": "simple-shuffle",
}

# LiteLLM's own config loader (the one `litellm --config` runs), for several files in one
# process: each file builds its Router, or the error it raises is reported.
LOAD = """
import asyncio, json, sys
from litellm.proxy.proxy_server import ProxyConfig

async def main():
    for path in sys.argv[1:]:
        try:
            router, _, _ = await ProxyConfig().load_config(router=None, config_file_path=path)
            print(json.dumps({"path": path, "strategy": router.routing_strategy,
                              "fallbacks": router.fallbacks}))
        except Exception as e:
            print(json.dumps({"path": path, "error": str(e)}))
asyncio.run(main())
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    files = [str(snippet(rel)) for rel in STRATEGIES]
    typo = tmp_path_factory.mktemp("typo") / "config.yaml"
    typo.write_text(snippet("routing/02-least-busy.yaml").read_text().replace(
        "least-busy", "least-busy-routing"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(typo.parent), "LITELLM_LOCAL_MODEL_COST_MAP":
           "True", "GATEWAY_MASTER_KEY": "sk-litellm-change-me", "VERTEX_PROJECT": "p",
           "VERTEX_LOCATION": "us-east5", "VERTEX_API_BASE": "http://127.0.0.1:9"}
    out = subprocess.run([components.litellm_bin() / "python", "-c", LOAD, *files, str(typo)],
                         capture_output=True, text=True, env=env, timeout=180).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith('{"path"')]
    results = {r["path"]: r for r in lines}
    results["typo"] = results.pop(str(typo), {})
    return results


@pytest.mark.parametrize("rel", STRATEGIES)
def test_pinned_litellm_loads_each_routing_config(rel, loaded):
    result = loaded[str(snippet(rel))]
    assert result.get("strategy") == STRATEGIES[rel], result


def test_a_misspelt_strategy_is_refused(loaded):
    typo = loaded["typo"]
    assert "Invalid routing_strategy: 'least-busy-routing'" in typo.get("error", ""), typo


def test_circular_fallbacks_load_without_complaint(loaded):
    result = loaded[str(snippet("routing/05-circular-fallback.yaml"))]
    assert result["fallbacks"] == [{"claude-opus-5-5": ["claude-opus-5-5-vertex"]},
                                   {"claude-opus-5-5-vertex": ["claude-opus-5-5"]}]


@pytest.fixture
def gateway(gateways, provider, aws_gateway_env, google_gateway_env):
    return gateways.get(START, {"config.yaml": "routing/01-multi-region.yaml"}, env={
        "ANTHROPIC_API_BASE": provider.url, **aws_gateway_env, **google_gateway_env})


def regions(bedrock):
    return [bedrock_wire.signed_region(r) for r in bedrock.received("POST", "^/model/")]


def test_a_region_down_claude_code_never_notices(gateway, bedrock, vertex, terminal):
    """us-east-1 answers 503 to everything; every prompt still gets its answer. Which
    deployment a retry lands on is random (simple-shuffle), so the test checks outcomes,
    not counts: the answers came from us-west-2 or, when a request's retries all drew
    us-east-1, from the Vertex AI fallback."""
    bedrock.down_regions.add("us-east-1")
    with front_door.record(4000) as door:
        for _ in range(3):
            result = terminal.run("quickstart/06-connect-shell.sh",
                                  "bedrock/05-disable-experimental-betas.sh",
                                  "quickstart/07-first-request.sh")
            claude_replied(result, "pong")
    # Claude Code never noticed: one Messages request per prompt at the gateway's door, no
    # retry of its own (a retried error would show as a second POST).
    posts = [r for r in door.requests if r.method == "POST"]
    assert [r.path.split("?")[0] for r in posts] == ["/v1/messages"] * 3, door.lines()
    seen = regions(bedrock)
    answered = seen.count("us-west-2") + len(vertex.received("POST", "Predict$"))
    assert answered == 3 and set(seen) <= {"us-east-1", "us-west-2"}, seen


def test_both_regions_down_falls_back_to_vertex(gateway, bedrock, vertex, terminal):
    bedrock.down_regions.update({"us-east-1", "us-west-2"})
    result = terminal.run("quickstart/06-connect-shell.sh",
                          "bedrock/05-disable-experimental-betas.sh",
                          "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    assert len(vertex.received("POST", "Predict$")) == 1


def test_throttled_in_both_regions_falls_back_to_vertex(gateways, provider, aws_gateway_env,
                                                       google_gateway_env, bedrock, vertex,
                                                       terminal):
    """Bedrock answers 429 (ThrottlingException) in both regions: LiteLLM retries, then
    follows the fallback, and Claude Code gets its answer from Vertex AI."""
    # A fresh router: the test before this one leaves both regions resting, and a request
    # would then go to the fallback without any 429.
    gateways.get(START, {"config.yaml": "routing/01-multi-region.yaml"}, env={
        "ANTHROPIC_API_BASE": provider.url, **aws_gateway_env, **google_gateway_env},
        restart=True)
    bedrock.fail(429, bedrock_wire.THROTTLED, times=100, path="^/model/")
    with front_door.record(4000) as door:
        result = terminal.run("quickstart/06-connect-shell.sh",
                              "bedrock/05-disable-experimental-betas.sh",
                              "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    # Claude Code never saw the 429: one Messages request at the gateway's door, no retry.
    posts = [r for r in door.requests if r.method == "POST"]
    assert [r.path.split("?")[0] for r in posts] == ["/v1/messages"], door.lines()
    # Bedrock was tried first (the call and its retries, each answered 429), then Vertex AI.
    seen = regions(bedrock)
    print("Bedrock attempts:", " ".join(seen))
    assert 2 <= len(seen) <= 3 and set(seen) <= {"us-east-1", "us-west-2"}, seen
    assert len(vertex.received("POST", "Predict$")) == 1


# -- Every routing config serves, and what the page says each setting does ----------------

def gateway_on(gateways, rel, provider, aws_gateway_env, google_gateway_env):
    """The gateway on one routing file, with the environment the other guides give it (the
    same pool key as tests/test_published_configs.py, so the two share one start)."""
    return gateways.get(START, {"config.yaml": rel}, env={
        "ANTHROPIC_API_BASE": provider.url, **aws_gateway_env, **google_gateway_env})


def ask(gw, model="claude-opus-5-5", timeout=60) -> int:
    """One Messages request as Claude Code makes it (streamed), straight to the gateway."""
    body = json.dumps({"model": model, "max_tokens": 16, "stream": True,
                       "messages": [{"role": "user", "content": "Reply with the word pong"}]})
    request = urllib.request.Request(gw.url + "/v1/messages", body.encode(), {
        "content-type": "application/json", "authorization": "Bearer sk-litellm-change-me",
        "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.parametrize("rel", [r for r in STRATEGIES if r != "routing/01-multi-region.yaml"])
def test_each_routing_config_serves_claude_code(rel, gateways, provider, aws_gateway_env,
                                                google_gateway_env, bedrock, terminal):
    gateway_on(gateways, rel, provider, aws_gateway_env, google_gateway_env)
    result = terminal.run("quickstart/06-connect-shell.sh",
                          "bedrock/05-disable-experimental-betas.sh",
                          "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    assert len(regions(bedrock)) == 1, "one request, one Bedrock deployment"


def test_circular_fallback_one_hop_each_then_an_error(gateways, provider, aws_gateway_env,
                                                      google_gateway_env, bedrock, vertex):
    gw = gateway_on(gateways, "routing/05-circular-fallback.yaml", provider, aws_gateway_env,
                    google_gateway_env)
    startup = gw.log()
    bedrock.down_regions.add("us-east-1")
    vertex.fail(503, times=100)  # the fallback fails as well (its token endpoint included)
    assert ask(gw) == 503
    # One hop each: Bedrock's three attempts (the call and LiteLLM's two default retries),
    # then Vertex AI's; the chain back to claude-opus-5-5 is not followed (that would be
    # three more Bedrock attempts).
    assert len(regions(bedrock)) == 3 and vertex.received(), regions(bedrock)
    # Every line of the log, at any level: none names the cycle; no warning names a fallback.
    warnings = [line for line in (startup + gw.log()).splitlines()
                if re.search(r"(?i)\bcycl|circular", line)
                or (re.search(r"(?i)warn", line) and re.search(r"(?i)fallback|loop", line))]
    assert not warnings, warnings


def test_allowed_fails_rests_a_failing_region(gateways, provider, aws_gateway_env,
                                              google_gateway_env, bedrock, vertex):
    # A fresh router: one that a test before this one saw failing in us-east-1 still rests
    # it (cooldown_time, 30 s), and this test would never see the first failures.
    gw = gateways.get(START, {"config.yaml": "routing/01-multi-region.yaml"}, env={
        "ANTHROPIC_API_BASE": provider.url, **aws_gateway_env, **google_gateway_env},
        restart=True)
    bedrock.down_regions.add("us-east-1")
    started = time.monotonic()

    def rested(seen):  # us-east-1 failed twice, then none of the last six attempts drew it
        east = [i for i, region in enumerate(seen) if region == "us-east-1"]
        return len(east) >= 2 and east[-1] < len(seen) - 6

    # Twelve requests, and more (up to 24) until the rest shows: random routing can draw
    # us-east-1 late, so its failures, and the rest after them, can come late too (a CI run
    # drew it at attempts 5 and 9 of 14, and the rest left five attempts to see it).
    statuses = []
    while len(statuses) < 12 or (len(statuses) < 24 and not rested(regions(bedrock))):
        statuses.append(ask(gw))
    windows = 1 + int((time.monotonic() - started) // 30)  # cooldown_time: 30 s
    seen = regions(bedrock)
    # allowed_fails: 1 rests us-east-1 after its first failures for cooldown_time, 30 s:
    # later requests go to us-west-2. The rest is set as a failure is handled, so a request
    # already retrying (num_retries: 2, three attempts) or the next one can still draw
    # us-east-1: at most two requests' attempts, six, per rest (two to four in the runs
    # measured here). A request whose call and both retries drew us-east-1 is answered by
    # the Vertex AI fallback; every other answer comes from us-west-2. Without the rest,
    # random routing would draw us-east-1 for about half of the requests and keep doing so
    # to the end, and the loop would run to 24.
    east = [i for i, region in enumerate(seen) if region == "us-east-1"]
    assert statuses == [200] * len(statuses) and 1 <= len(east) <= 6 * windows, " ".join(seen)
    if windows == 1:  # one rest covered the run: after the first attempts, none
        assert rested(seen), " ".join(seen)
    fallbacks = len(vertex.received("POST", "Predict$"))
    assert seen.count("us-west-2") + fallbacks == len(statuses), (" ".join(seen), fallbacks)
    assert fallbacks <= len(east) // 3, (" ".join(seen), fallbacks)


def test_usage_based_routing_limits_claude_code(gateways, provider, tmp_path):
    """What the validator advises for per-model rpm: usage-based-routing-v2 counts it on
    /v1/messages. Counted twice per request (before and after the call), rpm: 2 lets one
    request through in a minute; the next one is held back, not answered."""
    text = snippet("enterprise/20-litellm-rate-limit.yaml").read_text()
    assert "  enable_pre_call_checks: true\n" in text
    config = tmp_path / "config.yaml"
    config.write_text(text.replace("  enable_pre_call_checks: true\n",
                                   "  routing_strategy: usage-based-routing-v2\n"))
    gw = gateways.get(("quickstart/03-start-gateway.sh",), {"config.yaml": config},
                      env={"ANTHROPIC_API_BASE": provider.url})
    provider.reset()
    assert ask(gw) == 200
    with pytest.raises(TimeoutError):
        ask(gw, timeout=5)
    assert len(provider.received("POST", "/v1/messages$")) == 1
    gateways.free_port(gw.port)  # its held request and counters go with it


POLL_S = 0.5  # between requests while waiting for the rest to end


def test_cooldown_time_rests_a_region_then_it_is_tried_again(gateways, provider,
                                                             aws_gateway_env,
                                                             google_gateway_env, bedrock):
    """cooldown_time measured: us-east-1 fails until it rests, comes back, and gets its next
    request cooldown_time after its last failure, not sooner (one bounded poll, no sleep)."""
    cooldown = yaml.safe_load(snippet("routing/01-multi-region.yaml").read_text())[
        "router_settings"]["cooldown_time"]
    gw = gateways.get(START, {"config.yaml": "routing/01-multi-region.yaml"}, env={
        "ANTHROPIC_API_BASE": provider.url, **aws_gateway_env, **google_gateway_env},
        restart=True)
    bedrock.down_regions.add("us-east-1")

    def east():
        return [r for r in bedrock.received("POST", "^/model/")
                if bedrock_wire.signed_region(r) == "us-east-1"]

    def rested(seen):  # us-east-1 failed twice, then none of the last six attempts drew it
        at = [i for i, region in enumerate(seen) if region == "us-east-1"]
        return len(at) >= 2 and at[-1] < len(seen) - 6

    statuses = []
    while len(statuses) < 24 and not rested(regions(bedrock)):
        statuses.append(ask(gw))
    assert rested(regions(bedrock)), " ".join(regions(bedrock))
    failures = len(east())
    last_failure = east()[-1].at
    bedrock.down_regions.discard("us-east-1")  # the region is back
    # Ask until us-east-1 receives a request again; random routing draws it for about half of
    # the requests once it is no longer resting. Bounded: cooldown_time and 15 s more.
    deadline = last_failure + cooldown + 15
    while len(east()) == failures and time.monotonic() < deadline:
        statuses.append(ask(gw))
        time.sleep(POLL_S)  # the poll's interval, not a wait for the rest
    assert len(east()) > failures, f"us-east-1 got no request within {cooldown + 15} s"
    rest = east()[failures].at - last_failure
    print(f"us-east-1 rested {rest:.1f} s (cooldown_time: {cooldown} s), "
          f"{failures} failures first, {len(statuses)} requests")
    # Not before cooldown_time (LiteLLM starts the rest as it handles the failure, after the
    # failure arrived here), and soon after it: the next requests draw us-east-1 again.
    assert cooldown <= rest <= cooldown + 10, rest
    assert statuses == [200] * len(statuses), statuses
