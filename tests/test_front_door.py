"""The front door records everything sent to a port: every method, keep-alive requests in
order, chunked bodies, several connections, and nothing from other ports."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.harness.wire import front_door


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _any(self):
        if self.headers.get("transfer-encoding") == "chunked":
            while size := int(self.rfile.readline(), 16):  # then the empty last chunk's CRLF
                self.rfile.read(size + 2)
            self.rfile.read(2)
        else:
            self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"ok")

    do_GET = do_POST = do_HEAD = _any

    def log_message(self, *args):
        pass


@pytest.fixture
def listener(isolated):
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Answer) for _ in range(2)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield [s.server_address[1] for s in servers]
    for s in servers:
        s.shutdown()
        s.server_close()


def _exchange(port, method, path, **kw):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, **kw)
    c.getresponse().read()
    return c


def test_front_door_records_every_request_in_order(listener):
    port, other = listener
    with front_door.record(port) as door:
        c = _exchange(port, "HEAD", "/api/hello", headers={"x-api-key": "k"})
        c.request("POST", "/v1/messages", body=b"x" * 200_000)  # spans many packets
        c.getresponse().read()
        c.request("POST", "/chunked", body=iter([b"ab", b"cd"]), encode_chunked=True)
        c.getresponse().read()
        _exchange(other, "GET", "/elsewhere")
        _exchange(port, "GET", "/second-connection")
    assert door.lines() == ["HEAD /api/hello", "POST /v1/messages", "POST /chunked",
                            "GET /second-connection"]
    first, big, chunked, second = door.requests
    assert first.header("x-api-key") == "k" and first.body == b""
    assert big.body == b"x" * 200_000 and chunked.body == b"abcd"
    assert {r.connection for r in door.requests[:3]} == {0} and second.connection == 1


def test_front_door_records_nothing_when_nothing_is_sent(listener):
    with front_door.record(listener[0]) as door:
        _exchange(listener[1], "GET", "/elsewhere")
    assert door.requests == []
