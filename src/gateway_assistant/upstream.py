"""`conformance URL --upstream [HOST:]PORT`: the kit as the gateway's upstream. While the corpus
is replayed, a stand-in for the Anthropic Messages API listens at PORT (127.0.0.1 unless HOST
is named), answers as the API does (a message, or its server-sent events spaced in time) and
records what arrived; `trace` then lists what the gateway changed on the way. It only answers:
it sends nothing anywhere, and keeps the name of a credential header, never its value."""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CREDENTIALS = {"authorization", "x-api-key", "proxy-authorization", "cookie", "api-key",
               "x-goog-api-key"}
MAX_BODY = 16 * 1024 * 1024
GAP_S = 0.08  # between two events of a stream: a buffering gateway shows as all at once
TEXT = "Hello from the conformance upstream."
TOKENS = {"input_tokens": 25, "output_tokens": 7}


def address(text: str) -> tuple[str, int]:
    """'9100', '127.0.0.1:9100' or '[::1]:9100' -> (host, port); 127.0.0.1 when no host."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--upstream {text!r}: give a port, or HOST:PORT (e.g. 127.0.0.1:9100)")
    return host, int(port)


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Arrival:
    """One request as it reached the upstream: header values of credentials replaced."""

    def __init__(self, method, path, headers, body, carried_key):
        self.method, self.path, self.headers, self.body = method, path, headers, body
        self.carried_key, self.events, self.event_times = carried_key, [], []
        self.event_data: list = []  # each event's data as sent


def _message(model: str) -> dict:
    return {"id": "msg_conformance_upstream", "type": "message", "role": "assistant",
            "model": model, "content": [{"type": "text", "text": TEXT}],
            "stop_reason": "end_turn", "stop_sequence": None, "usage": dict(TOKENS)}


def _events(model: str):
    start = {**_message(model), "content": [], "stop_reason": None,
             "usage": {**TOKENS, "output_tokens": 1}}
    half = len(TEXT) // 2
    yield {"type": "message_start", "message": start}
    yield {"type": "content_block_start", "index": 0, "content_block": {"type": "text",
                                                                          "text": ""}}
    yield {"type": "ping"}
    for piece in (TEXT[:half], TEXT[half:]):
        yield {"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": piece}}
    yield {"type": "content_block_stop", "index": 0}
    yield {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
           "usage": {"output_tokens": TOKENS["output_tokens"]}}
    yield {"type": "message_stop"}


def _error(kind: str, text: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": text}}


class Upstream:
    """with Upstream("9100", token) as up: ... up.arrivals (in order of arrival)."""

    def __init__(self, where: str, token: str = "", gap_s: float = GAP_S):
        self.host, self.port = address(where)
        self.token, self.gap_s = token, gap_s
        self.arrivals: list[Arrival] = []
        self.lock, self.open = threading.Lock(), set()
        up = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, and chunked event streams

            def log_message(self, *args):  # quiet: the report says what arrived
                pass

            def setup(self):
                super().setup()
                up.open.add(self.connection)

            def finish(self):
                up.open.discard(self.connection)
                super().finish()

            def _any(self):
                up._answer(self)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _any

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            daemon_threads = True

            def handle_error(self, request, client_address):  # a broken request: no trace
                pass

        try:
            self.server = Server((self.host, self.port), Handler)
        except OSError as e:
            raise OSError(f"cannot listen on {self.host}:{self.port} for --upstream: "
                          f"{e.strerror or e}") from None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> Upstream:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        for conn in list(self.open):  # a gateway's kept-alive connection: closed with us
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _read_body(self, h) -> bytes:
        if "chunked" in (h.headers.get("transfer-encoding") or "").lower():
            data = b""
            while len(data) <= MAX_BODY:
                size = int(h.rfile.readline(100).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    h.rfile.readline(100)
                    break
                data += h.rfile.read(size)
                h.rfile.readline(100)
            return data
        return h.rfile.read(min(int(h.headers.get("content-length") or 0), MAX_BODY))

    def _answer(self, h) -> None:
        raw = self._read_body(h)
        headers, carried = {}, False
        for name, value in h.headers.items():
            name = name.lower()
            if name in CREDENTIALS:  # compared with the reader's key, then forgotten
                for given in (value, value.partition(" ")[2]):
                    carried |= bool(self.token) and hmac.compare_digest(
                        given.strip().encode(), self.token.encode())
                value = "(redacted)"
            headers[name] = value
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        arrival = Arrival(h.command, h.path, headers, body, carried)
        with self.lock:
            self.arrivals.append(arrival)
        path = h.path.split("?")[0]
        data = body if isinstance(body, dict) else {}
        if h.command == "POST" and path == "/v1/messages/count_tokens":
            return self._json(h, 200, {"input_tokens": TOKENS["input_tokens"]})
        if h.command != "POST" or path != "/v1/messages":
            return self._json(h, 404, _error("not_found_error", f"{h.command} {path}: no such "
                                                                "endpoint"))
        if not data.get("model") or not data.get("messages"):
            return self._json(h, 400, _error("invalid_request_error",
                                             "model and messages are required"))
        if not data.get("stream"):
            return self._json(h, 200, _message(data["model"]))
        h.send_response(200)
        for name, value in (("content-type", "text/event-stream"), ("cache-control", "no-cache"),
                            ("transfer-encoding", "chunked")):
            h.send_header(name, value)
        h.end_headers()
        for i, event in enumerate(_events(data["model"])):
            if i:
                time.sleep(self.gap_s)
            frame = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            try:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
                h.wfile.flush()
            except OSError:
                return
            arrival.events.append(event["type"])
            arrival.event_data.append(event)
            arrival.event_times.append(time.monotonic())
        h.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _json(h, status: int, data: dict) -> None:
        payload = b"" if h.command == "HEAD" else json.dumps(data).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)
