"""The CPU report of a whole run: every process of a lane's namespace counted under its
component, once, at the CPU it used."""

from __future__ import annotations

import subprocess

from tests.harness.proof import cpu

BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1: pass\n"
# ...then alive a while, so the last samples see all of its CPU (what a process uses in its
# last half second is missed: the report's totals are a floor)
LINGER = "time.sleep(1.5)\n"


def test_a_lanes_processes_are_counted_by_component(isolated):
    with cpu.Sampler() as usage:
        lane = subprocess.Popen(["unshare", "-n", "bash", "-c",
                                 f"python3 -c '{BUSY}{LINGER}'; sleep 0.6"])
        usage.watch(lane.pid)
        assert lane.wait(timeout=60) == 0
    totals = usage.totals()
    seconds, processes = totals["other (shells, tools)"]
    assert 0.9 <= seconds < 2 and processes == 1, totals  # the busy python, once
    assert "pytest (tests, provider stand-ins)" in totals  # the lane itself (bash here)
    assert "CPU by component" in usage.report(10)


def test_a_process_outside_the_lanes_is_not_counted(isolated):
    with cpu.Sampler() as usage:
        usage.watch(subprocess.Popen(["unshare", "-n", "sleep", "1"]).pid)
        outside = subprocess.Popen(["python3", "-c", BUSY])
        assert outside.wait(timeout=60) == 0
    assert "other (shells, tools)" not in usage.totals()


def test_components_by_their_commands():
    lanes = {10}
    cases = {
        (10, "bash", "bash -c x"): "pytest (tests, provider stand-ins)",
        (11, "python3.11", "/root/.cache/gateway-docs/litellm-x/litellm-venv/bin/python3.11 "
             "/root/.cache/gateway-docs/litellm-x/litellm-venv/bin/litellm --config c"): "LiteLLM",
        (12, "python", "/opt/litellm/bin/python /opt/litellm/bin/litellm --config c"): "LiteLLM",
        (13, "claude", "claude -p Reply with the word pong"): "Claude Code",
        (14, "claude", "claude gateway --config gateway.yaml"): "Claude apps gateway",
        (15, "chromium", "/usr/lib/chromium/chromium --type=renderer"): "Chromium and Playwright",
        (16, "containerd-shim", "containerd-shim-runc-v2 -id x"): "Docker engine",
        (17, "postgres", "postgres: checkpointer"): "PostgreSQL",
        (18, "node", "node oidc_idp.mjs"): "Node (the IdP)",
        (19, "tmux: server", "tmux new-session"): "other (shells, tools)",
    }
    for (pid, comm, cmdline), expected in cases.items():
        assert cpu.component(comm, cmdline, lanes, pid) == expected, cmdline
