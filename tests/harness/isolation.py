"""A private network namespace for the whole test process: only loopback exists, so the
literal ports snippets publish (localhost:4000) are free and any attempt to reach the
internet fails at once. Entered before any test runs; children inherit it."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shlex
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def enter_private_network() -> str | None:
    """Enter a namespace with only loopback up. Returns None, or why it is impossible."""
    uid, gid = os.getuid(), os.getgid()
    try:
        _unshare(CLONE_NEWNET)
    except OSError as root_error:
        try:  # unprivileged: a user namespace in which we may own a network namespace
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"0 {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"0 {gid} 1")
        except OSError as user_error:
            return (f"cannot create a private network namespace (as root: {root_error}; "
                    f"with a user namespace: {user_error})")
    try:
        _loopback_up()
    except OSError as e:
        return f"private network namespace created but loopback could not be raised: {e}"
    return None


def _loopback_up() -> None:
    """`ip link set lo up` without needing iproute2: SIOCGIFFLAGS / SIOCSIFFLAGS on lo."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = fcntl.ioctl(s, siocgifflags, struct.pack("16sH14x", b"lo", 0))
        flags = struct.unpack("16sH14x", ifreq)[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


# -- Nothing left behind by a run that was killed ------------------------------------------
# Servers start in sessions of their own (so a test can stop one by its process group), which
# also keeps them alive when the test process is killed. Every process of a run lives in the
# run's network namespace: each run notes its namespace, and the next run stops whatever is
# still in the namespace of a run whose process is gone, by PID.

def _netns(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def _started(pid: int | str) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def leave_nothing_behind(runs: Path) -> list[str]:
    """Stop the processes of earlier runs that died without stopping them; note this run.
    Returns one line per run cleaned up."""
    runs.mkdir(parents=True, exist_ok=True)
    mine, report = _netns("self"), []
    for note in runs.glob("[0-9]*"):
        try:  # another run may be removing its note, or writing one, right now
            pid, started, netns = note.read_text().split()
        except (OSError, ValueError):
            continue
        try:
            if _started(pid) == started:
                continue  # that run is still going
        except (OSError, IndexError):
            pass
        if netns != mine:
            left = _stop_namespace(netns)
            if left:
                report.append(f"stopped {len(left)} process{'es' * (len(left) != 1)} left "
                              f"running by test run {pid}, which was killed")
        note.unlink(missing_ok=True)
    tmp = runs / f".{os.getpid()}.tmp"
    tmp.write_text(f"{os.getpid()} {_started('self')} {mine}\n")
    tmp.replace(runs / str(os.getpid()))  # whole or not at all, for a run reading it now
    return report


def forget_run(runs: Path) -> list[str]:
    """At the end of a run: stop what is still running in its namespace (every fixture has
    stopped its servers by now, so anything left leaked: say what) and drop the note."""
    left = _stop_namespace(_netns("self"), spare=str(os.getpid()))
    (runs / str(os.getpid())).unlink(missing_ok=True)
    return left


def _stop_namespace(netns: str, spare: str = "") -> list[str]:
    """SIGTERM, then SIGKILL, every process in `netns` but `spare`; their command names."""
    left = [p for p in os.listdir("/proc") if p.isdigit() and p != spare and _same(p, netns)]
    names = []
    for p in left:
        with contextlib.suppress(OSError):
            names.append(Path(f"/proc/{p}/comm").read_text().strip())
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(p), sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_same(p, netns) for p in left):
            time.sleep(0.1)
    return names


def _same(pid: str, netns: str) -> bool:
    try:
        return _netns(pid) == netns
    except OSError:
        return False


# -- A private /etc for one command (managed settings live in /etc/claude-code) -----------

def with_private_etc(upper, work, command: str) -> str:
    """`command`, run by bash in its own mount namespace with `upper` laid over /etc: the
    process sees the files under `upper` (e.g. claude-code/managed-settings.json), the machine
    and every other test do not."""
    return "unshare -m --propagation private bash -c " + shlex.quote(
        f"mount -t overlay overlay -o lowerdir=/etc,upperdir={upper},workdir={work} /etc && "
        f"{command}")


def private_etc_unavailable(tmp_path) -> str | None:
    """None when this process can give a child a private overlay of /etc (as root, or as the
    owner of the user namespace the harness entered), else the error the mount gave."""
    upper, work = tmp_path / "probe-upper", tmp_path / "probe-work"
    upper.mkdir()
    work.mkdir()
    r = subprocess.run(with_private_etc(upper, work, "true"), shell=True, capture_output=True,
                       text=True)
    return None if r.returncode == 0 else (r.stderr.strip() or f"exit {r.returncode}")
