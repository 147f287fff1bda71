"""`gateway-assistant probe URL`: check a running gateway against what Claude Code needs —
the Messages endpoint, count_tokens, Bearer authentication, streaming as real server-sent
events, status codes and error bodies. What cannot be seen from outside is listed as such."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

from . import claude_code
from .findings import Finding, printable

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
    """(status, headers, body bytes or the response itself when streaming)."""
    request = urllib.request.Request(url, json.dumps(body).encode(),
                                     {"content-type": "application/json",
                                      "anthropic-version": VERSION, **headers})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        r = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read(20000)
    if stream:
        return r.status, r.headers, r
    with r:
        return r.status, r.headers, r.read(2_000_000)


def _json(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return None


def probe(url: str, token: str | None = None, model: str | None = None,
          timeout: float = 30.0):
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {printable(url)}")
    token = token or os.environ.get("ANTHROPIC_AUTH_TOKEN")
    if not token:
        raise ValueError("no gateway key: pass --token or export ANTHROPIC_AUTH_TOKEN")
    model = model or claude_code.DEFAULT_MODEL
    bearer = {"authorization": f"Bearer {token}"}
    ask = {"model": model, "max_tokens": 64,
           "messages": [{"role": "user", "content": "Count from 1 to 20."}]}
    checks = []

    # The first request tells whether anything answers at all.
    try:
        status, _h, body = _post(base + "/v1/messages", ask, bearer, timeout)
    except OSError as e:
        raise ConnectionError(f"cannot reach {base}: {getattr(e, 'reason', e)}") from None

    c = Check("messages")
    data = _json(body)
    if status != 200 or not isinstance(data, dict) or data.get("type") != "message":
        c.fail(f"POST /v1/messages with a Bearer token gave {status}: {printable(body, 160)}",
               "the gateway must serve the Anthropic Messages API at /v1/messages")
    else:
        c.detail = f"200, a message from {printable(data.get('model'))}"
    checks.append(c)

    c = Check("bearer auth")
    if status in (401, 403):
        s2, _h, _b = _post(base + "/v1/messages", ask, {"x-api-key": token}, timeout)
        c.fail(f"Authorization: Bearer was refused ({status})" +
               (f"; the same key as x-api-key was accepted ({s2})" if s2 == 200 else ""),
               "Claude Code sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer; configure "
               "the gateway to accept it" + (", or use ANTHROPIC_API_KEY" if s2 == 200 else ""))
    else:
        nokey, _h, _b = _post(base + "/v1/messages", ask, {}, timeout)
        if nokey in (401, 403):
            c.detail = f"no key → {nokey}; Bearer key → {status}"
        else:
            c.fail(f"a request without any key gave {nokey}, not 401",
                   "the gateway must require a key (LiteLLM: general_settings.master_key)")
    checks.append(c)

    checks.append(check_count_tokens(base, model, bearer, timeout))
    checks.append(check_stream(base, ask, bearer, timeout))
    checks.append(check_errors(base, bearer, timeout))

    findings = [Finding("error", f"probe-{c.name.replace(' ', '-')}", f"{c.name}: {c.detail}",
                        c.fix, base) for c in checks if c.status == "fail"]
    mark = {"pass": "PASS", "fail": "FAIL", "unproven": "NOT PROVEN"}
    lines = [f"Probing {base} as Claude Code would (model {model}):"]
    lines += [f"  {mark[c.status]:10} {c.name}: {c.detail}" for c in checks]
    lines.append("Not checkable from outside (needs a view of the provider side):")
    lines += [f"  - {name}: {what}" for name, what in FROM_OUTSIDE_UNPROVABLE]
    extra = {"report": "\n".join(lines), "url": base,
             "criteria": [{"name": c.name, "status": c.status, "detail": c.detail}
                          for c in checks],
             "not_checkable": [n for n, _ in FROM_OUTSIDE_UNPROVABLE]}
    return findings, extra


def check_count_tokens(base, model, bearer, timeout) -> Check:
    c = Check("count_tokens")
    body = {"model": model, "messages": [{"role": "user", "content": "ping"}]}
    status, _h, data = _post(base + "/v1/messages/count_tokens", body, bearer, timeout)
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
    status, headers, r = _post(base + "/v1/messages", {**ask, "stream": True}, bearer,
                               timeout, stream=True)
    if status != 200:
        c.fail(f"stream request gave {status}: {printable(r, 120)}")
        return c
    kind = headers.get("content-type", "")
    events, times = [], []
    with r:
        for raw in iter(r.readline, b""):
            line = raw.decode("utf-8", "replace").strip()
            # ping events may come anywhere (LiteLLM sends one first); they carry no content.
            if line.startswith("event:") and line[6:].strip() != "ping":
                events.append(line[6:].strip())
                times.append(time.monotonic() - started)
    if "text/event-stream" not in kind:
        c.fail(f"content-type is {printable(kind)!r}, not text/event-stream",
               "the gateway must pass the provider's server-sent events through")
        return c
    if not events or events[0] != "message_start" or events[-1] != "message_stop":
        c.fail(f"events {events[:3]}…{events[-2:]}: not the Messages stream "
               "(message_start … message_stop)")
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
    status, _h, data = _post(base + "/v1/messages", ask, bearer, timeout)
    got = _json(data)
    message = got.get("error", {}).get("message") if isinstance(got, dict) and isinstance(
        got.get("error"), dict) else None
    if status not in (400, 404):
        c.fail(f"an unknown model gave {status}, not 400/404", "return a client error for "
               "unknown models, so Claude Code shows it instead of retrying")
    elif not message:
        c.fail(f"{status} without a JSON error.message: {printable(data, 120)}",
               "answer errors as JSON with error.message; Claude Code prints that message")
    else:
        c.detail = f"unknown model → {status}, error.message: {printable(message, 60)}"
    return c
