"""A real Redis (Debian's redis-server 7.0) on 127.0.0.1:6379 in the test's namespace, for
the configs that name `localhost:6379` (LiteLLM's Redis response cache). Nothing persisted;
stopped by PID. `flush()` empties it between tests; `keys()` lists what is stored.
`Redis(password=...)` requires that password of every client (`requirepass`), as a managed
Redis does; the harness's own commands then authenticate first."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

from tests.harness.proof import starts
from tests.harness.start.gateway import stop_process_group


def why_unavailable() -> str | None:
    if not shutil.which("redis-server"):
        return "redis-server is not installed (Debian package redis-server)"
    return None


@dataclass
class Redis:
    port: int = 6379
    proc: subprocess.Popen | None = None
    password: str | None = None
    host: str = "127.0.0.1"  # another loopback address (127.0.0.2) is a second host

    def start(self) -> Redis:
        with starts.timed("Redis", f"{self.host}:{self.port}"):
            return self._start()

    def _start(self) -> Redis:
        workdir = tempfile.mkdtemp(prefix="redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", self.host, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", workdir,
             *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.command("PING") == "PONG":
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on {self.host}:{self.port}")

    def command(self, *args: str):
        """One command in RESP; returns a string, an int or a list of strings."""
        with socket.create_connection((self.host, self.port), timeout=5) as s:
            replies = s.makefile("rb")
            for command in ([("AUTH", self.password)] if self.password else []) + [args]:
                s.sendall(f"*{len(command)}\r\n".encode() + b"".join(
                    f"${len(a.encode())}\r\n{a}\r\n".encode() for a in command))
                reply = _reply(replies)
            return reply

    def flush(self) -> None:
        self.command("FLUSHALL")

    def keys(self) -> list[str]:
        return self.command("KEYS", "*")

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None


def _reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind in (b"+", b"-"):
        return rest
    if kind == b":":
        return int(rest)
    if kind == b"$":
        return None if rest == "-1" else f.read(int(rest) + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        return [_reply(f) for _ in range(int(rest))]
    raise OSError(f"unexpected Redis reply {line!r}")
