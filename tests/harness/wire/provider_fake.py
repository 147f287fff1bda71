"""The model provider stand-in: a local HTTP server that records every request it receives
and answers in the provider's own wire format.

It is the only fake in the proof. Wire formats register routes on it (see anthropic_wire.py);
Vertex and Bedrock formats plug in the same way. Faults (status + body, retry-after, hang,
drop) apply to the next matching requests, whatever the route.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the provider received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def json(self):
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    status: int | None = None
    body: dict | None = None
    retry_after: str | None = None
    hang: bool = False
    drop: bool = False
    times: int = 1
    path: str = ""  # only requests whose path matches this (regex search); "" = every path
    headers: dict[str, str] | None = None  # e.g. a Location for a redirect


class Response:
    """What a route handler writes: a whole body, or a stream of chunks."""

    def __init__(self, handler: BaseHTTPRequestHandler, extra: dict[str, str] | None = None):
        self._h = handler
        self._extra = extra or {}  # headers the fake adds to every answer

    def json(self, status: int, payload, headers: dict[str, str] | None = None) -> None:
        self.bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def bytes(self, status, data: bytes, content_type: str, headers=None) -> None:
        h = self._h
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for k, v in {**self._extra, **(headers or {})}.items():
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def stream(self, content_type: str, chunks, headers=None) -> None:
        """Chunked transfer encoding, flushed per chunk, as real providers stream."""
        h = self._h
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache")
        for k, v in {**self._extra, **(headers or {})}.items():
            h.send_header(k, v)
        h.end_headers()
        for chunk in chunks:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            h.wfile.flush()
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()


Handler = Callable[[Request, Response, re.Match], None]


@dataclass
class ProviderFake:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    reply_text: str = "pong"
    tls: ssl.SSLContext | None = None  # serve HTTPS (a provider behind a real certificate)
    # Seconds between streamed events, so a test can tell a gateway that buffers a stream
    # (all events arrive together at the end) from one that passes it on as it comes.
    sse_gap_s: float = 0.0
    # One pause after the first streamed event (a model thinking before it writes), and how
    # often to send `ping` events during it (0: none), as the Messages API keeps a quiet
    # stream alive. Lets a test tell a gateway that times out or drops pings from one that
    # passes them on.
    sse_pause_s: float = 0.0
    sse_ping_s: float = 0.0
    # Headers added to every answer (e.g. a load balancer's Set-Cookie).
    response_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self._initial = (self.reply_text, self.sse_gap_s, self.sse_pause_s, self.sse_ping_s)
        self.on_reset: list[Callable[[], None]] = []  # wire formats undo their own state
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- routes -----------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern), handler))

    # -- faults -----------------------------------------------------------------------------
    def fail(self, status: int, body: dict | None = None, retry_after=None, times=1,
             path: str = "", headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests (on `path`, if given: Claude Code also sends
        `HEAD /api/hello` first) with this status and (provider-shaped) body."""
        self._add(Fault(status=status, body=body, retry_after=retry_after, times=times,
                        path=path, headers=headers))

    def hang(self, times=1) -> None:
        """Accept the next requests and never answer (until the fake stops)."""
        self._add(Fault(hang=True, times=times))

    def drop(self, times=1) -> None:
        """Reset the connection of the next requests without an answer."""
        self._add(Fault(drop=True, times=times))

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.requests.clear()
            self.reply_text, self.sse_gap_s, self.sse_pause_s, self.sse_ping_s = self._initial
            self.response_headers = {}
        for undo in list(self.on_reset):
            undo()

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, path: str = "") -> Fault | None:
        with self._lock:
            if not self._faults or not re.search(self._faults[0].path, path):
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            return fault

    # -- queries for tests --------------------------------------------------------------
    def received(self, method: str | None = None, path_re: str = "") -> list[Request]:
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method) and re.search(path_re, r.path)
        ]

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> ProviderFake:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Stream events leave at once, as a real provider's do: without it Nagle's
            # algorithm holds small writes for the client's delayed ACK (~40 ms).
            disable_nagle_algorithm = True

            def log_message(self, *args):  # the recorder is the log
                pass

            def _serve(self):
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with fake._lock:
                    fake.requests.append(req)
                resp = Response(self, fake.response_headers)
                fault = fake._take_fault(split.path)
                if fault and fault.drop:
                    # SO_LINGER 0 makes close() send RST: a dropped connection, not a clean EOF.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                if fault and fault.hang:
                    fake._release.wait()
                    self.close_connection = True
                    return
                if fault:
                    headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
                    headers.update(fault.headers or {})
                    resp.json(fault.status, fault.body or {}, headers)
                    return
                for method, pattern, handler in fake._routes:
                    m = pattern.fullmatch(split.path)
                    if method == self.command and m:
                        handler(req, resp, m)
                        return
                resp.json(404, {"type": "error", "error": {"type": "not_found_error",
                                                           "message": f"Not found: {split.path}"}})

            # Every method is recorded: a test about what arrived sees all of it.
            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        if self.tls:  # handshakes happen per connection, in the handler threads
            self._server.socket = self.tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def serving(*wires: Callable[[ProviderFake], object], **settings):
    """A started fake speaking each wire format given (their `install` functions), stopped
    when the block ends: `with serving(anthropic_wire.install, port=443) as fake: ...`."""
    fake = ProviderFake(**settings)
    for install in wires:
        install(fake)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
