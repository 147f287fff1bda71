"""HTTP the way a tool holding a key must do it: one overall deadline per command (not per
socket read), bounded answers and event streams, and no redirect ever followed — a redirect is
returned as an answer, so the key is only ever sent to the URL the user named (curl, without
-L, follows none either)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request

from .secrets import redact_url

MAX_BODY = 1_000_000  # bytes of an answer read
MAX_ERROR_BODY = 20_000
MAX_STREAM_BYTES = 4_000_000  # an event stream stops being read after this many bytes…
MAX_EVENTS = 5_000  # …or this many events
MAX_LINE = 65_536
CHUNK = 16_384


class DeadlineExceeded(TimeoutError):
    pass


class Deadline:
    """One deadline for a whole command: each socket is shut down when it passes, so neither a
    gateway that trickles a byte at a time nor one that streams forever can hold the run."""

    def __init__(self, seconds: float, what: str = "the command"):
        self.seconds, self.what = seconds, what
        self.end = time.monotonic() + seconds
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        self.expired = False

    def message(self) -> str:
        return f"stopped after {self.seconds:g} s: the deadline for {self.what} was reached"

    def left(self) -> float:
        return self.end - time.monotonic()

    def timeout(self, per_read: float) -> float:
        left = self.left()
        if left <= 0:
            self._expire()
            raise DeadlineExceeded(self.message())
        return max(0.05, min(per_read, left))

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down at the deadline: through a duplicate, which reaches the connection
        even after TLS has wrapped (and detached) the original."""
        with self._lock:
            self._socks.append(sock.dup())
            if self.expired:
                self._shut(self._socks[-1])

    def check(self) -> None:
        if self.expired or self.left() <= 0:
            self._expire()
            raise DeadlineExceeded(self.message())

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                self._shut(sock)

    @staticmethod
    def _shut(sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()


def _watched(base, deadline):
    """A connection class whose socket the deadline can shut down from its creation on, so the
    proxy's CONNECT and the TLS handshake are bounded too."""
    class Conn(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            create = self._create_connection

            def created(*a, **k):
                sock = create(*a, **k)
                deadline.watch(sock)
                return sock
            self._create_connection = created
    return Conn


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx: returned as the answer


class Answer:
    def __init__(self, status: int, headers, body: bytes = b"", stream=None,
                 truncated: bool = False):
        self.status, self.headers, self.body = status, headers, body
        self.stream, self.truncated = stream, truncated

    @property
    def location(self) -> str:
        return (self.headers.get("location") or "") if self.headers is not None else ""


def opener(deadline: Deadline, proxies: dict | None = None, context=None):
    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_watched(http.client.HTTPConnection, deadline), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_watched(http.client.HTTPSConnection, deadline), req,
                                context=self._context)

    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies or {}), HTTP(),
                                       HTTPS(context=context), _NoRedirect())


def _read(r, deadline: Deadline, limit: int) -> tuple[bytes, bool]:
    data = bytearray()
    try:
        while len(data) <= limit:
            deadline.check()
            chunk = r.read1(CHUNK) if hasattr(r, "read1") else r.read(CHUNK)
            if not chunk:
                break
            data += chunk
    except (http.client.HTTPException, OSError) as e:
        deadline.check()
        if not data:
            raise ConnectionError(f"the connection broke while reading the answer: "
                                  f"{type(e).__name__}") from None
    deadline.check()
    return bytes(data[:limit]), len(data) > limit


def send(op, url: str, data: bytes | None, headers: dict, deadline: Deadline, per_read: float,
         stream: bool = False, method: str = "POST") -> Answer:
    """POST (or `method`); never raises for an HTTP status; raises ConnectionError (a one-line
    reason without secrets) or DeadlineExceeded."""
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        r = op.open(request, timeout=deadline.timeout(per_read))
    except urllib.error.HTTPError as e:
        body, cut = _read(e, deadline, MAX_ERROR_BODY) if e.fp else (b"", False)
        return Answer(e.code, e.headers, body, truncated=cut)
    except (OSError, http.client.HTTPException) as e:
        deadline.check()
        raise ConnectionError(reason(e)) from None
    if stream:
        return Answer(r.status, r.headers, stream=r)
    with r:
        body, cut = _read(r, deadline, MAX_BODY)
    return Answer(r.status, r.headers, body, truncated=cut)


def reason(e: BaseException) -> str:
    """Why a request failed, in one line that holds no header value."""
    inner = getattr(e, "reason", e)
    if isinstance(inner, http.client.BadStatusLine) or isinstance(e, http.client.BadStatusLine):
        if isinstance(inner, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
        return "the answer is not HTTP (no status line)"
    if isinstance(inner, http.client.HTTPException):
        return f"the answer is not valid HTTP ({type(inner).__name__})"
    if isinstance(inner, socket.timeout) or isinstance(e, socket.timeout):
        return "no answer within the timeout"
    text = str(inner)
    return redact_url(text)[:200]


def events(stream, deadline: Deadline, max_events: int = MAX_EVENTS,
           max_bytes: int = MAX_STREAM_BYTES):
    """(name, seconds since start) for each `event:` line; stops at `max_events`, `max_bytes`,
    the stream's end or a break, then yields ("", reason) once if it stopped early."""
    started, seen, count = time.monotonic(), 0, 0
    with stream:
        while True:
            try:
                deadline.check()
                raw = stream.readline(MAX_LINE)
            except DeadlineExceeded:
                raise
            except (http.client.HTTPException, OSError) as e:
                deadline.check()
                yield "", f"the stream broke after {count} events ({type(e).__name__})"
                return
            if not raw:
                deadline.check()
                return
            seen += len(raw)
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("event:"):
                count += 1
                yield line[6:].strip(), time.monotonic() - started
            if count >= max_events or seen >= max_bytes:
                yield "", (f"stopped reading after {count} events and {seen} bytes: "
                           "a Messages stream this long is not a short answer")
                return
