"""How-to: connect Claude Code to an enterprise gateway (docs/how-to/enterprise-gateway.md),
and the custom nginx gateway it publishes. Real Claude Code, real LiteLLM, real nginx; the
provider fake records what reaches the upstream."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.harness import background
from tests.harness.project import CLAUDE_CODE_VERSION
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.reader.terminal import Terminal
from tests.harness.start import nginx
from tests.harness.wire import anthropic_wire, front_door
from tests.harness.wire.provider_fake import serving

LITELLM_START = ("quickstart/03-start-gateway.sh",)
LITELLM_CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
RATE_LIMITED_CONFIG = {"config.yaml": "enterprise/20-litellm-rate-limit.yaml"}
NGINX_START = ("enterprise/12-start-gateway.sh",)
NGINX_TEMPLATE = "enterprise/10-gateway.conf.template"
NGINX_FILES = {"gateway.conf.template": NGINX_TEMPLATE,
               "developers.map": "enterprise/11-developers.map"}
FIRST_REQUEST = "quickstart/07-first-request.sh"
ALICE = "sk-gw-alice-change-me"  # a developer token in 11-developers.map
MASTER_KEY = "sk-litellm-change-me"  # LiteLLM's key, exported by 12-start-gateway.sh
PROVIDER_KEY = "sk-ant-your-anthropic-key"  # the key LiteLLM presents upstream


@pytest.fixture
def litellm(gateways, provider):
    """The quickstart's LiteLLM on localhost:4000, shared with the quickstart's tests."""
    return gateways.get(LITELLM_START, LITELLM_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


def start_nginx(files=None):
    return nginx.start(NGINX_START, files or NGINX_FILES)


@pytest.fixture
def custom_gateway(litellm):
    """The published nginx gateway on localhost:8080 in front of that LiteLLM. Started per
    test (it takes milliseconds), so each test begins with empty rate-limit counters."""
    gw = start_nginx()
    yield gw
    gw.stop()


def broken(tmp_path, drop: str):
    """The published gateway config with one line removed: a variant teams really ship."""
    text = snippet(NGINX_TEMPLATE).read_text()
    kept = [line for line in text.splitlines(True) if line.strip() != drop]
    assert len(kept) == len(text.splitlines()) - 1, f"the published config has no {drop!r}"
    path = tmp_path / "gateway.conf.template"
    path.write_text("".join(kept))
    return start_nginx({**NGINX_FILES, "gateway.conf.template": path})


def direct(terminal, upstream):
    """Point Claude Code straight at the recorder, to see what it puts on the wire."""
    terminal.env["ANTHROPIC_BASE_URL"] = upstream.url


def console(result, command: str = FIRST_REQUEST) -> str:
    return captures.console(snippet(command).read_text(), result.output)


# -- What each authentication choice puts on the wire ------------------------------------

def test_auth_token_is_sent_as_bearer(upstream, terminal):
    direct(terminal, upstream)
    claude_replied(terminal.run("enterprise/01-auth-token.sh", FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("authorization") == f"Bearer {ALICE}"
    assert call.header("x-api-key") is None


def test_api_key_is_sent_as_x_api_key(upstream, terminal):
    direct(terminal, upstream)
    claude_replied(terminal.run("enterprise/02-auth-api-key.sh", FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("x-api-key") == ALICE
    assert call.header("authorization") is None


def test_both_set_sends_both(upstream, terminal):
    direct(terminal, upstream)
    result = terminal.run("enterprise/01-auth-token.sh", "enterprise/02-auth-api-key.sh",
                          FIRST_REQUEST)
    claude_replied(result, "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("authorization") == f"Bearer {ALICE}"
    assert call.header("x-api-key") == ALICE


def test_custom_headers_one_per_line(upstream, terminal):
    """Each custom header on the model request; the start-up connection check, the other
    request at the door, carries none of them (nor the credential)."""
    direct(terminal, upstream)
    with front_door.record(upstream.port) as door:
        claude_replied(terminal.run("enterprise/03-custom-headers.sh", FIRST_REQUEST), "pong")
    assert door.lines() == ["HEAD /api/hello", "POST /v1/messages?beta=true"]
    check = door.requests[0]
    for name in ("x-gateway-key", "x-team", "authorization", "x-api-key"):
        assert check.header(name) is None, f"the connection check carried {name}"
    (call,) = upstream_messages(upstream)
    assert call.header("x-gateway-key") == ALICE
    assert call.header("x-team") == "platform"
    assert call.header("authorization") == f"Bearer {ALICE}"


def test_custom_headers_do_not_replace_the_credential(upstream, terminal):
    """A custom header alone: Claude Code sends no model request. Everything that reaches
    the address it was given is the connection check."""
    direct(terminal, upstream)
    terminal.env["ANTHROPIC_CUSTOM_HEADERS"] = f"X-Gateway-Key: {ALICE}"
    with front_door.record(upstream.port) as door:
        result = terminal.run(FIRST_REQUEST)
        time.sleep(2)  # anything sent as Claude Code exits still arrives
    claude_failed_with(result, "Not logged in · Please run /login", within_s=15)
    assert door.lines() == ["HEAD /api/hello"]  # every request the address was sent
    (check,) = door.requests
    for name in ("authorization", "x-api-key", "x-gateway-key"):
        assert check.header(name) is None, f"the connection check carried {name}"


class TokenAgent:
    """Stands in for the reader's SSO agent behind the token file the helper reads: each
    read of the file (a FIFO) hands out the next token, so every helper run is counted."""

    def __init__(self, path, tokens: list):
        """`tokens`: strings, or callables that make one when the helper runs."""
        self.path, self.tokens, self.handed, self.at = path, tokens, [], []
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        for i in range(50):
            token = self.tokens[min(i, len(self.tokens) - 1)]
            with open(self.path, "w") as f:  # blocks until the helper opens the file
                token = token() if callable(token) else token
                f.write(token + "\n")
            self.handed.append(token)
            self.at.append(time.monotonic())
            time.sleep(0.2)  # let the reader see end-of-file before the next open


def install_helper_script(terminal) -> Path:
    """The page's helper, where the page puts it; returns the token file it reads."""
    terminal.settings("user", "enterprise/04-api-key-helper.json")
    terminal.place("enterprise/05-gateway-token.sh",
                   terminal.home / ".claude" / "gateway-token.sh")
    token = terminal.home / ".config" / "llm-gateway" / "token"
    token.parent.mkdir(parents=True, exist_ok=True)
    return token


def install_helper(terminal, tokens: list[str]) -> TokenAgent:
    """The helper, fed one token per run by an agent that records what it handed out."""
    return TokenAgent(install_helper_script(terminal), tokens)


def test_api_key_helper_token_is_sent(upstream, terminal):
    direct(terminal, upstream)
    agent = install_helper(terminal, ["sk-gw-short-lived-1"])
    claude_replied(terminal.run(FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("authorization") == "Bearer sk-gw-short-lived-1"
    assert call.header("x-api-key") == "sk-gw-short-lived-1"
    assert agent.handed == ["sk-gw-short-lived-1"], "one helper run for one request"


def test_api_key_helper_must_print_one_line(upstream, terminal):
    direct(terminal, upstream)
    install_helper_script(terminal).write_text("token: sk-gw-alice-change-me\nexpires: tomorrow\n")
    result = terminal.run(FIRST_REQUEST)
    assert "apiKeyHelper failed: returned output that cannot be used as an API key: it " \
        "contains a line break" in result.output, result.output


def test_api_key_helper_runs_again_on_401(custom_gateway, upstream, terminal):
    """The gateway refuses an expired token; Claude Code runs the helper again at once and
    retries with the fresh token, without the developer noticing."""
    terminal.env["ANTHROPIC_BASE_URL"] = "http://localhost:8080"  # the page's; no token set
    agent = install_helper(terminal, ["sk-gw-expired", ALICE])
    result = terminal.run(FIRST_REQUEST)
    claude_replied(result, "pong")
    assert agent.handed[:2] == ["sk-gw-expired", ALICE], agent.handed
    assert len(upstream_messages(upstream)) == 1
    access = (custom_gateway.workdir / "gateway-access.log").read_text()
    assert re.findall(r'"POST /v1/messages\?beta=true HTTP/1.1" (\d+)', access) == \
        ["401", "200"], access


@pytest.mark.parametrize("ttl_ms", ["2000", None])
def test_api_key_helper_ttl_refreshes_during_a_session(ttl_ms, upstream, terminal):
    """In a long interactive session, CLAUDE_CODE_API_KEY_HELPER_TTL_MS makes Claude Code
    run the helper again once the TTL has passed: in the background, so the first request
    after expiry still carries the old token and the next one the new token. Without the
    variable the session keeps its first token."""
    direct(terminal, upstream)
    if ttl_ms:
        terminal.env["CLAUDE_CODE_API_KEY_HELPER_TTL_MS"] = ttl_ms
    token = install_helper_script(terminal)
    token.write_text("sk-gw-first\n")
    terminal.seed_first_run()
    seen = []  # the tokens each prompt's requests carried
    with terminal.session("quickstart/09-status.sh", timeout=90) as session:
        # Replies that the typed prompts do not contain: the screen shows the prompt first.
        for prompt, reply in (("Reply please", "first answer"),
                              ("Reply again", "second answer"),
                              ("Reply once more", "third answer")):
            upstream.requests.clear()
            upstream.reply_text = reply
            session.type(prompt, reply)
            time.sleep(1)  # let the session's follow-up requests (e.g. its title) finish
            seen.append({r.header("authorization") for r in upstream_messages(upstream)})
            if reply == "first answer":
                token.write_text("sk-gw-second\n")  # the token rotates...
                time.sleep(3)  # ...and the TTL passes
    first, second = {"Bearer sk-gw-first"}, {"Bearer sk-gw-second"}
    assert seen == ([first, first, second] if ttl_ms else [first, first, first]), seen


# -- What the gateway must forward, asserted at the upstream -------------------------------

def cli_headers(terminal, upstream) -> dict[str, str]:
    """What Claude Code itself sends (straight to the recorder)."""
    saved = dict(terminal.env)
    direct(terminal, upstream)
    claude_replied(terminal.run("enterprise/01-auth-token.sh", FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    upstream.reset()
    terminal.env = saved
    return call.headers


def betas(header: str | None) -> set[str]:
    # A comma-separated list; LiteLLM 1.106.2 sorts it, which the API does not mind.
    return {b.strip() for b in (header or "").split(",") if b.strip()}


def assert_forwarded(sent: dict[str, str], arrived) -> None:
    """The gateway criteria on the upstream side: the API version, the full beta list, and
    a streamed request."""
    assert arrived.header("anthropic-version") == sent["anthropic-version"] == "2023-06-01"
    assert betas(arrived.header("anthropic-beta")) == betas(sent["anthropic-beta"]), \
        f"anthropic-beta lost or changed: sent {sent['anthropic-beta']!r}, " \
        f"upstream got {arrived.header('anthropic-beta')!r}"
    assert arrived.json["stream"] is True


def test_litellm_forwards_what_claude_code_needs(litellm, upstream, terminal):
    sent = cli_headers(terminal, upstream)
    claude_replied(terminal.run("quickstart/06-connect-shell.sh", FIRST_REQUEST), "pong")
    (arrived,) = upstream_messages(upstream)
    assert_forwarded(sent, arrived)
    assert arrived.header("x-api-key") == PROVIDER_KEY
    # What the page says: the whole list, in sorted order.
    assert arrived.header("anthropic-beta") == ",".join(sorted(betas(sent["anthropic-beta"])))
    assert arrived.header("anthropic-beta") != sent["anthropic-beta"], "sent sorted already"


def test_custom_gateway_forwards_what_claude_code_needs(custom_gateway, upstream, terminal):
    sent = cli_headers(terminal, upstream)
    with front_door.record(8080) as nginx_door, front_door.record(4000) as litellm_door:
        claude_replied(terminal.run("enterprise/13-connect.sh", FIRST_REQUEST), "pong")
    (arrived,) = upstream_messages(upstream)
    assert_forwarded(sent, arrived)
    # The developer's token stopped at nginx: it arrived there, and nothing nginx sent on to
    # LiteLLM (every request at LiteLLM's door, headers and bodies) carries it; LiteLLM got
    # its own key, and the provider only the provider key.
    assert any(ALICE in str(r.headers) for r in nginx_door.requests), nginx_door.lines()
    assert litellm_door.requests, "nginx forwarded nothing to LiteLLM"
    for r in litellm_door.requests:
        assert ALICE not in str(r.headers) + r.body.decode(errors="replace"), r
        assert MASTER_KEY in str(r.headers), r
    assert ALICE not in json.dumps(arrived.headers)
    assert arrived.header("x-api-key") == PROVIDER_KEY
    assert access_codes(custom_gateway) == ["200"]  # the page's "how do I know it worked"


def test_gateway_that_strips_anthropic_beta(litellm, upstream, terminal, tmp_path):
    """A header allow-list without anthropic-beta: Claude Code still answers here (the
    provider fake does not enforce betas), so only the upstream check catches it."""
    sent = cli_headers(terminal, upstream)
    gw = broken(tmp_path, "proxy_set_header anthropic-beta $http_anthropic_beta;")
    try:
        claude_replied(terminal.run("enterprise/13-connect.sh", FIRST_REQUEST), "pong")
    finally:
        gw.stop()
    (arrived,) = upstream_messages(upstream)
    # LiteLLM re-derives a few betas from the request body; the rest are lost.
    lost = betas(sent["anthropic-beta"]) - betas(arrived.header("anthropic-beta"))
    assert {"claude-code-20250219", "interleaved-thinking-2025-05-14"} <= lost, lost
    assert betas(arrived.header("anthropic-beta")) == {
        "context-management-2025-06-27", "per-turn-control-2026-07-01"}  # as the page says
    assert len(lost) == 6, lost
    with pytest.raises(AssertionError, match="anthropic-beta lost"):
        assert_forwarded(sent, arrived)


GAP_S = 0.3  # the provider fake's pause between streamed events


def event_arrivals(url: str, token: str) -> tuple[list[float], dict]:
    """Seconds after the request at which each SSE event reached the client, and the
    response headers."""
    body = json.dumps({"model": "claude-opus-5-5", "max_tokens": 8, "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(url + "/v1/messages", body, {
        "content-type": "application/json", "authorization": f"Bearer {token}",
        "anthropic-version": "2023-06-01"})
    started, arrivals = time.monotonic(), []
    with urllib.request.urlopen(request, timeout=30) as response:
        for line in response:
            if line.startswith(b"event:"):
                arrivals.append(time.monotonic() - started)
        return arrivals, dict(response.headers)


def streamed(arrivals: list[float]) -> bool:
    """Events arrive spread out as the provider sent them, not in one burst at the end."""
    produced = GAP_S * (len(anthropic_wire.sse_bytes(anthropic_wire.sse_events("m", "pong")))
                        - 1)
    return arrivals[-1] - arrivals[0] >= produced / 2


def test_litellm_streams_event_by_event(litellm, upstream):
    upstream.sse_gap_s = GAP_S
    arrivals, headers = event_arrivals(litellm.url, MASTER_KEY)
    assert streamed(arrivals), f"events arrived in a burst: {arrivals}"
    # What the page says: LiteLLM asks the proxies in front of it not to buffer.
    assert headers.get("x-accel-buffering") == "no", headers


def test_custom_gateway_in_front_of_litellm_streams(custom_gateway, upstream):
    upstream.sse_gap_s = GAP_S
    arrivals, _ = event_arrivals(custom_gateway.url, ALICE)
    assert streamed(arrivals), f"events arrived in a burst: {arrivals}"


def test_buffering_gateway_in_front_of_litellm_still_streams(litellm, upstream, terminal,
                                                             tmp_path):
    """LiteLLM's `X-Accel-Buffering: no` turns nginx's buffering off for its streams, so
    the mistake stays hidden in front of LiteLLM (compare test_gateway_that_buffers_streams,
    same config, behind an upstream that does not send the header)."""
    upstream.sse_gap_s = GAP_S
    gw = broken(tmp_path, "proxy_buffering off;")
    try:
        arrivals = stream_check(terminal)
    finally:
        gw.stop()
    assert streamed(arrivals), arrivals


def access_codes(gw) -> list[str]:
    """Status of each Messages call in the nginx gateway's access log."""
    access = (gw.workdir / "gateway-access.log").read_text()
    return re.findall(r'"POST /v1/messages\?beta=true HTTP/1.1" (\d+)', access)


def test_nginx_is_the_version_the_page_names():
    version = subprocess.run(["/usr/sbin/nginx", "-v"], capture_output=True, text=True).stderr
    assert version.startswith("nginx version: nginx/1.22."), version


def test_custom_gateway_timeouts_are_long():
    text = snippet(NGINX_TEMPLATE).read_text()
    for directive in ("proxy_read_timeout", "proxy_send_timeout"):
        (value,) = re.findall(rf"^\s*{directive} (\d+)s;", text, re.M)
        assert int(value) >= 600, f"{directive} {value}s"


# -- Policy errors as the developer sees them ----------------------------------------------

def test_unknown_token_gets_401(custom_gateway, upstream, terminal):
    terminal.env.update(ANTHROPIC_BASE_URL="http://localhost:8080",
                        ANTHROPIC_AUTH_TOKEN="sk-gw-not-issued")
    result = terminal.run(FIRST_REQUEST)
    claude_failed_with(result, "API Error: 401 Unknown gateway token", within_s=15)
    assert not upstream_messages(upstream)
    assert access_codes(custom_gateway) == ["401", "401"], "a 401 is retried (here: once)"
    captures.check("enterprise/policy-401.console", console(result))


def test_suspended_developer_gets_403(custom_gateway, upstream, terminal):
    terminal.env.update(ANTHROPIC_BASE_URL="http://localhost:8080",
                        ANTHROPIC_AUTH_TOKEN="sk-gw-carol-change-me")
    result = terminal.run(FIRST_REQUEST)
    claude_failed_with(result, "API Error: 403 Your access to the LLM gateway is suspended",
                       within_s=15)
    assert not upstream_messages(upstream)
    assert access_codes(custom_gateway) == ["403"], "a 403 is not retried, retries left or not"
    captures.check("enterprise/policy-403.console", console(result))


def spend_burst(gw) -> int:
    """What a busy developer does in a few seconds: spend the whole burst."""
    allowed = 0
    while True:
        try:
            event_arrivals(gw.url, ALICE)
            allowed += 1
        except urllib.error.HTTPError as refused:
            assert refused.code == 429 and refused.headers["Retry-After"] == "5"
            return allowed
        assert allowed <= 22, "the gateway never limited the rate"


def claude_codes(gw) -> list[str]:
    """Status of each of Claude Code's Messages calls in the nginx access log."""
    access = (gw.workdir / "gateway-access.log").read_text()
    return [line.split('" ')[1].split()[0] for line in access.splitlines()
            if "claude-cli/" in line and "POST /v1/messages?beta=true" in line]


@contextlib.contextmanager
def limit_kept_spent(gw, until=lambda: False):
    """The developer's other sessions keep the limit spent (a slot frees every 5 s; on a
    loaded machine Claude Code may start later than that) until `until()` holds."""
    done = threading.Event()

    def keep_spending():
        while not until():
            try:
                event_arrivals(gw.url, ALICE)
            except urllib.error.HTTPError:
                pass
            if done.wait(0.05):
                return

    spender = threading.Thread(target=keep_spending, daemon=True)
    spender.start()
    try:
        yield
    finally:
        done.set()
        spender.join()


def connect_while_spent(gw, terminal, stop_when_refused=False, attempts=3):
    """Claude Code's first request while the limit is kept spent, and the statuses of its
    Messages calls. A slot that frees between two of the spender's requests can go to Claude
    Code instead (a race of milliseconds in 5 s): then its first call is answered 200 and
    the run says nothing about the limit, so it is run again."""
    for _ in range(attempts):
        before = len(claude_codes(gw))

        def until(before=before) -> bool:
            return stop_when_refused and len(claude_codes(gw)) > before

        with limit_kept_spent(gw, until=until):
            result = terminal.run("enterprise/13-connect.sh", FIRST_REQUEST)
        codes = claude_codes(gw)[before:]
        if codes[:1] != ["200"]:
            return result, codes
    raise AssertionError(f"Claude Code found a free slot in all {attempts} runs: the limit "
                         "was not kept spent")


def test_rate_limited_claude_code_waits_retry_after(custom_gateway, upstream, terminal):
    started = time.monotonic()
    allowed = spend_burst(custom_gateway)
    # A burst of 20 allows 21 requests at once, plus one per 5 s it took to send them.
    assert 21 <= allowed <= 21 + (time.monotonic() - started) // 5, allowed
    # Spent until Claude Code's first request is refused; its retry 5 s later gets a slot.
    result, codes = connect_while_spent(custom_gateway, terminal, stop_when_refused=True)
    claude_replied(result, "pong")  # after one 429, waited as told, then succeeded
    assert 5 <= result.seconds < 20, f"{result.seconds:.1f}s"
    assert codes == ["429", "200"]


def test_custom_gateway_rate_limit_gets_429(custom_gateway, upstream, terminal):
    spend_burst(custom_gateway)
    terminal.env["CLAUDE_CODE_MAX_RETRIES"] = "0"  # what shows once retries are spent
    result, codes = connect_while_spent(custom_gateway, terminal)
    claude_failed_with(result, "Request rejected (429) · Gateway rate limit reached", within_s=15)
    assert codes == ["429"]
    captures.check("enterprise/policy-429-gateway.console", console(result))


def test_provider_error_body_reaches_the_developer(custom_gateway, upstream, terminal):
    upstream.fail(403, anthropic_wire.error_body(403, "This organization cannot use this model."))
    result = terminal.run("enterprise/13-connect.sh", FIRST_REQUEST)
    claude_failed_with(result, "This organization cannot use this model.", within_s=20)
    captures.check("enterprise/provider-403.console", console(result))


# -- Buffering, measured at nginx alone (last but one: it takes LiteLLM's port) ---------

def stream_check(terminal) -> list[float]:
    """The page's streaming check, run as the reader runs it: seconds per event."""
    result = terminal.run("enterprise/13-connect.sh", "enterprise/14-check-streaming.sh")
    assert result.code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines and lines[-1][1] == "message_stop", result.stdout
    seconds = [float(at.rstrip("s")) for at, _ in lines]
    return [s if s >= seconds[0] else s + 60 for s in seconds]  # the minute may roll over


@pytest.fixture
def bare_upstream(gateways):
    """The provider fake itself on 127.0.0.1:4000, where the published nginx config sends
    requests: an upstream that, unlike LiteLLM, does not send `X-Accel-Buffering: no`, so
    only the gateway's own config decides whether streams are buffered."""
    gateways.free_port(4000)
    with serving(anthropic_wire.install, port=4000, sse_gap_s=GAP_S) as fake:
        yield fake


def test_streaming_check_through_custom_gateway(bare_upstream, terminal):
    gw = start_nginx()
    try:
        arrivals = stream_check(terminal)
    finally:
        gw.stop()
    assert streamed(arrivals), f"events arrived in a burst: {arrivals}"
    assert "x-accel-buffering" not in bare_upstream.requests[-1].headers


def test_without_compression_buffering_does_not_hold_events(bare_upstream, terminal,
                                                             tmp_path):
    """What the page says about nginx 1.22: buffering alone passed events on promptly;
    it is buffering together with gzip that holds them back."""
    text = snippet(NGINX_TEMPLATE).read_text()
    for line in ("gzip on;", "gzip_types application/json text/event-stream;",
                 "proxy_buffering off;"):
        assert f"    {line}\n" in text
        text = text.replace(f"    {line}\n", "")
    path = tmp_path / "gateway.conf.template"
    path.write_text(text)
    gw = start_nginx({**NGINX_FILES, "gateway.conf.template": path})
    try:
        arrivals = stream_check(terminal)
    finally:
        gw.stop()
    assert streamed(arrivals), arrivals


def test_gateway_that_buffers_streams(bare_upstream, terminal, tmp_path):
    gw = broken(tmp_path, "proxy_buffering off;")
    try:
        arrivals = stream_check(terminal)
    finally:
        gw.stop()
    assert not streamed(arrivals), f"expected one burst at the end: {arrivals}"


def chat_completion_status(url: str) -> int:
    body = json.dumps({"model": "claude-opus-5-5", "max_tokens": 8,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(url + "/v1/chat/completions", body, {
        "content-type": "application/json", "authorization": f"Bearer {MASTER_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_litellm_rpm_does_not_limit_claude_code(gateways, provider, terminal):
    """Last: it replaces the shared LiteLLM on port 4000 with the rate-limited config.
    LiteLLM 1.106.2 enforces a deployment's rpm on /v1/chat/completions but not on
    /v1/messages, the route Claude Code uses."""
    gw = gateways.get(LITELLM_START, RATE_LIMITED_CONFIG,
                      env={"ANTHROPIC_API_BASE": provider.url}, restart=True)
    provider.reset()
    with front_door.record(4000) as door:
        for _ in range(4):  # rpm: 2, yet every request goes through
            claude_replied(terminal.run("quickstart/06-connect-shell.sh", FIRST_REQUEST),
                           "pong")
    assert len(upstream_messages(provider)) == 4
    # ... the first time: a 429 that Claude Code retried would show as a fifth POST here.
    posts = [r.path.split("?")[0] for r in door.requests if r.method == "POST"]
    assert posts == ["/v1/messages"] * 4, door.lines()
    # The same config does limit the OpenAI-style route (a minute boundary may reset the
    # count once, hence up to four calls).
    codes = [chat_completion_status(gw.url) for _ in range(4)]
    assert 429 in codes and codes[:2] == [200, 200], codes


# -- With Claude Code's defaults: long scenarios run beside the suite (harness/background.py) --
# The reader's terminal bounds retries (terminal.FAST_FAILURE) so the captures above take
# seconds. These measure, once, what a reader with the defaults sees. Each has its own
# provider fake on an ephemeral port and its own terminal.

UNKNOWN_TOKEN = anthropic_wire.error_body(
    401, "Unknown gateway token. Get a new one from the developer portal.")
RATE_LIMITED = anthropic_wire.error_body(
    429, "Gateway rate limit reached (12 requests a minute per developer, bursts of 20). "
    "Retry in a few seconds.")
MESSAGES = r"^/v1/messages$"


def reader_with_defaults(workdir, fake) -> Terminal:
    """A reader's terminal with Claude Code's own retries and timeouts, pointed at `fake`."""
    t = Terminal(workdir, defaults=True)
    t.env.update(ANTHROPIC_BASE_URL=fake.url)
    return t


def attempts(fake) -> list[float]:
    """When each Messages call arrived, in seconds after the first."""
    times = [r.at for r in upstream_messages(fake)]
    return [round(t - times[0], 1) for t in times]


@background.scenario
def defaults_on_a_gateway_401(workdir):
    with serving(anthropic_wire.install) as fake:
        fake.fail(401, UNKNOWN_TOKEN, times=1000, path=MESSAGES)
        t = reader_with_defaults(workdir, fake)
        t.env["ANTHROPIC_AUTH_TOKEN"] = "sk-gw-not-issued"
        result = t.run(FIRST_REQUEST, timeout=600)
        return result, attempts(fake)


@background.joins(defaults_on_a_gateway_401)
def test_with_defaults_a_401_shows_after_ten_retries():
    result, at = background.join(defaults_on_a_gateway_401)
    claude_failed_with(result, "API Error: 401 Unknown gateway token", within_s=400)
    assert len(at) == 11, at  # the first attempt and Claude Code's 10 retries
    gaps = [b - a for a, b in zip(at, at[1:])]
    assert gaps[-1] > 4 * min(gaps) and 25 <= max(gaps) <= 45, gaps  # growing pauses
    assert 120 <= result.seconds <= 300, (result.seconds, at)
    captures.check("enterprise/defaults-401-summary.txt", summary(
        "a gateway that answers every request with 401", at,
        "API Error: 401 Unknown gateway token", 120, 300))


@background.scenario
def retry_after_five_that_never_clears(workdir):
    with serving(anthropic_wire.install) as fake:
        fake.fail(429, RATE_LIMITED, retry_after="5", times=1000, path=MESSAGES)
        t = reader_with_defaults(workdir, fake)
        result = t.run("enterprise/01-auth-token.sh", FIRST_REQUEST, timeout=600)
        return result, attempts(fake)


@background.joins(retry_after_five_that_never_clears)
def test_with_defaults_retry_after_5_is_waited_four_times_then_backoff():
    result, at = background.join(retry_after_five_that_never_clears)
    claude_failed_with(result, "Request rejected (429) · Gateway rate limit reached",
                       within_s=400)
    gaps = [b - a for a, b in zip(at, at[1:])]
    assert len(at) == 11, at
    assert all(4.5 <= g <= 8 for g in gaps[:4]), gaps  # Retry-After: 5, as told
    assert all(g >= 7 for g in gaps[4:]) and 25 <= max(gaps) <= 45, gaps  # its own backoff
    assert 150 <= result.seconds <= 300, (result.seconds, at)
    captures.check("enterprise/defaults-429-summary.txt", summary(
        "a gateway that answers every request with 429 and Retry-After: 5", at,
        "API Error: Request rejected (429) · Gateway rate limit reached", 150, 300) +
        "  waits:                the first 4 as Retry-After said (5 s), then its own\n"
        "                        backoff, growing to more than 25 s\n")


@background.scenario
def retry_after_sixty_once(workdir):
    with serving(anthropic_wire.install) as fake:
        fake.fail(429, RATE_LIMITED, retry_after="60", path=MESSAGES)
        t = reader_with_defaults(workdir, fake)
        result = t.run("enterprise/01-auth-token.sh", FIRST_REQUEST, timeout=300)
        return result, attempts(fake)


@background.joins(retry_after_sixty_once)
def test_retry_after_of_60_s_is_waited_out():
    result, at = background.join(retry_after_sixty_once)
    claude_replied(result, "pong")
    # Waited out: not retried before the 60 s, and not given up on. The upper bound is room
    # for a busy machine, where the retry has come as late as 75.3 s after the first try.
    assert len(at) == 2 and 59.5 <= at[1] <= 100, at


@background.scenario
def retry_after_above_sixty_once(workdir):
    runs = {}
    for seconds in ("61", "121", "301", "3600"):
        with serving(anthropic_wire.install) as fake:
            fake.fail(429, RATE_LIMITED, retry_after=seconds, path=MESSAGES)
            t = reader_with_defaults(workdir / seconds, fake)
            runs[seconds] = (t.run("enterprise/01-auth-token.sh", FIRST_REQUEST, timeout=300),
                             attempts(fake))
    return runs


@background.joins(retry_after_above_sixty_once)
def test_retry_after_above_60_s_shows_the_429_at_once():
    for seconds, (result, at) in background.join(retry_after_above_sixty_once).items():
        # Even with retries left and the limit already lifted: no second request, and no
        # wait for what Retry-After said (the bound leaves room for a loaded machine).
        claude_failed_with(result, "Request rejected (429)", within_s=45)
        assert len(at) == 1, (seconds, at)


def summary(what: str, at: list[float], message: str, low: int, high: int) -> str:
    """The test's summary of a measured run (numbers within the bounds it asserts)."""
    return (f"Claude Code {CLAUDE_CODE_VERSION}, default retries and timeouts, {what}:\n"
            f"  requests sent:        {len(at)} (the first and {len(at) - 1} retries)\n"
            f"  until the error:      between {low} and {high} s\n"
            f"  then it printed:      {message} …\n")


# -- apiKeyHelper in a long session: the default cache and tokens that say when they expire --

def unsigned_jwt(subject: str, expires_in_s: float) -> str:
    """A JWT-shaped token whose payload carries `exp` (signature visibly fake): the only
    way a helper's output tells Claude Code when it expires."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return ".".join([part({"alg": "none", "typ": "JWT"}),
                     part({"sub": subject, "exp": int(time.time() + expires_in_s)}),
                     "fake-signature"])


def prompts_in_a_session(workdir, tokens, schedule, then_every=None, until=None) -> dict:
    """An interactive session whose helper hands out `tokens`; at each (seconds after the
    helper's first run) a prompt, then one every `then_every` s until a prompt carries
    another token than the first or `until` s have passed. Returns the tokens each prompt's
    requests carried, when each prompt was typed and when the helper ran."""
    with serving(anthropic_wire.install) as fake:
        t = reader_with_defaults(workdir, fake)
        agent = install_helper(t, tokens)
        t.seed_first_run()
        seen, typed_at = [], []
        with t.session("quickstart/09-status.sh", timeout=(until or max(schedule)) + 120) as s:
            n, after = 0, schedule[0]
            while after is not None:
                n += 1
                if agent.at:
                    time.sleep(max(0.0, agent.at[0] + after - time.monotonic()))
                fake.requests.clear()
                fake.reply_text = f"answer {n}"
                typed_at.append(time.monotonic())
                s.type(f"Prompt {n}", f"answer {n}")
                time.sleep(1)  # the prompt's follow-up requests (e.g. the session title)
                seen.append(sorted({r.header("authorization") for r in upstream_messages(fake)}))
                if n < len(schedule):
                    after = schedule[n]
                elif then_every and seen[-1] == seen[0] and after + then_every <= until:
                    after += then_every
                else:
                    after = None
        start = agent.at[0]
        return {"seen": seen, "typed_at": [round(a - start, 1) for a in typed_at],
                "helper_ran_at": [round(a - start, 1) for a in agent.at],
                "handed": agent.handed}


@background.scenario
def helper_token_without_ttl(workdir):
    # Prompts at 285 and 305 s, then every 4 s: on a loaded machine the helper's second run
    # came 4 s after the 305 s prompt, and that prompt's successor still had the old token.
    return prompts_in_a_session(workdir, ["sk-gw-first", "sk-gw-second"], [0, 285, 305],
                                then_every=4, until=335)


@background.joins(helper_token_without_ttl)
def test_without_ttl_the_helper_token_is_kept_five_minutes():
    """No CLAUDE_CODE_API_KEY_HELPER_TTL_MS: the token is reused for 300 000 ms; a request
    after that still carries it while the helper runs again in the background, and the
    first prompt after that run carries the new token."""
    run = background.join(helper_token_without_ttl)
    first, second = ["Bearer sk-gw-first"], ["Bearer sk-gw-second"]
    assert len(run["helper_ran_at"]) == 2 and 300 <= run["helper_ran_at"][1] <= 320, run
    rerun = run["helper_ran_at"][1]
    before = [seen for seen, at in zip(run["seen"], run["typed_at"]) if at < rerun]
    after = [seen for seen, at in zip(run["seen"], run["typed_at"]) if at > rerun]
    assert len(before) >= 3 and all(seen == first for seen in before), run  # 0, 285, 305 s
    assert after[:1] == [second], run


@background.scenario
def helper_token_that_expires(workdir):
    tokens = [lambda: unsigned_jwt("fake-developer", 45),
              lambda: unsigned_jwt("fake-developer", 3600)]
    return prompts_in_a_session(workdir, tokens, [0, 20])


@background.joins(helper_token_that_expires)
def test_a_token_is_refreshed_30_s_before_its_exp():
    """A helper token with `exp` 45 s ahead: from 30 s before it, the next request waits for
    a fresh token (the helper runs again first), long before the 5-minute cache ends."""
    run = background.join(helper_token_that_expires)
    first, second = run["handed"][:2]
    assert run["seen"] == [[f"Bearer {first}"], [f"Bearer {second}"]], run
    assert len(run["helper_ran_at"]) == 2 and 15 <= run["helper_ran_at"][1] <= 25, run
