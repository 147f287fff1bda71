"""`gateway-assistant probe URL`: check a running gateway against what Claude Code needs —
the Messages endpoint, count_tokens, Bearer authentication, streaming as real server-sent
events, status codes and error bodies. What cannot be seen from outside is listed as such."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import urljoin, urlsplit

from . import claude_code, net
from .findings import Finding, printable
from .secrets import header_problem, mask, redact_url, scrub, strip_userinfo

VERSION = "2023-06-01"
# Criteria a client cannot prove: they need a view of what reached the provider.
FROM_OUTSIDE_UNPROVABLE = [
    ("headers forwarded", "anthropic-version / anthropic-beta reach the provider unchanged"),
    ("provider key", "the gateway replaces the client's key with its own provider key"),
    ("retries", "how often the gateway retries a failing provider, and on which status"),
]
# Streams shorter than this cannot show whether events were held back.
MIN_STREAM_S = 0.2


class Check:
    def __init__(self, name: str):
        self.name, self.status, self.detail, self.fix = name, "pass", "", ""

    def fail(self, detail: str, fix: str = "") -> None:
        self.status, self.detail, self.fix = "fail", detail, fix

    def unproven(self, detail: str) -> None:
        self.status, self.detail = "unproven", detail


def _post(url, body, headers, timeout, stream=False):
    """An Answer; the context (opener, deadline) is the one of the running probe."""
    op, deadline = _CONTEXT["op"], _CONTEXT["deadline"]
    return net.send(op, url, json.dumps(body).encode(),
                    {"content-type": "application/json", "anthropic-version": VERSION,
                     **headers}, deadline, timeout, stream=stream)


_CONTEXT: dict = {}


def _json(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return None


def _redirect(base: str, answer) -> str:
    where = urljoin(base + "/v1/messages", answer.location)
    a, b = urlsplit(base), urlsplit(where)
    same = (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    return (f"answered {answer.status} with a redirect to {redact_url(where)} "
            f"({'the same host' if same else 'another host'}): not followed, the key was not "
            "sent there")


def target(url: str, token: str | None) -> tuple[str, str, str]:
    """(the URL as shown, the URL to send to, the key) for a gateway the tool sends to, or a
    ValueError that says what to fix: probe and conformance take the same arguments."""
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {printable(redact_url(url))}")
    token = token or os.environ.get("ANTHROPIC_AUTH_TOKEN")
    if not token:
        raise ValueError("no gateway key: pass --token or export ANTHROPIC_AUTH_TOKEN")
    if problem := header_problem(token):
        raise ValueError(f"the key {mask(token)} {problem}; it cannot be sent")
    return redact_url(base), strip_userinfo(base), token


def probe(url: str, token: str | None = None, model: str | None = None,
          timeout: float = 30.0, deadline: float = 120.0):
    shown, base, token = target(url, token)
    model = model or claude_code.DEFAULT_MODEL
    bearer = {"authorization": f"Bearer {token}"}
    ask = {"model": model, "max_tokens": 64,
           "messages": [{"role": "user", "content": "Count from 1 to 20."}]}
    checks = []
    clock = net.Deadline(deadline, "probe (--deadline)")
    _CONTEXT.update(op=net.opener(clock), deadline=clock)
    try:
        _run_checks(base, shown, model, ask, bearer, token, timeout, checks)
    except net.DeadlineExceeded as e:
        c = Check("deadline")
        c.fail(str(e), "a gateway answers these requests in seconds; look for what holds "
               "the connection open (or raise --deadline)")
        checks.append(c)
    finally:
        clock.cancel()
        _CONTEXT.clear()
    for c in checks:
        c.detail, c.fix = scrub(c.detail, [token]), scrub(c.fix, [token])

    findings = [Finding("error", f"probe-{c.name.replace(' ', '-')}", f"{c.name}: {c.detail}",
                        c.fix, shown) for c in checks if c.status == "fail"]
    mark = {"pass": "PASS", "fail": "FAIL", "unproven": "NOT PROVEN"}
    lines = [f"Probing {shown} as Claude Code would (model {printable(model)}):"]
    lines += [f"  {mark[c.status]:10} {c.name}: {c.detail}" for c in checks]
    lines.append("Not checkable from outside (needs a view of the provider side):")
    lines += [f"  - {name}: {what}" for name, what in FROM_OUTSIDE_UNPROVABLE]
    extra = {"report": "\n".join(lines), "url": shown,
             "criteria": [{"name": c.name, "status": c.status, "detail": c.detail}
                          for c in checks],
             "not_checkable": [n for n, _ in FROM_OUTSIDE_UNPROVABLE]}
    return findings, extra


def _run_checks(base, shown, model, ask, bearer, token, timeout, checks):
    # The first request tells whether anything answers at all.
    try:
        first = _post(base + "/v1/messages", ask, bearer, timeout)
    except ConnectionError as e:
        raise ConnectionError(f"cannot reach {shown}: {scrub(e, [token])}") from None
    status, body = first.status, first.body

    c = Check("messages")
    checks.append(c)
    if 300 <= status < 400:
        c.fail(f"POST /v1/messages {_redirect(base, first)}",
               "probe the address that answers itself (and use it as ANTHROPIC_BASE_URL)")
        return
    data = _json(body)
    if first.truncated:
        c.fail(f"POST /v1/messages answered {status} with more than {net.MAX_BODY} bytes (cut "
               f"at {net.MAX_BODY} bytes): not a Messages answer",
               "the gateway must serve the Anthropic Messages API at /v1/messages")
    elif status != 200 or not isinstance(data, dict) or data.get("type") != "message":
        c.fail(f"POST /v1/messages with a Bearer token gave {status}: {printable(body, 160)}",
               "the gateway must serve the Anthropic Messages API at /v1/messages")
    else:
        c.detail = f"200, a message from {printable(data.get('model'))}"

    c = Check("bearer auth")
    checks.append(c)
    if status in (401, 403):
        s2 = _post(base + "/v1/messages", ask, {"x-api-key": token}, timeout).status
        c.fail(f"Authorization: Bearer was refused ({status})" +
               (f"; the same key as x-api-key was accepted ({s2})" if s2 == 200 else ""),
               "Claude Code sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer; configure "
               "the gateway to accept it" + (", or use ANTHROPIC_API_KEY" if s2 == 200 else ""))
    else:
        nokey = _post(base + "/v1/messages", ask, {}, timeout).status
        if nokey in (401, 403):
            c.detail = f"no key → {nokey}; Bearer key → {status}"
        else:
            c.fail(f"a request without any key gave {nokey}, not 401",
                   "the gateway must require a key (LiteLLM: general_settings.master_key)")

    for check in (lambda: check_count_tokens(base, model, bearer, timeout),
                  lambda: check_stream(base, ask, bearer, timeout),
                  lambda: check_errors(base, bearer, timeout)):
        try:
            checks.append(check())
        except ConnectionError as e:
            c = Check(["count_tokens", "streaming", "error shape"][len(checks) - 2])
            c.fail(f"the request failed: {scrub(e, [token])}")
            checks.append(c)


def check_count_tokens(base, model, bearer, timeout) -> Check:
    c = Check("count_tokens")
    body = {"model": model, "messages": [{"role": "user", "content": "ping"}]}
    answer = _post(base + "/v1/messages/count_tokens", body, bearer, timeout)
    status, data = answer.status, answer.body
    got = _json(data)
    if status == 200 and isinstance(got, dict) and isinstance(got.get("input_tokens"), int):
        c.detail = f"200, input_tokens={got['input_tokens']}"
    else:
        c.fail(f"POST /v1/messages/count_tokens gave {status}: {printable(data, 120)}",
               "serve /v1/messages/count_tokens (LiteLLM does for Anthropic models)")
    return c


def check_stream(base, ask, bearer, timeout) -> Check:
    c = Check("streaming")
    started = time.monotonic()
    answer = _post(base + "/v1/messages", {**ask, "stream": True}, bearer, timeout,
                   stream=True)
    if answer.status != 200:
        if 300 <= answer.status < 400:
            c.fail(f"the stream request {_redirect(base, answer)}")
        else:
            c.fail(f"stream request gave {answer.status}: {printable(answer.body, 120)}")
        return c
    kind = answer.headers.get("content-type", "")
    if "text/event-stream" not in kind:
        answer.stream.close()
        c.fail(f"content-type is {printable(kind)!r}, not text/event-stream",
               "the gateway must pass the provider's server-sent events through")
        return c
    events, times, stopped = [], [], ""
    for name, why in net.events(answer.stream, _CONTEXT["deadline"]):
        # ping events may come anywhere (LiteLLM sends one first); they carry no content.
        if not name:
            stopped = why
        elif name != "ping":
            events.append(name)
            times.append(time.monotonic() - started)
    if stopped:
        c.fail(f"{printable(stopped, 160)}", "a Messages stream ends with message_stop")
        return c
    if events and events[0] == "message_start" and events[-1] != "message_stop":
        c.fail(f"the stream ended after {len(events)} events without message_stop: the "
               "connection closed early", "a Messages stream ends with message_stop")
        return c
    if not events or events[0] != "message_start" or events[-1] != "message_stop":
        c.fail(f"events {printable(events[:3])}…{printable(events[-2:])}: not the Messages "
               "stream (message_start … message_stop)")
        return c
    spread, total = times[-1] - times[0], times[-1]
    timing = (f"{len(events)} events; first after {times[0] * 1000:.0f} ms, last after "
              f"{total * 1000:.0f} ms")
    if total < MIN_STREAM_S:
        c.unproven(timing + ": too fast to tell incremental delivery from buffering")
    elif spread < 0.1 * total:
        c.fail(timing + ": all events arrived together at the end — the stream is buffered",
               "turn off response buffering between Claude Code and the provider (e.g. nginx "
               "proxy_buffering off); Claude Code then shows text as it is generated")
    else:
        c.detail = timing + ": delivered incrementally"
    return c


def check_errors(base, bearer, timeout) -> Check:
    c = Check("error shape")
    ask = {"model": "no-such-model-gateway-assistant", "max_tokens": 8,
           "messages": [{"role": "user", "content": "ping"}]}
    answer = _post(base + "/v1/messages", ask, bearer, timeout)
    status, data = answer.status, answer.body
    got = _json(data)
    message = got.get("error", {}).get("message") if isinstance(got, dict) and isinstance(
        got.get("error"), dict) else None
    if status not in (400, 404):
        c.fail(f"an unknown model gave {status}, not 400/404", "return a client error for "
               "unknown models, so Claude Code shows it instead of retrying")
    elif not message:
        c.fail(f"{status} without a JSON error.message: {printable(data, 120)}",
               "answer errors as JSON with error.message; Claude Code prints it after a "
               "400 (after a 404 it prints its own model message)")
    else:
        c.detail = f"unknown model → {status}, error.message: {printable(message, 60)}"
    return c
