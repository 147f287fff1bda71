"""`gateway-assistant probe`: passes against the real LiteLLM (quickstart config) in front of
the provider fake, and fails with the precise reason against a gateway that buffers the
event stream or refuses Bearer tokens (two small stand-ins in front of the same LiteLLM)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gateway_assistant.cli import main
from gateway_assistant.probe import probe

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
MASTER_KEY = "sk-litellm-change-me"  # what 03-start-gateway.sh exports
GAP_S = 0.1  # the provider fake spaces its events, so buffering becomes visible


@pytest.fixture
def gateway(gateways, upstream):
    upstream.sse_gap_s = GAP_S
    yield gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": upstream.url})
    upstream.sse_gap_s = 0.0


class BrokenGateway:
    """A reverse proxy in front of a real gateway with one defect: `buffer` reads the whole
    upstream answer before sending any of it (as a proxy with response buffering does);
    `reject-bearer` refuses requests that authenticate with Authorization: Bearer;
    `html-errors` answers every error with an HTML page instead of the gateway's JSON."""

    def __init__(self, upstream: str, defect: str):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if defect == "reject-bearer" and self.headers.get("authorization"):
                    return self.answer(401, "application/json", json.dumps(
                        {"error": {"message": "use x-api-key"}}).encode())
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "authorization", "x-api-key",
                                            "anthropic-version")}
                request = urllib.request.Request(upstream + self.path, body, headers)
                try:
                    with urllib.request.urlopen(request, timeout=60) as r:
                        status, kind, data = r.status, r.headers["content-type"], r.read()
                except urllib.error.HTTPError as e:
                    status, kind, data = e.code, e.headers["content-type"], e.read()
                if defect == "html-errors" and status >= 400:
                    kind, data = "text/html", b"<html><body>Bad Request</body></html>"
                self.answer(status, kind, data)  # all at once: buffered

            def answer(self, status, kind, data):
                self.send_response(status)
                self.send_header("Content-Type", kind or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        outer.defect = defect

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def statuses(extra) -> dict[str, str]:
    return {c["name"]: c["status"] for c in extra["criteria"]}


def test_probe_passes_against_litellm(gateway, monkeypatch):
    from tests.tools.test_conformance import every_proxy_variable, listening_proxy
    with listening_proxy() as (proxy, connected):
        every_proxy_variable(monkeypatch, proxy)  # no connection may reach it
        found, extra = probe(gateway.url, token=MASTER_KEY)
    assert connected == [], connected
    assert found == [], found
    assert set(statuses(extra).values()) == {"pass"}, extra["criteria"]
    stream = next(c for c in extra["criteria"] if c["name"] == "streaming")
    assert "delivered incrementally" in stream["detail"]


@pytest.mark.parametrize("defect,criterion,reason", [
    ("buffer", "streaming", "all events arrived together at the end — the stream is buffered"),
    ("reject-bearer", "bearer auth", "Authorization: Bearer was refused (401)"),
    ("html-errors", "error shape", "400 without a JSON error.message"),
])
def test_probe_fails_with_the_reason(defect, criterion, reason, gateway):
    broken = BrokenGateway(gateway.url, defect)
    try:
        found, extra = probe(broken.url, token=MASTER_KEY)
    finally:
        broken.stop()
    failed = {f.code: f.message for f in found}
    assert f"probe-{criterion.replace(' ', '-')}" in failed, extra["criteria"]
    assert reason in failed[f"probe-{criterion.replace(' ', '-')}"], failed
    if defect == "html-errors":  # the fix says what Claude Code shows after which status
        (fix,) = [f.fix for f in found if f.code == "probe-error-shape"]
        assert "prints it after a 400 (after a 404 it prints its own model message)" in fix


def test_probe_cannot_run_without_a_gateway(capsys):
    assert main(["probe", "http://127.0.0.1:9", "--token", "x"]) == 3
    assert "cannot reach" in capsys.readouterr().err


def test_probe_cannot_judge_a_stream_that_is_too_fast(upstream):
    """The provider fake without pauses answers in well under 0.2 s: streaming NOT PROVEN."""
    upstream.sse_gap_s = 0.0
    _found, extra = probe(upstream.url, token="any")
    stream = next(c for c in extra["criteria"] if c["name"] == "streaming")
    assert stream["status"] == "unproven" and "too fast to tell" in stream["detail"], stream
