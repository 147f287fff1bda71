"""A proxy that breaks compressed answers (docs/troubleshooting/index.md, "A proxy that breaks
compressed answers"), with the pinned Claude Code and the real components around it.

The world, in the order a request crosses it:
- Claude Code, with `HTTPS_PROXY` and the company CA (the corporate-proxy guide's snippets),
  and the gateway's https address `https://llm-gateway.corp.example`;
- INSPECTING, a TLS-inspecting forward proxy: it accepts `CONNECT`, answers TLS with a
  certificate the company CA signs for the host asked for (as Squid's ssl_bump does), reads
  each request and sends it on, byte for byte, to the gateway in plain HTTP on this machine.
  It stands for the content scanner of a company's inspecting proxy (Zscaler, Netskope, Blue
  Coat, a firewall's TLS inspection): such a scanner decompresses an answer to look inside.
  Two damages it is reported to do, one per mode: `cut`, it passes on only the first half of
  a gzip-compressed body (a size or time limit on what it buffers); `label`, it passes on the
  body it decompressed but keeps `Content-Encoding: gzip`. Answers that are not compressed it
  passes on untouched. Squid itself does neither, hence this small proxy;
- the published nginx gateway (snippets/enterprise/10-gateway.conf.template: `gzip on;` for
  `text/event-stream` and `application/json`), on 127.0.0.1:8080;
- the quickstart's LiteLLM on 127.0.0.1:4000, in front of the provider fake.

What Claude Code sent is read at nginx's door (front_door on 8080): the proxy forwards the
request bytes unchanged, so the door holds every request Claude Code made, every method.

What the binary does (`strings claude.exe`, 2.1.332): the fetch wrapper sets
`accept-encoding: identity` when `CLAUDE_CODE_DISABLE_RESPONSE_COMPRESSION` is true and the
request has no accept-encoding yet, its URL is `https:`, a proxy variable (`HTTPS_PROXY`,
`HTTP_PROXY`, `ALL_PROXY`, lower-case too) is set and `NO_PROXY` does not exclude the URL;
otherwise nothing. A decompression failure (`ZlibError`, also Brotli/Zstd errors) is shown as
`API Error: The response could not be read (<code>). Try again. If it keeps happening, check
any proxy or gateway between Claude Code and the API.`"""

from __future__ import annotations

import gzip
import re
import socket
import ssl
import threading
from contextlib import contextmanager

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.start import nginx, tls
from tests.harness.wire import front_door

LITELLM_START = ("quickstart/03-start-gateway.sh",)
LITELLM_CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
NGINX_START = ("enterprise/12-start-gateway.sh",)
NGINX_FILES = {"gateway.conf.template": "enterprise/10-gateway.conf.template",
               "developers.map": "enterprise/11-developers.map"}
NGINX_PORT = 8080
PROXY = "corporate-proxy/01-proxy.sh"  # HTTPS_PROXY=http://127.0.0.1:3128
CORP_CA = "corporate-proxy/06-corp-ca.sh"  # NODE_EXTRA_CA_CERTS=$HOME/corp-ca.pem
FIRST_REQUEST = "quickstart/07-first-request.sh"
FIX = "troubleshooting/02-disable-response-compression.sh"
GATEWAY = "https://llm-gateway.corp.example"
ALICE = "sk-gw-alice-change-me"  # a developer token in 11-developers.map

NOT_READ = "API Error: The response could not be read (ZlibError). Try again."
DECOMPRESSION = "Decompression error: ZlibError"
CHECK_PROXY = "If it keeps happening, check any proxy or gateway between Claude Code and the API."


# -- The inspecting proxy ----------------------------------------------------------------------

def _read_head(f) -> bytes:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = f.readline()
        if not line:
            return b""
        head += line
    return head


def _headers(head: bytes) -> dict[str, str]:
    out = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            out[k.strip().lower().decode()] = v.strip().decode()
    return out


def _read_body(f, headers: dict[str, str], until_close: bool) -> tuple[bytes, bytes]:
    """(the body, the bytes it came as)."""
    if "chunked" in headers.get("transfer-encoding", ""):
        body, raw = b"", b""
        while True:
            line = f.readline()
            raw += line
            size = int(line.split(b";")[0], 16)
            if size == 0:  # the last chunk: trailers, if any, up to an empty line
                while (trailer := f.readline()) not in (b"\r\n", b""):
                    raw += trailer
                return body, raw + b"\r\n"
            chunk = f.read(size + 2)
            raw += chunk
            body += chunk[:size]
    if "content-length" in headers:
        body = f.read(int(headers["content-length"]))
        return body, body
    body = f.read() if until_close else b""
    return body, body


class InspectingProxy:
    """CONNECT, then TLS with a company-CA certificate, then each request sent on as it came
    to 127.0.0.1:`upstream_port`; compressed answers damaged as `mode` says."""

    def __init__(self, certs_dir, upstream_port: int, mode: str, port: int = 3128):
        self.mode, self.upstream_port, self.port = mode, upstream_port, port
        self.context = tls.corp().server_context(certs_dir, "llm-gateway.corp.example")
        self.damaged: list[str] = []  # what it did to each compressed answer
        self.sock = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.sock.settimeout(0.5)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        try:
            f = conn.makefile("rb")
            head = _read_head(f)
            if not head.startswith(b"CONNECT "):
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            inner = self.context.wrap_socket(conn, server_side=True)
            g = inner.makefile("rb")
            while True:
                request = _read_head(g)
                if not request:
                    return
                _, raw = _read_body(g, _headers(request), until_close=False)
                inner.sendall(self._forward(request, raw))
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            conn.close()

    def _forward(self, request: bytes, body: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
            up.sendall(request + body)
            u = up.makefile("rb")
            head = _read_head(u)
            headers = _headers(head)
            bodyless = request.startswith(b"HEAD ") or head.split(b" ")[1] in (b"204", b"304")
            answer = b"" if bodyless else _read_body(u, headers, until_close=True)[0]
        if headers.get("content-encoding") == "gzip" and answer:
            if self.mode == "cut":
                answer = answer[:len(answer) // 2]
                self.damaged.append("cut")
            else:
                answer = gzip.decompress(answer)
                self.damaged.append("label")
        lines = [line for line in head.split(b"\r\n")[:-2]
                 if not re.match(rb"(?i)(transfer-encoding|content-length|connection):", line)]
        if not bodyless:
            lines.append(b"Content-Length: %d" % len(answer))
        return b"\r\n".join(lines) + b"\r\n\r\n" + answer

    def stop(self) -> None:
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    return {"corp_ca": tls.corp().write_ca(d / "corp-ca.pem"), "dir": d}


@pytest.fixture
def published_gateway(gateways, provider):
    """The published nginx gateway (gzip on) in front of the quickstart's LiteLLM."""
    gateways.get(LITELLM_START, LITELLM_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})
    gw = nginx.start(NGINX_START, NGINX_FILES, port=NGINX_PORT)
    yield gw
    gw.stop()


@contextmanager
def inspecting_proxy(certs, mode: str):
    px = InspectingProxy(certs["dir"], NGINX_PORT, mode)
    try:
        yield px
    finally:
        px.stop()


@pytest.fixture
def developer(terminal, certs):
    """A developer's terminal: the gateway's https address and token, the company CA saved
    where the corporate-proxy guide says."""
    (terminal.home / "corp-ca.pem").write_bytes(certs["corp_ca"].read_bytes())
    terminal.env.update(ANTHROPIC_BASE_URL=GATEWAY, ANTHROPIC_AUTH_TOKEN=ALICE)
    return terminal


def encodings(door) -> list[tuple[str, str | None]]:
    """Every request at the door, any method: (what, its accept-encoding)."""
    return [(str(r), r.header("accept-encoding")) for r in door.requests]


@pytest.mark.parametrize("mode", ["cut", "label"])
def test_a_proxy_that_breaks_compressed_answers(mode, published_gateway, upstream, developer,
                                               certs):
    with inspecting_proxy(certs, mode) as px, front_door.record(NGINX_PORT) as door:
        result = developer.run(PROXY, CORP_CA, FIRST_REQUEST)
    print("front door:", door.lines(), encodings(door), px.damaged)
    print(result.output)
    claude_failed_with(result, NOT_READ)
    assert CHECK_PROXY in result.output
    # Bun's own line on stderr, once per request the proxy damaged.
    assert result.stderr.count(DECOMPRESSION) == len(px.damaged), result.stderr
    assert px.damaged and set(px.damaged) == {mode}, px.damaged
    sent = encodings(door)
    assert sent and all(enc and "gzip" in enc for _, enc in sent), sent
    # Every request Claude Code made came back compressed and broken: each attempt alike.
    assert len(px.damaged) == len(sent) >= 2, (sent, px.damaged)
    if mode == "cut":
        captures.check("troubleshooting/compressed-answer-cut.console", captures.console(
            snippet(FIRST_REQUEST).read_text(), result.output))


@pytest.mark.parametrize("mode", ["cut", "label"])
def test_disable_response_compression_through_that_proxy(mode, published_gateway, upstream,
                                                         developer, certs):
    with inspecting_proxy(certs, mode) as px, front_door.record(NGINX_PORT) as door:
        result = developer.run(PROXY, CORP_CA, FIX, FIRST_REQUEST)
    print("front door:", door.lines(), encodings(door), px.damaged)
    claude_replied(result, "pong")
    sent = encodings(door)
    assert sent and {enc for _, enc in sent} == {"identity"}, sent
    assert px.damaged == [], px.damaged  # nothing compressed came back to damage
    assert upstream_messages(upstream)


def test_disable_response_compression_changes_nothing_without_a_proxy(published_gateway,
                                                                     upstream, terminal):
    """The same variable, straight at the published gateway's `http://` address, no proxy
    variable set: every request still accepts gzip."""
    with front_door.record(NGINX_PORT) as door:
        claude_replied(terminal.run("enterprise/13-connect.sh", FIX, FIRST_REQUEST), "pong")
    sent = encodings(door)
    print("front door:", sent)
    assert sent and all(enc == "gzip, deflate, br, zstd" for _, enc in sent), sent


def test_litellm_alone_sends_nothing_compressed(gateways, provider, upstream, developer, certs):
    """The same proxy straight in front of the quickstart's LiteLLM (no nginx): LiteLLM's
    answers are not compressed, so the proxy has nothing to break and the answer comes."""
    gateways.get(LITELLM_START, LITELLM_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})
    developer.env["ANTHROPIC_AUTH_TOKEN"] = "sk-litellm-change-me"  # the quickstart's key
    px = InspectingProxy(certs["dir"], 4000, "cut")
    try:
        with front_door.record(4000) as door:
            result = developer.run(PROXY, CORP_CA, FIRST_REQUEST)
    finally:
        px.stop()
    sent = encodings(door)
    print("front door:", sent, px.damaged)
    claude_replied(result, "pong")
    assert sent and all(enc and "gzip" in enc for _, enc in sent), sent
    assert px.damaged == [], px.damaged
