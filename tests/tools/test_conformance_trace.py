"""`gateway-assistant conformance --upstream`: the kit is also the gateway's upstream, and
reports what the gateway changed between the request it was sent and the request that reached
the upstream. Against the quickstart's LiteLLM on the published staging config, every
difference LiteLLM makes is asserted, and checked against what the packet recorder saw arrive
at the upstream's port (every header, every body field, unfiltered); against a gateway that
forwards faithfully but for one defect, the trace names exactly that defect and the feature it
breaks, and never prints the key."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from gateway_assistant import corpus
from gateway_assistant.changes import BETAS, FIELDS, HEADERS, PER_CONNECTION
from gateway_assistant.cli import main
from gateway_assistant.upstream import Upstream
from tests.harness.project import LITELLM_VERSION
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.wire import front_door
from tests.harness.wire.hostile_gateway import HostileGateway
from tests.tools.test_conformance import KEY, MASTER_KEY, TIMES, reader, run_kit  # noqa: F401

START = ("quickstart/03-start-gateway.sh",)
STAGING = {"config.yaml": "gateway-assistant/16-staging-config.yaml"}
RUN = "gateway-assistant/17-conformance-upstream.sh"
PORT = 9100  # the upstream's port in the staging config and the snippet
TRACED = ["messages", "streaming", "tool result"]
SENT = {e["name"]: e for e in corpus.load()["requests"]}["streaming"]


def differences(report: dict) -> list[tuple]:
    """Every difference of the trace, in the order the report lists them."""
    return [(d["part"], d["name"], d["change"], d["sent"], d["arrived"], d["requests"],
             bool(d["feature"]), bool(d["fix"])) for d in report["trace"]["differences"]]


# -- The staging config ---------------------------------------------------------------------

def test_staging_config_is_the_quickstart_models_with_api_base():
    """What the snippet's comment says: each model as the quickstart has it, plus api_base."""
    staging = yaml.safe_load(snippet(STAGING["config.yaml"]).read_text())
    quick = yaml.safe_load(snippet("quickstart/02-config.yaml").read_text())
    for model in quick["model_list"]:
        model["litellm_params"]["api_base"] = f"http://127.0.0.1:{PORT}"
    assert staging["model_list"] == quick["model_list"]
    assert staging["general_settings"] == quick["general_settings"]


# -- Against LiteLLM ------------------------------------------------------------------------

# What the quickstart's LiteLLM changes, measured: every header of Claude Code's requests that
# does not arrive, the two it rewrites, the betas in another order, and the key replaced by
# the provider key (x-api-key); the body and the stream pass unchanged.
LITELLM_DROPS = ["anthropic-dangerous-direct-browser-access", "x-app",
                 "x-claude-code-session-id", "x-stainless-arch", "x-stainless-lang",
                 "x-stainless-os", "x-stainless-package-version", "x-stainless-retry-count",
                 "x-stainless-runtime", "x-stainless-runtime-version", "x-stainless-timeout"]
LITELLM_ARRIVES = {"accept", "anthropic-beta", "anthropic-version", "content-type", "user-agent",
                   "x-api-key"}


def litellm_differences() -> list[tuple]:
    h = SENT["headers"]
    found = [("header", "accept", "changed", h["accept"], "*/*"),
             ("header", "anthropic-beta", "reordered", "8 betas",
              "the same betas, in another order")]
    found += [("header", name, "dropped", h[name], "") for name in LITELLM_DROPS[:1]]
    found += [("header", "user-agent", "changed", h["user-agent"], f"litellm/{LITELLM_VERSION}")]
    found += [("header", name, "dropped", h[name], "") for name in LITELLM_DROPS[1:]]
    found += [("credential", "x-api-key", "replaced", "authorization", "x-api-key")]
    return [(*d, TRACED, False, False) for d in found]


@pytest.fixture
def staging(gateways):
    return gateways.get(START, STAGING)


def test_trace_of_what_litellm_changes(staging, capsys):
    with front_door.record(PORT) as door:
        code, report = run_kit(staging.url, MASTER_KEY, capsys, "--upstream", f"127.0.0.1:{PORT}")
    trace = {c["name"]: c for c in report["criteria"]}["upstream trace"]
    assert code == 0 and trace["status"] == "pass", report["criteria"]
    assert report["trace"]["compared"] == 3 and report["findings"] == []
    assert differences(report) == litellm_differences()
    # The same, from the packet recorder at the upstream's port: every request that arrived,
    # every header and every body field, against what the kit sent the gateway.
    arrived = [r for r in door.requests if r.method == "POST"]
    bodies = [json.loads(r.body) for r in arrived]
    assert [r.path for r in arrived] == ["/v1/messages"] * 4
    assert bodies[3]["messages"] == []  # the error-shape request, not traced
    sent = {"messages": {**SENT["body"], "stream": False}, "streaming": SENT["body"],
            "tool result": {e["name"]: e for e in corpus.load()["requests"]}["tool result"]
            ["body"]}
    assert bodies[:3] == [sent[name] for name in TRACED]
    for r in arrived[:3]:
        names = set(r.headers) - PER_CONNECTION
        assert names == LITELLM_ARRIVES, sorted(names)
        # The provider key of the quickstart's start snippet, not the key the kit presented.
        assert r.headers["x-api-key"] == "sk-ant-your-anthropic-key", r.headers["x-api-key"]
        assert {n: r.headers[n] for n in names - {"x-api-key"}} == {
            "accept": "*/*", "anthropic-version": SENT["headers"]["anthropic-version"],
            "content-type": "application/json", "user-agent": f"litellm/{LITELLM_VERSION}",
            "anthropic-beta": ",".join(sorted(SENT["headers"]["anthropic-beta"].split(",")))}
    assert set(SENT["headers"]) - {"accept-encoding"} - LITELLM_ARRIVES == \
        set(LITELLM_DROPS) | {"authorization"}


def test_trace_on_the_reference_page(staging, reader):  # noqa: F811
    result = reader.run("quickstart/06-connect-shell.sh", RUN)
    assert result.code == 0 and "FAIL" not in result.stdout, result.output
    assert "PASS       upstream trace" in result.stdout, result.output
    assert MASTER_KEY not in result.output
    captures.check("gateway-assistant/conformance-upstream.console", captures.console(
        snippet(RUN).read_text(), result.stdout + result.stderr), figures=f"(?m){TIMES}")


# -- Against a gateway with one defect ------------------------------------------------------

class Forwarding:
    """A gateway that forwards every request to the upstream and streams the answer back as it
    comes, changing nothing but its one defect: `strip` removes a header, `beta` one beta
    from anthropic-beta, `field` a top-level body field, `mark` a key of each system block
    (cache_control), `ping` the ping events of a stream, `buffer` the answer held back until
    it is complete, `usage` the output tokens of a stream's message_delta set to 0."""

    HOP = {"host", "content-length", "connection", "transfer-encoding"}

    def __init__(self, upstream_port: int, strip: str = "", beta: str = "", field: str = "",
                 mark: str = "", ping: bool = True, buffer: bool = False,
                 usage: bool = False):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                outer.forward(self, upstream_port, strip, beta, field, mark, ping, buffer,
                              usage)

            do_GET = do_POST = do_HEAD = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def forward(h, port, strip, beta, field, mark, ping, buffer, usage):
        raw = h.rfile.read(int(h.headers.get("content-length") or 0))
        if raw and (field or mark):
            body = json.loads(raw)
            body.pop(field, None)
            for block in body.get("system", []) if mark else []:
                block.pop(mark, None)
            raw = json.dumps(body).encode()
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in Forwarding.HOP and k.lower() != strip}
        if beta:
            headers = {k: ",".join(b for b in v.split(",") if b != beta)
                       if k.lower() == "anthropic-beta" else v for k, v in headers.items()}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(h.command, h.path, raw or None, headers)
        answer = conn.getresponse()
        h.send_response(answer.status)
        h.send_header("content-type", answer.getheader("content-type") or "")
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()
        while h.command != "HEAD":  # as it comes: a stream stays a stream
            got = answer.read() if buffer else answer.read1(65536)
            chunk = got if ping else got.replace(b'event: ping\ndata: {"type": "ping"}\n\n', b"")
            if usage and b"message_delta" in chunk:
                chunk = chunk.replace(b'"output_tokens": 7', b'"output_tokens": 0')
            if chunk or not got:  # an empty chunk ends the answer
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                h.wfile.flush()
            if not got:
                break
        conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


FORWARDED = ("credential", "authorization", "forwarded", "authorization", "authorization",
             TRACED, False, False)
MARKED = [i for i, block in enumerate(SENT["body"]["system"]) if "cache_control" in block]
DEFECTS = {  # the gateway's defect: every difference it makes, the feature it breaks
    "strip anthropic-version": (
        {"strip": "anthropic-version"},
        [("header", "anthropic-version", "dropped", "2023-06-01", "", TRACED, True, True)],
        HEADERS["anthropic-version"]),
    "strip one beta": (
        {"beta": "context-management-2025-06-27"},
        [("beta", "context-management-2025-06-27", "dropped", "", "", TRACED, True, True)],
        BETAS["context-management-2025-06-27"]),
    "drop context_management": (
        {"field": "context_management"},
        [("body", "context_management", "dropped", json.dumps(
            SENT["body"]["context_management"], sort_keys=True), "", TRACED, True, True)],
        FIELDS["context_management"]),
    # Two system blocks carry a mark in every request that has a system prompt (the
    # non-streaming `messages` is the streaming request with stream false).
    "strip cache_control from the system prompt": (
        {"mark": "cache_control"},
        [("body", f"system[{i}].cache_control", "dropped", '{"type": "ephemeral"}', "",
          TRACED, True, True) for i in MARKED],
        FIELDS["cache_control"]),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_trace_names_exactly_what_a_broken_gateway_changed(defect, capsys):
    change, expected, feature = DEFECTS[defect]
    port = free_port()
    with Forwarding(port, **change) as gw:
        code, report = run_kit(gw.url, KEY, capsys, "--upstream", str(port))
    # Every difference of every header, beta, body field and stream event: the defect, and
    # the key this gateway passes on as it came (shown by name only).
    assert sorted(differences(report)) == sorted([*expected, FORWARDED]), report["trace"]
    broken = [d for d in report["trace"]["differences"] if d["feature"]]
    assert {d["feature"] for d in broken} == {feature}
    failed = {c["name"]: c["status"] for c in report["criteria"] if c["status"] != "pass"}
    assert code == 1 and failed == {"upstream trace": "fail"}, report["criteria"]
    assert [(f["code"], f["fix"]) for f in report["findings"]] == [
        (f"trace-{d['part']}-dropped", d["fix"]) for d in broken]
    assert all(feature in f["message"] for f in report["findings"])
    assert KEY not in json.dumps(report) and KEY[3:-4] not in json.dumps(report)


# -- The stand-in itself --------------------------------------------------------------------

def test_upstream_listens_on_loopback_and_keeps_no_key():
    """A port alone listens on 127.0.0.1, a named host on that host; a credential header is
    kept by name, its value replaced, and only compared with the reader's key."""
    port = free_port()
    with Upstream(f"0.0.0.0:{port}") as anywhere:
        assert anywhere.server.server_address[0] == "0.0.0.0"
    with Upstream(str(port), KEY) as up:
        assert up.server.server_address[0] == "127.0.0.1"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/v1/messages", json.dumps(
            {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}),
            {"x-api-key": KEY, "authorization": "Bearer other-key-0123456789"})
        answer = json.loads(conn.getresponse().read())
    assert answer["type"] == "message" and answer["model"] == "m"
    (arrival,) = up.arrivals
    assert arrival.headers["x-api-key"] == arrival.headers["authorization"] == "(redacted)"
    assert arrival.carried_key is True
    assert KEY not in json.dumps(vars(arrival))


def test_upstream_port_taken_or_wrong_is_one_line(capsys):
    """A port another program holds: exit 3 and one line; a malformed address: usage, 2."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        code = main(["conformance", "http://127.0.0.1:9", "--token", KEY,
                     "--upstream", str(port)])
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1, err
    assert f"cannot listen on 127.0.0.1:{port} for --upstream: Address already in use" in err
    with pytest.raises(SystemExit) as usage:
        main(["conformance", "http://127.0.0.1:9", "--upstream", "host-without-port"])
    assert usage.value.code == 2 and "give a port, or HOST:PORT" in capsys.readouterr().err


def test_trace_sees_a_stream_changed_on_the_way_back(capsys, monkeypatch):
    """Ping events dropped: listed, for information, in the two streaming requests only."""
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    port = free_port()
    with Forwarding(port, ping=False) as gw:
        code = main(["conformance", gw.url, "--upstream", str(port)])
    out = capsys.readouterr().out
    trace = out.split("as against what was sent to the gateway:\n")[1].splitlines()
    assert code == 0 and trace == [
        "  FORWARDED  credential authorization: sent as authorization, arrived as authorization "
        "(value not shown): the key sent to the gateway",
        "  DROPPED    stream ping: did not arrive (streaming, tool result)",
        "0 error(s), 0 warning(s)"], out


def test_trace_sees_an_event_rewritten(capsys):
    """One value in one event's data changed: named by its path, in both streams."""
    port = free_port()
    with Forwarding(port, usage=True) as gw:
        code, report = run_kit(gw.url, KEY, capsys, "--upstream", str(port))
    assert differences(report) == [
        FORWARDED, ("stream", "message_delta.usage.output_tokens", "changed", "7", "0",
                    ["streaming", "tool result"], True, True)], report["trace"]
    failed = {c["name"] for c in report["criteria"] if c["status"] != "pass"}
    assert code == 1 and failed == {"upstream trace"}


def test_trace_sees_a_buffered_stream(capsys):
    port = free_port()
    with Forwarding(port, buffer=True) as gw:
        code, report = run_kit(gw.url, KEY, capsys, "--upstream", str(port))
    found = [d for d in report["trace"]["differences"] if d["part"] != "credential"]
    assert [(d["part"], d["name"], d["change"], d["requests"]) for d in found] == [
        ("stream", "timing", "buffered", ["streaming", "tool result"])], found
    assert found[0]["feature"] == "text appearing as Claude Code writes it"
    failed = {c["name"] for c in report["criteria"] if c["status"] != "pass"}
    assert code == 1 and failed == {"incremental delivery", "upstream trace"}


def test_trace_without_traffic_is_not_proven(capsys):
    """A gateway that does not forward to the kit: nothing to compare, and it says so."""
    port = free_port()
    with HostileGateway("refuse-betas") as g:
        code, report = run_kit(g.url, KEY, capsys, "--upstream", str(port))
    trace = {c["name"]: c for c in report["criteria"]}["upstream trace"]
    assert trace["status"] == "unproven" and report["trace"]["differences"] == []
    assert trace["detail"] == (f"no replayed Messages request reached the upstream at "
                               f"http://127.0.0.1:{port}: point the gateway's Anthropic base "
                               "URL (LiteLLM: api_base) at it")
