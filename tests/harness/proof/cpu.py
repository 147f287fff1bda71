"""CPU by component: what the cores of a whole run were spent on. The run is CPU-bound (both
cores busy throughout), so this, not the seconds a start took, says where time can be won.

A thread samples /proc every half second while the lanes run: every process in a lane's
network namespace (the lane's pytest and everything it started, containers included) is
counted once, at the highest CPU time seen for it, under the component its command names. A
process that lives less than half a second between two samples is missed, and so is what a
process uses in its last half second: the totals are a floor; the shell commands of a terminal
run are the most of those."""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
INTERVAL_S = 0.5


def component(comm: str, cmdline: str, lane_pids: set[int], pid: int) -> str:
    """The component a process belongs to, from its command."""
    if pid in lane_pids or " -m pytest" in cmdline:
        return "pytest (tests, provider stand-ins)"
    if "bin/litellm" in cmdline:
        return "LiteLLM"
    if comm.startswith("claude"):
        return "Claude apps gateway" if " gateway" in cmdline else "Claude Code"
    if "chrom" in comm or "playwright" in cmdline:
        return "Chromium and Playwright"
    if comm in ("dockerd", "containerd", "runc") or comm.startswith("containerd-shim"):
        return "Docker engine"
    if "gateway_assistant" in cmdline or "gateway-assistant" in cmdline:
        return "gateway-assistant"
    named = {"postgres": "PostgreSQL", "nginx": "nginx", "squid": "Squid", "haproxy": "HAProxy",
             "redis-server": "Redis", "prometheus": "Prometheus", "node": "Node (the IdP)"}
    return named.get(comm, "other (shells, tools)")


class Sampler:
    """`with Sampler() as cpu:` around the lanes; `cpu.watch(pid)` for each lane's pytest."""

    def __init__(self):
        self.lanes: set[int] = set()
        self._seen: dict[tuple[int, str], list] = {}  # (pid, start) -> [ticks, component]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="cpu-sampler")
        self.own = os.readlink("/proc/self/ns/net")  # the lanes' namespaces differ

    def watch(self, pid: int) -> None:
        self.lanes.add(pid)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # the last look

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            self._sample()

    def _sample(self) -> None:
        namespaces = set()
        for pid in list(self.lanes):
            try:
                ns = os.readlink(f"/proc/{pid}/ns/net")
            except OSError:
                continue
            if ns != self.own:  # the lane has entered its namespace
                namespaces.add(ns)
        if not namespaces:
            return
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
                key = (int(name), fields[19])
                ticks = int(fields[11]) + int(fields[12])
                if key in self._seen:
                    self._seen[key][0] = max(self._seen[key][0], ticks)
                    continue
                if os.readlink(f"/proc/{name}/ns/net") not in namespaces:
                    continue
                comm = Path(f"/proc/{name}/comm").read_text().strip()
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(
                    b"\0", b" ").decode(errors="replace")
                self._seen[key] = [ticks, component(comm, cmdline, self.lanes, int(name))]
            except (OSError, IndexError, ValueError):
                continue

    def totals(self) -> dict[str, tuple[float, int]]:
        """component -> (CPU seconds, processes seen)"""
        cpu: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for ticks, name in self._seen.values():
            cpu[name] += ticks / TICK
            count[name] += 1
        return {n: (cpu[n], count[n]) for n in sorted(cpu, key=lambda n: -cpu[n])}

    def report(self, wall_s: float) -> str:
        totals = self.totals()
        used = sum(s for s, _ in totals.values())
        cores = os.cpu_count() or 1
        width = max((len(n) for n in totals), default=0)
        lines = [f"CPU by component (sampled every {INTERVAL_S} s; shorter-lived processes are "
                 f"missed): {used:.0f} s seen of {cores * wall_s:.0f} s available "
                 f"({cores} cores × {wall_s:.0f} s)"]
        lines += [f"  {n:<{width}}  {s:7.1f} s  {100 * s / used if used else 0:3.0f} %  "
                  f"{c:>5} processes" for n, (s, c) in totals.items()]
        return "\n".join(lines)
