"""The run is hermetic: nothing outside loopback is reachable."""

import os
import signal
import socket
import subprocess
import time

import pytest


@pytest.mark.parametrize("address", [("1.1.1.1", 443), ("8.8.8.8", 53)])
def test_no_route_out(isolated, address):
    with socket.socket() as s, pytest.raises(OSError) as err:
        s.settimeout(5)
        s.connect(address)
    assert err.value.errno == 101, f"expected 'Network is unreachable', got {err.value!r}"


def test_a_killed_run_leaves_nothing_behind(isolated, tmp_path):
    """A server a killed run started (its own session, its own network namespace: the run's)
    is stopped by the next run; a live run's servers and this run's own are not touched."""
    from tests.harness import isolation
    orphan = subprocess.Popen(["unshare", "-n", "sleep", "600"], start_new_session=True)
    live = subprocess.Popen(["unshare", "-n", "sleep", "600"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (isolation._netns(orphan.pid) == isolation._netns(
                "self") or isolation._netns(live.pid) == isolation._netns("self")):
            time.sleep(0.05)  # until unshare has entered the new namespace
        dead = subprocess.Popen(["true"])
        dead.wait()
        (tmp_path / str(dead.pid)).write_text(f"{dead.pid} 1 {isolation._netns(orphan.pid)}\n")
        (tmp_path / str(live.pid)).write_text(
            f"{live.pid} {isolation._started(live.pid)} {isolation._netns(live.pid)}\n")
        report = isolation.leave_nothing_behind(tmp_path)
        assert orphan.wait(timeout=10) == -signal.SIGTERM
        assert live.poll() is None
        assert report == [f"stopped 1 process left running by test run {dead.pid}, "
                          "which was killed"]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([str(live.pid),
                                                                     str(os.getpid())])
    finally:
        for p in (orphan, live):
            p.kill()
            p.wait()


def test_the_end_of_a_run_stops_what_leaked(isolated):
    """What is still running in a run's namespace when it ends is stopped, and named (the
    run itself is spared)."""
    from tests.harness import isolation
    leader = subprocess.Popen(["unshare", "-n", "sh", "-c", "sleep 600 & exec sleep 601"],
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and isolation._netns(leader.pid) == \
                isolation._netns("self"):
            time.sleep(0.05)
        netns = isolation._netns(leader.pid)
        while time.monotonic() < deadline and len(
                [p for p in os.listdir("/proc") if p.isdigit() and isolation._same(p, netns)]) < 2:
            time.sleep(0.05)
        stopped = isolation._stop_namespace(netns, spare=str(leader.pid))
        assert stopped == ["sleep"]
        assert leader.poll() is None  # spared
        assert [p for p in os.listdir("/proc") if p.isdigit() and isolation._same(p, netns)] \
            == [str(leader.pid)]
    finally:
        leader.kill()
        leader.wait()
