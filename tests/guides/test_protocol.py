"""The gateway protocol as the pinned Claude Code speaks it (docs/reference/gateway-protocol.md),
measured with the CLI pointed at a recording stand-in for a gateway on localhost:4000.

Each test writes one table of the page as a capture (docs/_captured/protocol/*.md): a new
pinned version shows its differences as a diff of those files. Every row names this module's
test that produced it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.harness.proof import captures
from tests.harness.reader.expect import claude_replied
from tests.harness.reader.terminal import Terminal
from tests.harness.wire import anthropic_wire, front_door
from tests.harness.wire.provider_fake import serving

CONNECT = "protocol/01-connect.sh"
ASK = "protocol/02-ask.sh"
DISCOVERY = "protocol/03-model-discovery.sh"
QUIET = "protocol/04-no-nonessential-traffic.sh"
NO_BETAS = "protocol/05-no-experimental-betas.sh"
INTERACTIVE = "protocol/06-interactive.sh"
TOKEN = "sk-litellm-change-me"
MODELS = ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]
MOVED = "/moved"  # where the stand-in serves the Messages API again, for redirects


@pytest.fixture(scope="module")
def stand_in(gateways):
    gateways.free_port(4000)  # the published address; a gateway from another guide may hold it
    with serving(anthropic_wire.install,
                 lambda f: anthropic_wire.install_models(f, MODELS),
                 lambda f: anthropic_wire.install(f, prefix=MOVED),
                 port=4000) as fake:
        yield fake


@pytest.fixture
def gateway(stand_in):
    stand_in.reset()
    yield stand_in
    stand_in.reset()


def proof(test: str) -> str:
    return f"{{proof}}`{test}`"


def cell(text: str) -> str:
    """A table cell holding text exactly (a literal; pipes escaped for the table)."""
    text = " ".join(text.split()).replace("|", "\\|")
    return f"`` {text} ``" if text else ""


def table(head: list[str], rows: list[list[str]], proven_by: str) -> str:
    """A markdown table whose first heading carries the proof mark of every row."""
    head = [f"{head[0]} {proof(proven_by)}", *head[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def route(request) -> str:
    query = "&".join(f"{k}={v[0]}" for k, v in sorted(request.query.items()))
    body = (request.json or {}) if request.method == "POST" else {}
    about = f" (model {body['model']}, {len(body.get('tools', []))} tools)" if body else ""
    return f"{request.method} {request.path}" + (f"?{query}" if query else "") + about


def settle(fake, seconds: float = 1.0) -> None:
    """Wait until no request has arrived for `seconds` (background calls finish late)."""
    count, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < seconds:
        if len(fake.requests) != count:
            count, quiet_since = len(fake.requests), time.monotonic()
        time.sleep(0.1)


# -- Which requests, in which mode ---------------------------------------------------------

PRINT_SCENARIOS = [
    ("`claude -p`", []),
    ("`claude -p` with `CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1`", [DISCOVERY]),
    ("`claude -p` with `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`", [QUIET]),
    ("`claude -p` with `CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1`", [NO_BETAS]),
]


def test_requests_in_print_mode(gateway, terminal):
    rows = []
    for label, extra in PRINT_SCENARIOS:
        gateway.reset()
        result = terminal.run(CONNECT, *extra, ASK)
        claude_replied(result, "pong")
        settle(gateway)
        rows.append([label, "<br>".join(cell(route(r)) for r in gateway.requests)])
    captures.check("protocol/requests-print.md",
                   table(["Run", "Requests the gateway receives, in order"], rows,
                         "test_requests_in_print_mode"))


def test_requests_in_interactive_mode(gateway, tmp_path):
    rows = []
    for i, (label, extra) in enumerate([
            ("`claude` (one prompt)", []),
            ("`claude` with `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`", [QUIET])]):
        terminal = Terminal(tmp_path / f"run{i}")  # its own HOME and tmux server
        terminal.seed_first_run()
        gateway.reset()
        with terminal.session(CONNECT, *extra, INTERACTIVE, timeout=60) as screen:
            # The answer's own mark: "pong" alone is in the typed prompt, which the screen
            # can show twice (the input box and the transcript) before any answer.
            screen.type("Reply with the word pong", "Reply with the word pong")
            shown = screen.wait(r"● pong")
            settle(gateway, 2.0)
        assert "● pong" in shown.split("Reply with the word pong", 1)[1]
        seen = [route(r) for r in gateway.requests]
        # The same route many times in a row is shown once with its count.
        grouped: list[list] = []
        for item in seen:
            if grouped and grouped[-1][0] == item:
                grouped[-1][1] += 1
            else:
                grouped.append([item, 1])
        rows.append([label, "<br>".join(
            cell(r) + (f" ×{n}" if n > 1 else "") for r, n in grouped)])
    captures.check("protocol/requests-interactive.md",
                   table(["Run", "Requests the gateway receives, in order"], rows,
                         "test_requests_in_interactive_mode"))


# -- Headers and body of a Messages request ------------------------------------------------

VARYING = {"content-length": "(body size)", "host": "localhost:4000"}


def _first_message(gateway, terminal, *extra):
    gateway.reset()
    claude_replied(terminal.run(CONNECT, *extra, ASK), "pong")
    return gateway.received("POST", r"^/v1/messages$")[0]


def test_headers_of_a_messages_request(gateway, terminal):
    default = _first_message(gateway, terminal)
    trimmed = _first_message(gateway, terminal, NO_BETAS)
    rows = []
    for name in sorted(default.headers):
        value = VARYING.get(name, default.headers[name])
        if name == "anthropic-beta":
            value = value.replace(",", ", ")
        rows.append([cell(name), cell(value)])
    only_default = sorted(set(default.header("anthropic-beta").split(","))
                          - set(trimmed.header("anthropic-beta").split(",")))
    kept = trimmed.header("anthropic-beta").replace(",", ", ")
    rows.append([cell("anthropic-beta") + " with `CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1`",
                 cell(kept) + " (removed: " + ", ".join(cell(b) for b in only_default) + ")"])
    captures.check("protocol/headers.md", table(["Header", "Value sent"], rows,
                                                "test_headers_of_a_messages_request"))


def test_no_request_carries_anthropic_client_version(gateway, terminal):
    """Every request of a `claude -p` run, every method and path: none carries an
    anthropic-client-version header; each Messages request carries anthropic-version."""
    gateway.reset()
    claude_replied(terminal.run(CONNECT, ASK), "pong")
    every = gateway.received()
    assert len(every) >= 2, [str(r) for r in every]
    assert not [str(r) for r in every if r.header("anthropic-client-version") is not None]
    messages = gateway.received("POST", r"^/v1/messages$")
    assert messages and all(r.header("anthropic-version") == "2023-06-01" for r in messages)


def _describe(key: str, value) -> str:
    if key == "messages":
        return f"{len(value)} message(s)"
    if key == "system":
        return f"{len(value)} text block(s)"
    if key == "tools":
        names = [t.get("name") for t in value]
        deferred = [t.get("name") for t in value if t.get("defer_loading")]
        text = f"{len(value)} tools: " + ", ".join(names)
        return text + (f"; deferred: {', '.join(deferred)}" if deferred else "")
    if key == "metadata":
        return "user_id: JSON with " + ", ".join(sorted(json.loads(value["user_id"])))
    return json.dumps(value, sort_keys=True)


def _cache_points(body) -> list[str]:
    where = []
    for i, block in enumerate(body.get("system", [])):
        if isinstance(block, dict) and "cache_control" in block:
            where.append(f"system[{i}] {json.dumps(block['cache_control'])}")
    for i, msg in enumerate(body.get("messages", [])):
        content = msg.get("content")
        for j, block in enumerate(content if isinstance(content, list) else []):
            if "cache_control" in block:
                where.append(f"messages[{i}].content[{j}] {json.dumps(block['cache_control'])}")
    for i, tool in enumerate(body.get("tools", [])):
        if "cache_control" in tool:
            where.append(f"tools[{i}] {json.dumps(tool['cache_control'])}")
    return where


def test_body_of_a_messages_request(gateway, terminal):
    default = _first_message(gateway, terminal).json
    trimmed = _first_message(gateway, terminal, NO_BETAS).json
    rows = []
    for key in sorted(set(default) | set(trimmed)):
        shown = cell(_describe(key, default[key])) if key in default else "(absent)"
        other = "same" if trimmed.get(key) == default.get(key) else (
            cell(_describe(key, trimmed[key])) if key in trimmed else "(absent)")
        rows.append([cell(key), shown, other])
    rows.append(["`cache_control` blocks", "<br>".join(cell(p) for p in _cache_points(default)),
                 "same" if _cache_points(trimmed) == _cache_points(default)
                 else "<br>".join(cell(p) for p in _cache_points(trimmed))])
    captures.check("protocol/body.md", table(
        ["Field", "Sent", "With `CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1`"], rows,
        "test_body_of_a_messages_request"))


# -- What Claude Code does with each kind of answer ----------------------------------------

STATUSES = [400, 401, 403, 404, 413, 429, 500, 502, 503, 529]
REDIRECTS = [301, 302, 307, 308]


def test_answers_to_each_status(gateway, terminal):
    rows = []
    for status in STATUSES:
        gateway.reset()
        gateway.fail(status, anthropic_wire.error_body(status, f"gateway says {status}"),
                     times=50)
        result = terminal.run(CONNECT, QUIET, ASK)
        attempts = len(gateway.received("POST", r"^/v1/messages$"))
        shown = result.output.strip().splitlines()
        if status == 404:  # the page: on a 404 Claude Code shows its own text, not the gateway's
            assert "gateway says 404" not in result.output, result.output
        rows.append([str(status), str(attempts), str(result.code),
                     cell(shown[0] if shown else "")])
    captures.check("protocol/answers.md", table(
        ["Gateway answers", "Attempts (harness: `CLAUDE_CODE_MAX_RETRIES=1`)", "Exit code",
         "Claude Code prints (first line)"], rows, "test_answers_to_each_status"))


def at_the_door(request) -> str:
    """One request as it arrived at localhost:4000: method, path and query, and what it
    carried (a Messages body's model and tools, or that it carried no body)."""
    body = json.loads(request.body) if request.body else None
    about = (f" (model {body['model']}, {len(body.get('tools', []))} tools)" if body
             else " (no body)")
    return request.method + " " + request.path + about


def test_answers_to_redirects(gateway, terminal):
    """Every request that reaches the door, whatever its method: after a 301 or 302 the
    follow-up is a GET, which a record of POSTs alone would hide. Each status runs with the
    harness's one retry and with none, to show which requests are retries."""
    moved = f"http://localhost:4000{MOVED}/v1/messages?beta=true"
    rows = []
    for status in REDIRECTS:
        runs = {}
        for retries in ("1", "0"):
            gateway.reset()
            gateway.fail(status, {}, headers={"Location": moved})
            terminal.env["CLAUDE_CODE_MAX_RETRIES"] = retries
            with front_door.record(4000) as door:
                # Without the startup HEAD, the redirect answers the Messages request itself.
                result = terminal.run(CONNECT, QUIET, ASK)
                settle(gateway)
            shown = result.output.strip().splitlines()
            runs[retries] = ([at_the_door(r) for r in door.requests], str(result.code),
                             cell(shown[0] if shown else ""))
        sent, code, printed = runs["1"]
        rows.append([str(status), "<br>".join(cell(s) for s in sent),
                     "same" if runs["0"] == runs["1"] else "<br>".join(
                         cell(s) for s in runs["0"][0]) + f" (exit {runs['0'][1]})",
                     code, printed])
    # The page says why the GET of a 301/302 fails here: the new address serves the Messages
    # API on POST only, and answers a GET with 404.
    gateway.reset()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(moved, timeout=10)
    assert refused.value.code == 404
    captures.check("protocol/redirects.md", table(
        ["Gateway answers", "Requests the gateway receives, in order",
         "With `CLAUDE_CODE_MAX_RETRIES=0`", "Exit code", "Claude Code prints (first line)"],
        rows, "test_answers_to_redirects"))
