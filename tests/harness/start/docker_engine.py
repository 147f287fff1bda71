"""A real Docker engine, started by the harness inside the test process's private network
namespace (no host engine assumed, nothing published outside loopback).

dockerd runs without iptables and without its bridge, so the only network a container can
join is the host's, which here is the test namespace: containers use `--network host` and
reach the provider fake and each other on 127.0.0.1. Its image store lives in the component
cache (built images survive across runs: a warm run builds nothing); its runtime state in a
temporary directory. Stopped by PID (its process group), then the namespace mount it leaves
is unmounted, or the namespace would outlive the tests.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.harness.project import CACHE
from tests.harness.proof import starts
from tests.harness.start.gateway import stop_process_group

# Debian's CLI, not whatever else is first on PATH: the one that matches dockerd (20.10).
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
START_TIMEOUT_S = 60  # measured < 1 s to the first `docker info`


class EngineUnavailable(RuntimeError):
    pass


def _which(cmd: str) -> str | None:
    return shutil.which(cmd, path=SYSTEM_PATH)


def why_not() -> str | None:
    """None when this machine can run the engine, else why not (for the backend report)."""
    for cmd in ("dockerd", "docker", "containerd", "runc"):
        if not _which(cmd):
            return f"no {cmd} (Debian docker.io)"
    if os.geteuid() != 0:
        return "dockerd needs root"
    return None


class Engine:
    def __init__(self, data_root: Path | None = None):
        self.data_root = data_root or CACHE / "docker"
        self.exec_root = Path(tempfile.mkdtemp(prefix="dockerd-"))
        self.sock = self.exec_root / "docker.sock"
        self.proc: subprocess.Popen | None = None
        self._lock = None

    @property
    def host(self) -> str:
        return f"unix://{self.sock}"

    def env(self) -> dict[str, str]:
        """What a shell needs to talk to this engine (the reader's `docker` talks to theirs)."""
        return {"DOCKER_HOST": self.host, "PATH": SYSTEM_PATH}

    def docker(self, *args: str, check: bool = True, timeout: float = 600,
               input: str | None = None) -> subprocess.CompletedProcess:
        r = subprocess.run([_which("docker"), *args], env={**os.environ, **self.env()},
                           capture_output=True, text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise EngineUnavailable(f"docker {' '.join(args)}: {r.stderr.strip()}")
        return r

    def start(self) -> Engine:
        why = why_not()
        if why:
            raise EngineUnavailable(why)
        self.data_root.mkdir(parents=True, exist_ok=True)
        # One engine per image store: a second test session waits instead of corrupting it.
        self._lock = open(self.data_root.parent / "docker.lock", "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        with starts.timed("Docker engine", f"data root {self.data_root.name}"):
            return self._launch()

    def _launch(self) -> Engine:
        log = open(self.exec_root / "dockerd.log", "wb")
        self.proc = subprocess.Popen(
            [_which("dockerd"), "--iptables=false", "--ip6tables=false", "--bridge=none",
             "--storage-driver=overlay2", f"--data-root={self.data_root}",
             f"--exec-root={self.exec_root / 'exec'}", f"--pidfile={self.exec_root}/pid",
             "-H", self.host],
            env={"PATH": SYSTEM_PATH, "HOME": str(self.exec_root)},
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EngineUnavailable(f"dockerd exited {self.proc.returncode}:\n{self.log()}")
            if self.docker("info", check=False, timeout=10).returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise EngineUnavailable(f"docker info did not answer in {START_TIMEOUT_S} s")

    def log(self) -> str:
        path = self.exec_root / "dockerd.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        # Containers first, so the engine does not wait for them on its way down.
        if self.proc and self.proc.poll() is None:
            ids = self.docker("ps", "-aq", check=False).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, check=False)
        stop_process_group(self.proc)
        self.proc = None
        netns = self.exec_root / "exec" / "netns" / "default"
        if os.path.ismount(netns):
            subprocess.run(["umount", str(netns)], check=False)
        shutil.rmtree(self.exec_root, ignore_errors=True)
        if self._lock:
            self._lock.close()
            self._lock = None
