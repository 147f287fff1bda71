"""What a gateway changed between the request the kit sent it and the request that reached its
upstream (`conformance --upstream`): every header, every beta, every body field, the stream's
events and their timing. Each difference names the Claude Code feature it breaks and its fix;
a difference no feature depends on is listed for information only."""

from __future__ import annotations

import json

# Set by each HTTP client for its own connection, so never the same on both sides.
PER_CONNECTION = {"host", "content-length", "connection", "transfer-encoding", "keep-alive",
                  "te", "upgrade", "accept-encoding"}
CREDENTIALS = {"authorization", "x-api-key", "proxy-authorization", "cookie", "api-key",
               "x-goog-api-key"}
BETAS = {
    "interleaved-thinking-2025-05-14": "thinking between tool calls (interleaved thinking)",
    "context-management-2025-06-27": "context editing (the context_management field)",
    "effort-2025-11-24": "the effort setting (the output_config field)",
}
FIELDS = {  # body field: the feature it carries
    "tools": "tool use (Claude Code's tools and their schemas)",
    "system": "Claude Code's system prompt",
    "messages": "the conversation: the prompt and the tool results",
    "metadata": "the user id Claude Code sends in metadata",
    "context_management": "context editing (clearing old thinking)",
    "thinking": "extended thinking",
    "output_config": "the effort setting",
    "max_tokens": "the answer length Claude Code asks for",
    "stream": "streamed answers",
    "cache_control": "prompt caching (the cache_control marks)",
}
HEADERS = {"anthropic-version": "every Messages request: the API requires anthropic-version",
           "anthropic-client-version": "the client version the API sees"}
INFO_FIELDS = {"model"}  # a gateway maps model names: routing, not a defect
MAX_PATHS = 3  # differences shown per body field and request


class Difference:
    def __init__(self, request, part, name, change, sent="", arrived="", feature="", fix=""):
        self.requests, self.part, self.name, self.change = [request], part, name, change
        self.sent, self.arrived, self.feature, self.fix = sent, arrived, feature, fix

    @property
    def key(self):
        measured = self.part == "stream" and self.name == "timing"  # differs per run
        return (self.part, self.name, self.change) + (() if measured else
                                                      (self.sent, self.arrived))

    def as_dict(self) -> dict:
        return {"requests": self.requests, "part": self.part, "name": self.name,
                "change": self.change, "sent": self.sent, "arrived": self.arrived,
                "feature": self.feature, "fix": self.fix}


def _short(value, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _betas(value: str) -> list[str]:
    return [b.strip() for b in (value or "").split(",") if b.strip()]


def headers(request: str, sent: dict, arrived: dict, carried_key: bool) -> list[Difference]:
    out = []
    for name in sorted(set(sent) | set(arrived)):
        if name in PER_CONNECTION or name in CREDENTIALS:
            continue
        a, b = sent.get(name), arrived.get(name)
        if a == b:
            continue
        if name == "anthropic-beta" and a is not None:
            have = _betas(b)
            for beta in _betas(a):
                if beta not in have:
                    out.append(Difference(
                        request, "beta", beta, "dropped",
                        feature=BETAS.get(beta, f"what the {beta} beta turns on"),
                        fix="pass anthropic-beta through unchanged, every beta, known to the "
                            "gateway or not"))
            out += [Difference(request, "beta", beta, "added") for beta in have
                    if beta not in _betas(a)]
            if sorted(_betas(a)) == sorted(have):
                out.append(Difference(request, "header", name, "reordered",
                                      f"{len(have)} betas", "the same betas, in another order"))
            continue
        change = "dropped" if b is None else "added" if a is None else "changed"
        feature = HEADERS.get(name, "") if change != "added" else ""
        out.append(Difference(request, "header", name, change, _short(a or ""),
                              _short(b or ""), feature,
                              f"pass {name} through unchanged" if feature else ""))
    given = sorted(n for n in sent if n in CREDENTIALS)
    got = sorted(n for n in arrived if n in CREDENTIALS)
    out.append(Difference(request, "credential", ", ".join(got) or "none",
                          "forwarded" if carried_key else "replaced" if got else "dropped",
                          ", ".join(given), ", ".join(got)))
    return out


def _paths(a, b, path: str):
    """(path, change, sent, arrived) for every leaf where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            where = f"{path}.{k}" if path else k
            if k not in b:
                yield where, "dropped", _short(a[k]), ""
            elif k not in a:
                yield where, "added", "", _short(b[k])
            else:
                yield from _paths(a[k], b[k], where)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _paths(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, "changed", _short(a), _short(b)


def body(request: str, sent, arrived) -> list[Difference]:
    out = []
    if not isinstance(sent, dict) or not isinstance(arrived, dict):
        return [Difference(request, "body", "(whole body)", "changed", _short(sent),
                           _short(arrived), FIELDS["messages"], "forward the JSON body")]
    for field in list(sent) + [k for k in arrived if k not in sent]:
        found = list(_paths({field: sent.get(field)} if field in sent else {},
                            {field: arrived.get(field)} if field in arrived else {}, ""))
        for path, change, a, b in found[:MAX_PATHS]:
            key = "cache_control" if ".cache_control" in path or path.startswith(
                "cache_control") else field
            breaks = change != "added" and field not in INFO_FIELDS
            feature = FIELDS.get(key, f"the {field} field Claude Code sends") if breaks else ""
            out.append(Difference(request, "body", path, change, a, b, feature,
                                  f"pass the body field {key} through unchanged"
                                  if breaks else ""))
        if len(found) > MAX_PATHS:
            out.append(Difference(request, "body", field, f"{len(found) - MAX_PATHS} more "
                                                          "differences"))
    return out


def stream(request: str, upstream, got_events: list, got_times: list,
           got_data: list) -> list[Difference]:
    """The events the upstream sent (`upstream`: events, event_times, event_data) against
    those the kit read: their types, each event's data, and their timing."""
    upstream_events, upstream_times = upstream.events, upstream.event_times
    out, sent = [], [e for e in upstream_events if e != "ping"]
    got = [e for e in got_events if e != "ping"]
    fix = "pass the provider's server-sent events through unchanged"
    if sent != got:
        out.append(Difference(request, "stream", "events", "changed", " ".join(sent),
                              " ".join(got), FIELDS["stream"], fix))
    else:
        pairs = zip([d for d in upstream.event_data if d.get("type") != "ping"],
                    [d for e, d in zip(got_events, got_data) if e != "ping"])
        for a, b in pairs:
            for path, change, x, y in _paths(a, b, a["type"]):
                info = path.rsplit(".", 1)[-1] in ("id", "model")  # a gateway's own ids
                out.append(Difference(request, "stream", path, change, x, y,
                                      "" if info else FIELDS["stream"], "" if info else fix))
    if "ping" in upstream_events and "ping" not in got_events:
        out.append(Difference(request, "stream", "ping", "dropped"))
    if len(upstream_times) > 1 and len(got_times) > 1:
        spread = upstream_times[-1] - upstream_times[0]
        held = got_times[-1] - got_times[0]
        if held < 0.1 * spread:
            out.append(Difference(
                request, "stream", "timing", "buffered", f"over {spread * 1000:.0f} ms",
                f"within {held * 1000:.0f} ms", "text appearing as Claude Code writes it",
                "turn off response buffering between Claude Code and the provider"))
    return out


def merged(differences: list[Difference]) -> list[Difference]:
    """One entry per difference, with every request it was found in."""
    seen: dict = {}
    for d in differences:
        if d.key in seen:
            seen[d.key].requests += [r for r in d.requests if r not in seen[d.key].requests]
        else:
            seen[d.key] = d
    return list(seen.values())


def line(d: Difference, every: int) -> str:
    where = "" if len(d.requests) == every else f" ({', '.join(d.requests)})"
    what = {"dropped": f"sent {d.sent}, did not arrive" if d.sent else "did not arrive",
            "added": f"arrived {d.arrived}, not sent" if d.arrived else "arrived, not sent",
            "changed": f"sent {d.sent}, arrived {d.arrived}",
            "buffered": f"sent {d.sent}, arrived {d.arrived}"}.get(d.change, d.arrived)
    if d.part == "credential":
        what = (f"sent as {d.sent or 'none'}, arrived as {d.arrived or 'none'} (value not "
                "shown): " + {"forwarded": "the key sent to the gateway",
                              "replaced": "not the key sent to the gateway"}.get(d.change, ""))
    breaks = f" — breaks {d.feature}" if d.feature else ""
    return f"  {d.change.split()[0].upper():10} {d.part} {d.name}: {what}{breaks}{where}"
