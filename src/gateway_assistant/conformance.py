"""`gateway-assistant conformance URL`: replay the pinned Claude Code's own requests (recorded
from the real CLI, credentials removed: conformance_corpus.json in this package) against a
gateway, and judge each criterion Claude Code relies on. Human report with the fix for each
failure; `--format json` or `--format junit` for CI."""

from __future__ import annotations

import http.client
import json
import time

from . import changes, net
from .corpus import CREDENTIAL, load
from .findings import Finding, printable
from .probe import MIN_STREAM_S, Check, _json, _redirect, target
from .secrets import redact_url, scrub

NOT_REPLAYED = {"accept-encoding"}  # a compressed answer could not be read as it streams
CRITERIA = {  # name: the fix when it fails
    "preconnect": "answer HEAD /api/hello (any status) at once: Claude Code sends it before "
                  "its first request",
    "messages": "serve the Anthropic Messages API at /v1/messages: 200 and a message "
                "(type, role, content blocks, stop_reason, usage)",
    "streaming": "pass the provider's server-sent events through unchanged: content-type "
                 "text/event-stream, `event:` and `data:` lines, message_start … message_stop",
    "incremental delivery": "turn off response buffering between Claude Code and the "
                            "provider (e.g. nginx proxy_buffering off)",
    "tools": "pass tools and tool_result blocks through unchanged",
    "betas and version": "pass anthropic-beta and anthropic-version through unchanged; do not "
                         "refuse betas the gateway does not know",
    "error shape": "answer a bad request with a 4xx and the Messages error JSON "
                   '{"type": "error", "error": {"type": …, "message": …}}',
    "time bounds": "answer within --timeout; look for what holds the request",
}
TRACE = "upstream trace"  # with --upstream: what the gateway changed on the way
TRACED = ("messages", "streaming", "tool result")
EVENT_TYPES = {"message_start", "content_block_start", "content_block_delta",
               "content_block_stop", "message_delta", "message_stop", "ping", "error"}


class _Run:
    def __init__(self, base, token, timeout, clock):
        self.base, self.token, self.timeout, self.clock = base, token, timeout, clock
        self.op, self.slowest = net.opener(clock), (0.0, "")
        self.upstream, self.log = None, []  # with --upstream: (name, headers, body, answer, n)

    def send(self, entry, body=None, drop=()):
        headers = {k: v.replace(CREDENTIAL, self.token) for k, v in entry["headers"].items()
                   if k not in NOT_REPLAYED and k not in drop}
        traced = entry["name"] in TRACED and body is None and not drop
        body = entry["body"] if body is None else body
        data = None if body is None else json.dumps(body).encode()
        started, mark = time.monotonic(), len(self.upstream.arrivals) if self.upstream else 0
        answer = net.send(self.op, self.base + entry["path"], data, headers, self.clock,
                          self.timeout, stream=bool((body or {}).get("stream")),
                          method=entry["method"])
        answer.sent, took = started, time.monotonic() - started
        self.slowest = max(self.slowest, (took, f"{entry['method']} {entry['path']}"))
        if self.upstream is not None:
            self.log.append((entry["name"] if traced else "", headers, body, answer, mark))
        return answer


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def _bad_status(c: Check, base: str, answer, what: str) -> bool:
    if 300 <= answer.status < 400:
        c.fail(f"{what} {_redirect(base, answer)}")
    elif answer.status != 200:
        c.fail(f"{what} gave {answer.status}: {printable(_text(answer.body), 160)}")
    return c.status == "fail"


def _message_shape(data) -> str:
    """'' for a Messages answer, else what is wrong with it."""
    if not isinstance(data, dict) or data.get("type") != "message":
        return f"not a message: {printable(json.dumps(data) if data else data, 120)}"
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    if data.get("role") != "assistant" or not isinstance(data.get("content"), list):
        return "the message has no role assistant or no content list"
    if not all(isinstance(b, dict) and b.get("type") for b in data["content"]):
        return "a content block without a type"
    if not all(isinstance(usage.get(k), int) for k in ("input_tokens", "output_tokens")):
        return "usage without input_tokens and output_tokens"
    return "" if "stop_reason" in data else "no stop_reason"


def _frames(stream, clock: net.Deadline, started: float):
    """(event, data, seconds) for each server-sent event, read within the deadline and the
    stream bounds; a frame that is not an event (no `event:` line, data not JSON) is
    yielded with event None; ("", reason, 0) if the stream stopped early."""
    name, data, count, seen = None, [], 0, 0
    with stream:
        while True:
            try:
                clock.check()
                raw = stream.readline(net.MAX_LINE)
            except net.DeadlineExceeded:
                raise
            except (OSError, http.client.HTTPException) as e:
                yield "", f"the stream broke after {count} events ({type(e).__name__})", 0
                return
            seen += len(raw)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == "" and (name or data):
                count += 1
                yield name, _json("\n".join(data).encode()), time.monotonic() - started
                name, data = None, []
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            if not raw:
                return
            if count >= net.MAX_EVENTS or seen >= net.MAX_STREAM_BYTES:
                yield "", f"stopped reading after {count} events and {seen} bytes", 0
                return


def _judge_stream(c: Check, answer, clock) -> list:
    kind = answer.headers.get("content-type", "")
    if "text/event-stream" not in kind:
        answer.stream.close()
        return c.fail(f"content-type is {printable(kind)!r}, not text/event-stream")
    names, times = [], []
    answer.events, answer.times, answer.data = [], [], []  # as they arrived, for the trace
    for name, data, at in _frames(answer.stream, clock, answer.sent):
        if name == "":
            return c.fail(printable(data, 160))
        answer.events.append(name)
        answer.times.append(at)
        answer.data.append(data)
        if name not in EVENT_TYPES or not isinstance(data, dict) or data.get("type") != name:
            return c.fail(f"event {len(names) + 1} is not a Messages event: event "
                          f"{printable(repr(name))}, data {printable(data, 60)}")
        if name != "ping":
            names.append(name)
            times.append(at)
    if not names or names[0] != "message_start" or names[-1] != "message_stop":
        return c.fail(f"{len(names)} events, {printable(names[:2])}…{printable(names[-2:])}: "
                      "not message_start … message_stop")
    c.detail = f"{len(names)} events, message_start … message_stop, each data JSON"
    return times


def _judge_timing(timing: Check, streams: list) -> None:
    """Incremental delivery, from the stream whose events came most spread out: a gateway
    that buffers buffers every stream, and a cold gateway's first answer may come in one go."""
    if not streams:
        return timing.unproven("no stream was read to the end")
    times = max(streams, key=lambda t: (t[-1] - t[0]) / max(t[-1], 1e-9))
    spread, total = times[-1] - times[0], times[-1]
    said = f"first event after {times[0] * 1000:.0f} ms, last after {total * 1000:.0f} ms"
    if total < MIN_STREAM_S:
        timing.unproven(said + ": too fast to tell incremental delivery from buffering")
    elif spread < 0.1 * total:
        timing.fail(said + ": all events arrived together at the end — the stream is buffered")
    else:
        timing.detail = said + ": delivered incrementally"


def conformance(url: str, token: str | None = None, model: str | None = None,
                timeout: float = 30.0, deadline: float = 180.0, upstream: str | None = None):
    shown, base, token = target(url, token)
    corpus = load()
    checks = {name: Check(name) for name in CRITERIA}
    clock = net.Deadline(deadline, "conformance (--deadline)")
    run = _Run(base, token, timeout, clock)
    if upstream is not None:
        from .upstream import Upstream

        run.upstream = Upstream(upstream, token)
    try:
        if run.upstream is not None:
            with run.upstream:
                _replay(run, corpus, checks, model)
        else:
            _replay(run, corpus, checks, model)
    except net.DeadlineExceeded as e:
        for c in checks.values():  # not reached: nothing known about them
            if c.status == "pass" and not c.detail:
                c.unproven("not reached before the deadline")
        checks["time bounds"].fail(str(e), "raise --deadline, or look for what holds the "
                                           "connection open")
    finally:
        clock.cancel()
    return _report(shown, corpus, list(checks.values()), token, _trace(run))


def _trace(run: _Run):
    """The upstream trace criterion and every difference, or None without --upstream."""
    if run.upstream is None:
        return None
    c, up, found = Check(TRACE), run.upstream, []
    marks = [n for *_, n in run.log] + [len(up.arrivals)]
    compared = 0
    for i, (name, headers, body, answer, _) in enumerate(run.log):
        arrived = up.arrivals[marks[i]:marks[i + 1]]
        if not name or not arrived:
            continue
        compared += 1
        first = arrived[0]
        found += changes.headers(name, headers, first.headers, first.carried_key)
        found += changes.body(name, body, first.body)
        if first.events:
            found += changes.stream(name, first, *(getattr(answer, k, []) for k in
                                                   ("events", "times", "data")))
    differences = changes.merged(found)
    breaking = [d for d in differences if d.feature]
    where = f"the upstream at {up.url}"
    if not compared:
        c.unproven(f"no replayed Messages request reached {where}: point the gateway's "
                   f"Anthropic base URL (LiteLLM: api_base) at it")
    elif breaking:
        c.fail(f"{len(breaking)} of the differences at {where} break a feature of Claude "
               "Code (below)")
    else:
        c.detail = (f"{compared} requests reached {where}; anthropic-version, every beta, "
                    "every body field but model and the stream's events arrived as sent")
    return c, differences, compared, up.url


def _replay(run: _Run, corpus: dict, checks: dict, model: str | None) -> None:
    entries = {e["name"]: e for e in corpus["requests"]}
    if model:
        for e in entries.values():
            if isinstance(e["body"], dict) and "model" in e["body"]:
                e["body"]["model"] = model
    hello = checks["preconnect"]
    try:
        answer = run.send(entries["preconnect"])
    except ConnectionError as e:
        raise ConnectionError(f"cannot reach {redact_url(run.base)}: {e}") from None
    hello.detail = f"answered {answer.status}"
    betas = checks["betas and version"]
    # The pinned CLI streams every Messages request: `messages` sends its recorded request
    # with "stream": false, as other clients of the same gateway do.
    entries["messages"] = {**entries["streaming"], "name": "messages",
                           "body": {**entries["streaming"]["body"], "stream": False}}
    streams: list = []
    for name, kind in (("messages", "messages"), ("streaming", "streaming"),
                       ("tool result", "tools")):
        c, entry = checks[kind], entries[name]
        what = f"{entry['method']} {entry['path']} ({name})"
        try:
            answer = run.send(entry)
            if answer.status in (400, 403, 404, 422) and "anthropic-beta" in entry["headers"]:
                again = run.send(entry, drop=("anthropic-beta",))
                if again.status == 200:
                    if betas.status == "pass":
                        betas.fail(f"{what} gave {answer.status} with Claude Code's "
                                   "anthropic-beta and 200 without it: "
                                   f"{printable(_text(answer.body), 120)}")
                    answer = again
                elif again.stream:
                    again.stream.close()
            if _bad_status(c, run.base, answer, what):
                if answer.stream is not None:
                    answer.stream.close()
                continue
            if answer.stream is not None:
                streams.append(_judge_stream(c, answer, run.clock))
            elif answer.truncated:
                c.fail(f"{what}: more than {net.MAX_BODY} bytes (read no further): not a "
                       "Messages answer")
            else:
                wrong = _message_shape(_json(answer.body))
                if wrong:
                    c.fail(f"{what}: {wrong}")
                else:
                    c.detail = "200, a message with " + ", ".join(
                        b["type"] for b in _json(answer.body)["content"])
        except ConnectionError as e:
            c.fail(f"{what}: {scrub(e, [run.token])}")
            if "timeout" in str(e):
                checks["time bounds"].fail(f"{what}: no answer within {run.timeout:g} s")
    if betas.status == "pass":
        betas.detail = ("every request carried Claude Code's anthropic-version and "
                        "anthropic-beta headers and none was refused for them")
    _check_error(run, entries["messages"], checks["error shape"])
    if checks["time bounds"].status == "pass":
        took, what = run.slowest
        checks["time bounds"].detail = f"the slowest answer began after {took * 1000:.0f} ms " \
                                       f"({what})"
    _judge_timing(checks["incremental delivery"], [t for t in streams if t])


def _check_error(run: _Run, entry: dict, c: Check) -> None:
    bad = {**entry["body"], "messages": []}  # the recorded request, made invalid
    try:
        answer = run.send(entry, body=bad)
    except ConnectionError as e:
        return c.fail(f"a request with no messages: {scrub(e, [run.token])}")
    got = _json(answer.body)
    error = got.get("error") if isinstance(got, dict) else None
    if not 400 <= answer.status < 500:
        c.fail(f"a request with no messages gave {answer.status}, not a 4xx")
    elif not (isinstance(error, dict) and got.get("type") == "error"
              and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)):
        c.fail(f"{answer.status} without the Messages error JSON: "
               f"{printable(_text(answer.body), 120)}")
    else:
        c.detail = f"a request with no messages → {answer.status} {printable(error['type'])}"


def _report(shown: str, corpus: dict, checks: list, token: str, trace=None):
    for c in checks:
        # A check's own fix (the deadline's "raise --deadline") beats the criterion's general one.
        c.detail, c.fix = scrub(c.detail, [token]), c.fix or CRITERIA[c.name]
    if trace:
        c, differences, compared, where = trace
        c.fix = "pass Claude Code's headers, betas and body to the provider unchanged"
        checks.append(c)
    mark = {"pass": "PASS", "fail": "FAIL", "unproven": "NOT PROVEN"}
    lines = [f"Replaying Claude Code {corpus['claude_code']}'s requests against {shown}:"]
    for c in checks:
        lines.append(f"  {mark[c.status]:10} {c.name}: {c.detail}")
    found = [Finding("error", "conformance-" + c.name.replace(" ", "-"),
                     f"{c.name}: {c.detail}", c.fix, shown) for c in checks
             if c.status == "fail" and c.name != TRACE]
    extra = {"report": "\n".join(lines), "url": shown, "claude_code": corpus["claude_code"],
             "criteria": [{"name": c.name, "status": c.status, "detail": c.detail,
                           "fix": c.fix if c.status == "fail" else ""} for c in checks]}
    if trace:
        lines.append(f"What reached the upstream at {where} ({compared} requests compared), "
                     "as against what was sent to the gateway:")
        lines += [printable(changes.line(d, compared), None) for d in differences] or \
            ["  no difference"]
        found += [Finding("error", f"trace-{d.part}-{d.change}",
                          f"{d.part} {d.name} {d.change} by the gateway: breaks {d.feature}",
                          d.fix, shown) for d in differences if d.feature]
        extra["report"] = "\n".join(lines)
        extra["trace"] = {"upstream": where, "compared": compared,
                          "differences": [d.as_dict() for d in differences]}
    extra["junit"] = junit(extra)
    return found, extra


def junit(extra: dict) -> str:
    from xml.sax.saxutils import quoteattr

    cases = []
    for c in extra["criteria"]:
        inner = {"fail": f"<failure message={quoteattr(c['detail'])}>{quoteattr(c['fix'])[1:-1]}"
                         "</failure>",
                 "unproven": f"<skipped message={quoteattr(c['detail'])}/>"}.get(c["status"], "")
        cases.append(f'    <testcase classname="conformance" name={quoteattr(c["name"])}>'
                     f"{inner}</testcase>")
    failures = sum(c["status"] == "fail" for c in extra["criteria"])
    skipped = sum(c["status"] == "unproven" for c in extra["criteria"])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name='
            f'{quoteattr("gateway-assistant conformance " + extra["url"])} '
            f'tests="{len(cases)}" failures="{failures}" skipped="{skipped}">\n'
            + "\n".join(cases) + "\n</testsuite>")
