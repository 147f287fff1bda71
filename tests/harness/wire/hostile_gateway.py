"""A hostile gateway on 127.0.0.1 for the tools that hold a reader's key (`gateway-assistant
probe` and `doctor --check`): each mode is one way a gateway, or something posing as one, can
misbehave. `other` is a second listener on another port that records every request it gets, so
a test can assert that no credential reached it.

    with HostileGateway("redirect") as g:   # g.url, g.other.got (list of header dicts)
        ...
Modes: redirect (302 to `other`), redirect-same (302 to another path of the same host),
trickle (one byte every 0.5 s, forever), huge (a 50 MB body), http09 (a bare body, no status
line), tls (a certificate from a CA nobody trusts), handshake-trickle (the TLS handshake one
byte every 0.5 s); and for streaming requests only (others get
a valid message): endless (events as fast as the socket takes them, never ending),
endless-messages (the same, but each a valid Messages event: message_start, then text deltas
forever), broken-sse
(garbage and a terminal escape as events), close-mid-stream (two events, then the connection
closes). Two modes serve the Messages API correctly but for one defect, for `conformance`:
buffered (a stream's events all at once, after a pause, as a proxy that buffers answers) and
refuse-betas (400 "invalid beta flag" to any request carrying anthropic-beta).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time

import trustme

MODES = ("redirect", "redirect-same", "trickle", "endless", "endless-messages", "huge",
         "broken-sse",
         "close-mid-stream", "http09", "tls", "handshake-trickle", "buffered", "refuse-betas")


class _Listener:
    """A raw TCP server: `answer(conn, request_head)` writes the reply. Threads are daemons;
    `stop()` closes the socket and every open connection."""

    def __init__(self, answer, context: ssl.SSLContext | None = None, raw: bool = False):
        self.answer, self.context, self.raw = answer, context, raw
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.got: list[dict[str, str]] = []
        self.conns: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        try:
            if self.raw:  # answer before any request: the bytes a TLS client waits for
                return self.answer(conn, "", self, b"")
            if self.context:
                conn = self.context.wrap_socket(conn, server_side=True)
                self.conns.append(conn)
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:])}
            length = int(headers.get("content-length") or 0)
            rest = head.split(b"\r\n\r\n", 1)[1]
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                rest += chunk
            self.got.append({"request": lines[0], **headers})
            self.answer(conn, lines[0], self, rest)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self.stopped.set()
        for s in [self.sock, *self.conns]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def _reply(conn, status: str, headers: dict, body: bytes = b""):
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    conn.sendall(head.encode() + b"\r\n" + body)


MESSAGE = (b'{"type":"message","id":"m","model":"hijacked","role":"assistant","content":'
           b'[{"type":"text","text":"1 2 3"}],"usage":{"input_tokens":1,"output_tokens":3}}')


def _other(conn, _line, _listener, _body=b""):
    """What a hijacked host answers: a perfect message, so following it would PASS."""
    _reply(conn, "200 OK", {"content-type": "application/json",
                            "content-length": len(MESSAGE), "connection": "close"}, MESSAGE)


def _error(conn, status: int, kind: str, text: str):
    body = json.dumps({"type": "error", "error": {"type": kind, "message": text}}).encode()
    _reply(conn, f"{status} Error", {"content-type": "application/json",
                                     "content-length": len(body), "connection": "close"}, body)


def _messages(conn, line, body: bytes, gap_s: float, pause_s: float):
    """The Messages API as a correct gateway serves it; a stream's events `gap_s` apart,
    after `pause_s` (all of them at once after the pause: a buffered stream)."""
    if line.startswith("HEAD"):
        return _reply(conn, "404 Not Found", {"content-length": 0, "connection": "close"})
    ask = json.loads(body or b"{}")
    if not ask.get("messages"):
        return _error(conn, 400, "invalid_request_error", "messages: at least one message")
    usage = {"input_tokens": 1, "output_tokens": 1}
    if not ask.get("stream"):
        whole = json.dumps({"type": "message", "id": "m", "role": "assistant", "usage": usage,
                            "model": ask.get("model"), "stop_reason": "end_turn",
                            "content": [{"type": "text", "text": "1 2 3"}]}).encode()
        return _reply(conn, "200 OK", {"content-type": "application/json", "connection": "close",
                                       "content-length": len(whole)}, whole)
    events = [("message_start", {"message": {"type": "message", "id": "m", "role": "assistant",
                                             "model": ask.get("model"), "content": [],
                                             "stop_reason": None, "usage": usage}}),
              ("content_block_start", {"index": 0, "content_block": {"type": "text",
                                                                     "text": ""}}),
              *[("content_block_delta", {"index": 0, "delta": {"type": "text_delta",
                                                               "text": word}})
                for word in ("1 ", "2 ", "3")],
              ("content_block_stop", {"index": 0}),
              ("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": usage}),
              ("message_stop", {})]
    _reply(conn, "200 OK", {"content-type": "text/event-stream", "connection": "close"})
    time.sleep(pause_s)
    for name, data in events:
        conn.sendall(f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"
                     .encode())
        time.sleep(gap_s)


class HostileGateway:
    def __init__(self, mode: str):
        assert mode in MODES, mode
        self.mode = mode
        self.other = _Listener(_other)
        context = None
        if mode == "tls":
            leaf = trustme.CA(organization_name="nobody-trusts-this").issue_cert("127.0.0.1")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            leaf.configure_cert(context)
        self.server = _Listener(getattr(self, "_" + mode.replace("-", "_"), self._tls),
                                context, raw=mode == "handshake-trickle")
        scheme = "https" if mode in ("tls", "handshake-trickle") else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.port}"

    @property
    def got(self):
        return self.server.got

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.server.stop()
        self.other.stop()

    # -- modes ---------------------------------------------------------------------------------
    def _redirect(self, conn, line, _l, body):
        path = line.split(" ")[1]
        _reply(conn, "302 Found",
               {"location": f"http://127.0.0.1:{self.other.port}{path}",
                "content-length": 0, "connection": "close"})

    def _redirect_same(self, conn, line, _l, body):
        path = line.split(" ")[1]
        _reply(conn, "302 Found", {"location": f"/elsewhere{path}",
                                                "content-length": 0, "connection": "close"})

    def _trickle(self, conn, _line, listener, body):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not listener.stopped.is_set():
            conn.sendall(b"x")
            time.sleep(0.5)

    def _endless(self, conn, _line, listener, body):
        if not self._streams(body):
            return _other(conn, _line, listener)
        _reply(conn, "200 OK", {"content-type": "text/event-stream", "connection": "close"})
        n = 0
        while not listener.stopped.is_set():
            n += 1
            conn.sendall(b"event: content_block_delta\ndata: {\"n\": %d}\n\n" % n)

    def _endless_messages(self, conn, _line, listener, body):
        if not self._streams(body):
            return _other(conn, _line, listener)
        _reply(conn, "200 OK", {"content-type": "text/event-stream", "connection": "close"})
        start = {"type": "message_start", "message": {
            "type": "message", "id": "m", "role": "assistant", "model": "m", "content": [],
            "stop_reason": None, "usage": {"input_tokens": 1, "output_tokens": 1}}}
        block = {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}}
        delta = {"type": "content_block_delta", "index": 0,
                 "delta": {"type": "text_delta", "text": "x"}}
        conn.sendall(b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode()
                              for e in (start, block)))
        chunk = f"event: content_block_delta\ndata: {json.dumps(delta)}\n\n".encode() * 50
        while not listener.stopped.is_set():
            conn.sendall(chunk)

    def _huge(self, conn, _line, listener, body):
        size = 50_000_000
        _reply(conn, "200 OK", {"content-type": "application/json", "content-length": size,
                                "connection": "close"})
        block = b"x" * 65536
        sent = 0
        while sent < size and not listener.stopped.is_set():
            conn.sendall(block)
            sent += len(block)

    def _broken_sse(self, conn, _line, _l, body):
        if not self._streams(body):
            return _other(conn, _line, _l)
        body = b"event: \x1b[31mmessage_start\ndata: {not json\n\nevent\n\x00\xff\n"
        _reply(conn, "200 OK", {"content-type": "text/event-stream",
                                "content-length": len(body), "connection": "close"}, body)

    def _close_mid_stream(self, conn, _line, _l, body):
        if not self._streams(body):
            return _other(conn, _line, _l)
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                     b"transfer-encoding: chunked\r\n\r\n")
        for event in (b"event: message_start\ndata: {}\n\n", b"event: ping\ndata: {}\n\n"):
            conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
        conn.shutdown(socket.SHUT_RDWR)

    def _http09(self, conn, _line, _l, body):
        conn.sendall(b"<html>hello, this is not HTTP/1.x</html>\n")

    def _handshake_trickle(self, conn, _line, listener, body):
        """A TLS server hello one byte every 0.5 s: each read gets a byte, none times out."""
        hello = b"\x16\x03\x03\x40\x00" + b"\x02" + b"\x00" * 0x3fff
        for byte in hello:
            if listener.stopped.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(0.5)

    def _tls(self, conn, _line, _l, body):
        _other(conn, _line, _l)

    def _buffered(self, conn, line, listener, body):
        _messages(conn, line, body, gap_s=0.0, pause_s=1.0)

    def _refuse_betas(self, conn, line, listener, body):
        if "anthropic-beta" in listener.got[-1]:
            return _error(conn, 400, "invalid_request_error", "invalid beta flag")
        _messages(conn, line, body, gap_s=0.1, pause_s=0.0)

    @staticmethod
    def _streams(body: bytes) -> bool:
        return b'"stream": true' in body
