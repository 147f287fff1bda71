"""Everything that arrives at one port, recorded at the front door.

`record(4000)` watches loopback with a packet socket (the test process owns its network
namespace, so it may) and rebuilds each TCP connection to that port into the HTTP requests
sent on it: every method, path, header and body, in order, whoever listens there — LiteLLM,
nginx, the Claude apps gateway, or nobody. Nothing about the snippets changes: the gateway
still binds the port the page publishes, and the recording sees what its door saw.

The provider fake records what reached the provider; this records what was sent to the
address Claude Code was given. A test about what Claude Code sends or does not send asserts
on `door.requests`, not on the provider's record.

Plain HTTP only (a TLS front door records ciphertext: `requests` raises). A dropped packet
would make the record incomplete, so reading it raises if the kernel dropped any.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

ETH_P_ALL, SOL_PACKET, PACKET_STATISTICS, PACKET_OUTGOING = 0x0003, 263, 6, 4
SYN, FIN, RST = 0x02, 0x01, 0x04


@dataclass
class Request:
    """One request as it arrived at the door."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased; a repeated header's values joined by ", "
    body: bytes
    connection: int  # which TCP connection (0, 1, ...) in the order they opened
    at: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class _Stream:
    """One client→server byte stream, reassembled by sequence number."""

    def __init__(self, index: int, seq: int):
        self.index, self.next_seq, self.data, self.pending = index, seq + 1, b"", {}
        self.marks: list[tuple[int, float]] = []  # (offset in data, when those bytes came)

    def add(self, seq: int, payload: bytes) -> None:
        self.marks.append((len(self.data), time.monotonic()))
        self.pending[seq] = payload
        while True:
            ready = [s for s in self.pending if s <= self.next_seq]
            if not ready:
                return
            for s in ready:
                chunk = self.pending.pop(s)[self.next_seq - s:]  # a retransmit overlaps
                self.data += chunk
                self.next_seq += len(chunk)


class Door:
    def __init__(self, port: int):
        self.port = port
        self._streams: dict[tuple, _Stream] = {}
        self._closed: list[_Stream] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:  # room for a burst while the thread is busy (root may force more than rmem_max)
            self._sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        self._sock.bind(("lo", 0))
        self._sock.setblocking(False)
        self._drops = 0
        self._thread = threading.Thread(target=self._run, name=f"front-door-{port}", daemon=True)
        self._thread.start()

    # -- capture ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            select.select([self._sock], [], [], 0.2)
            self._drain()

    def _drain(self) -> None:
        with self._lock:
            if self._sock.fileno() < 0:
                return
            while True:
                try:
                    frame, addr = self._sock.recvfrom(1 << 17)
                except BlockingIOError:
                    break
                if addr[2] != PACKET_OUTGOING:  # loopback shows each packet twice
                    self._packet(frame[14:], addr[1])
            stats = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
            self._drops += struct.unpack("II", stats)[1]  # reading resets the counters

    def _packet(self, ip: bytes, ethertype: int) -> None:
        if ethertype == 0x0800 and ip[9] == 6:
            header, total = (ip[0] & 0x0F) * 4, struct.unpack("!H", ip[2:4])[0]
            src, tcp = ip[12:16], ip[header:total]
        elif ethertype == 0x86DD and ip[6] == 6:
            src, tcp = ip[8:24], ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
        else:
            return
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        if dport != self.port:
            return
        flags, payload = tcp[13], tcp[(tcp[12] >> 4) * 4:]
        key = (src, sport)
        if flags & SYN:
            if key in self._streams:
                self._closed.append(self._streams.pop(key))
            self._streams[key] = _Stream(len(self._closed) + len(self._streams), seq)
        elif key in self._streams and payload:
            self._streams[key].add(seq, payload)

    # -- reading ----------------------------------------------------------------------------
    @property
    def requests(self) -> list[Request]:
        """Every request sent to the port so far, in the order they were sent."""
        self._drain()
        if self._drops:
            raise AssertionError(f"the front-door record of port {self.port} is incomplete: "
                                 f"the kernel dropped {self._drops} packets")
        with self._lock:
            streams = sorted([*self._closed, *self._streams.values()], key=lambda s: s.index)
            out = [r for s in streams for r in _parse(s, self.port)]
        return sorted(out, key=lambda r: r.at)

    def lines(self) -> list[str]:
        """`METHOD path` of each request: the sequence, for an assert that reads well."""
        return [str(r) for r in self.requests]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._drain()
        self._sock.close()


def _parse(stream: _Stream, port: int) -> Iterator[Request]:
    """HTTP/1.1 requests, one after another, as a client wrote them on one connection."""
    data = stream.data
    while data:
        offset = len(stream.data) - len(data)
        at = max((t for o, t in stream.marks if o <= offset), default=0.0)
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            if data[:1] in (b"\x16", b"\x80"):
                raise AssertionError(f"port {port} spoke TLS: the front door records plain HTTP")
            return  # a request still arriving
        line, *fields = head.decode("latin-1").split("\r\n")
        method, path, _ = line.split(" ", 2)
        headers: dict[str, str] = {}
        for f in fields:
            name, _, value = f.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body, rest = _dechunk(rest)
        else:
            size = int(headers.get("content-length", "0"))
            body, rest = rest[:size], rest[size:]
        yield Request(method, path, headers, body, stream.index, at)
        data = rest


def _dechunk(data: bytes) -> tuple[bytes, bytes]:
    body = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            _, _, data = data.partition(b"\r\n")  # no trailers from the clients recorded here
            return body, data
        body, data = body + data[:size], data[size + 2:]


@contextmanager
def record(port: int = 4000) -> Iterator[Door]:
    """Record every request sent to `port` on loopback while the block runs (and after, until
    the door is read: reading stays valid once the block ends)."""
    door = Door(port)
    try:
        yield door
    finally:
        door.close()
