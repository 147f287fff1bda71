"""What every benchmark measures with: Claude Code's request shape and headers, one
keep-alive client, percentiles, resident memory of a process group, waiting for a port."""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
from pathlib import Path

from tests.harness.reader.terminal import Terminal

TICK = os.sysconf("SC_CLK_TCK")

MASTER_KEY = "sk-litellm-change-me"  # what the quickstart's start snippet exports


def claude_code_body() -> bytes:
    """~20 KB, shaped like Claude Code's first request: a long system prompt, tool
    definitions, one user turn, streaming on."""
    tools = [{"name": f"Tool{i}", "description": "x" * 600,
              "input_schema": {"type": "object", "properties": {"arg": {"type": "string"}}}}
             for i in range(24)]
    return json.dumps({"model": "claude-opus-5-5", "max_tokens": 32000, "stream": True,
                       "system": [{"type": "text", "text": "You are Claude Code. " * 200}],
                       "tools": tools,
                       "messages": [{"role": "user", "content": "Reply with the word pong"}]}
                      ).encode()


HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01",
           "authorization": f"Bearer {MASTER_KEY}", "x-api-key": MASTER_KEY,
           "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14"}


class Client:
    """One keep-alive connection, as Claude Code keeps one."""

    def __init__(self, port: int, headers: dict[str, str | None] | None = None):
        self.port = port
        self.headers = {k: v for k, v in {**HEADERS, **(headers or {})}.items() if v is not None}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def stream(self, body: bytes) -> tuple[float, float, int]:
        started = time.perf_counter()
        try:
            self.conn.request("POST", "/v1/messages", body, self.headers)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        resp.read1(65536)
        first = time.perf_counter()
        resp.read()
        return first - started, time.perf_counter() - started, resp.status


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def group(pgid: int) -> list[int]:
    pids = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.getpgid(int(pid)) == pgid:
                    pids.append(int(pid))
            except (OSError, ProcessLookupError):
                continue
    return pids


def cpu_s(pgid: int) -> float:
    """User + system CPU seconds of the processes alive in the group now."""
    total = 0
    for pid in group(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError):
            continue
    return total / TICK


def memory_mb(pgid: int, key: str = "VmRSS") -> float:
    total = 0
    for pid in group(pgid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def wait_port(port: int, path: str | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path or "/")
            if c.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port} after {timeout} s")


def claude_terminal(url: str) -> Terminal:
    return Terminal(Path(tempfile.mkdtemp(prefix="bench-claude-")), env={
        "ANTHROPIC_BASE_URL": url, "ANTHROPIC_AUTH_TOKEN": MASTER_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"})


class Discard(list):
    """The benchmark's fake keeps no request log (thousands of 20 KB bodies)."""

    def append(self, _item) -> None:
        pass
