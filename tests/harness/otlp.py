"""The company's OpenTelemetry collector stand-in: an OTLP/HTTP receiver that records what it
is sent (POST /v1/metrics, /v1/logs, /v1/traces) and answers 200, like a collector would.

Bodies are decoded without the OpenTelemetry SDK: JSON as JSON, protobuf by walking the wire
format and keeping every string field, which is where OTLP carries names, attribute keys and
values (`strings()`), enough to assert what reached the collector."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Export:
    path: str
    content_type: str
    body: bytes
    headers: dict[str, str]

    def strings(self) -> list[str]:
        if "json" in self.content_type:
            out: list[str] = []
            _json_strings(json.loads(self.body), out)
            return out
        return _proto_strings(self.body)


def _json_strings(value, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.append(k)
            _json_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _json_strings(v, out)


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _proto_strings(data: bytes, depth: int = 0) -> list[str]:
    """Every length-delimited field that is printable UTF-8 text is kept as a string; any
    other is walked as a nested message."""
    out, i = [], 0
    try:
        while i < len(data):
            key, i = _varint(data, i)
            wire = key & 7
            if wire == 0:
                _, i = _varint(data, i)
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            elif wire == 2:
                n, i = _varint(data, i)
                chunk = data[i:i + n]
                i += n
                try:  # OTLP messages start with a tag byte that is not printable text
                    text = chunk.decode()
                except UnicodeDecodeError:
                    text = None
                if text is not None and text.isprintable():
                    out.append(text)
                elif depth < 12 and chunk:
                    out.extend(_proto_strings(chunk, depth + 1))
            else:
                return [] if depth else out  # not a message after all
        return out
    except IndexError:
        return [] if depth else out


@dataclass
class Collector:
    host: str = "127.0.0.1"
    port: int = 0
    exports: list[Export] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Collector:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                collector.exports.append(Export(
                    self.path, self.headers.get("Content-Type", ""), body,
                    {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                try:
                    self.wfile.write(b"{}")
                except ConnectionError:  # the sender may hang up once it has the status
                    pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender that hangs up mid-exchange is its business, not a failure

        self._server = Server((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def received(self, signal: str) -> list[Export]:
        return [e for e in list(self.exports) if e.path.rstrip("/").endswith(f"/v1/{signal}")]

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
