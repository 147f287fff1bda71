"""The gateway runner: the pinned LiteLLM proxy started from a published start snippet on a
published config, both byte for byte.

The harness shapes only the world around them: PATH to the pinned install, a fresh HOME, and
where the model provider lives (ANTHROPIC_API_BASE, which LiteLLM's anthropic provider reads
from its environment). A pool keeps one running gateway per (start, config) for the whole
test session; starting one on a port another holds stops the other first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.proof import starts
from tests.harness.proof.snippets import ran, snippet
from tests.harness.start import components

START_TIMEOUT_S = 90  # measured 5-12 s on 2 busy cores; generous for a cold page cache


class GatewayFailed(RuntimeError):
    pass


# Which backend runs every gateway of the session: GATEWAY_BACKEND=process (the default: the
# pinned venv, as the quickstart runs it) or container (the same start snippets inside the
# LiteLLM image, through testcontainers, on the harness's own Docker engine).
BACKEND = os.environ.get("GATEWAY_BACKEND", "process")
if BACKEND not in ("process", "container"):
    raise ValueError(f"GATEWAY_BACKEND={BACKEND!r}: use process or container")


def backend_report() -> str:
    from tests.harness.start import docker_engine, images
    why_not = docker_engine.why_not()
    if BACKEND == "container":
        return (f"gateway backend: container ({images.LITELLM_IMAGE} built offline, "
                "testcontainers, dockerd in the test namespace; GATEWAY_BACKEND=container)")
    other = ("GATEWAY_BACKEND=container selects containers" if why_not is None
             else f"container backend unavailable: {why_not}")
    return f"gateway backend: local process (GATEWAY_BACKEND=process; {other})"


@dataclass
class Gateway:
    start: tuple[str, ...]  # snippets sourced in order in one shell; the last starts LiteLLM
    files: dict[str, str | Path]  # name in the working directory -> snippet (or a file a
    # test derived from one, to prove what a broken variant does)
    port: int = 4000
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    workdir: Path | None = None
    tls_ca: Path | None = None  # serving HTTPS with a certificate this CA signed
    tls_client: tuple[Path, Path] | None = None  # (cert, key) the health check presents (mTLS)
    # name -> IP seen by this gateway only (its own mount namespace, /etc/hosts bind-mounted):
    # for upstream hosts LiteLLM hard-codes, e.g. <region>-aiplatform.googleapis.com.
    hosts: dict[str, str] = field(default_factory=dict)
    health_path = "/health/liveliness"  # LiteLLM's; other gateways (nginx.py) name theirs
    component = "LiteLLM"  # what the run's start report counts it as; subclasses name theirs

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_ca else 'http'}://localhost:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "gateway.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.workdir else ""

    def launch(self) -> Gateway:
        if _listening(self.port):
            raise GatewayFailed(f"port {self.port} is already in use; a gateway cannot start")
        self.workdir = Path(tempfile.mkdtemp(prefix="gateway-"))
        # Run as root (as in CI), nginx serves from unprivileged worker processes: they must
        # reach the temporary files nginx keeps in this directory.
        self.workdir.chmod(0o755)
        for name, src in self.files.items():
            shutil.copyfile(src if isinstance(src, Path) else snippet(src), self.workdir / name)
        home = self.workdir / "home"
        home.mkdir()
        env = {
            "HOME": str(home),
            "PATH": f"{components.litellm_bin()}{os.pathsep}/usr/bin:/bin",
            "LANG": "C.UTF-8",
            # LiteLLM's only outbound call at startup; offline it only costs seconds.
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            # As in the reader's terminal, each print() reaches the log at once: written to a
            # file, Python holds them until exit, and a gateway stopped by signal loses them
            # (its banner, "Set models:"), so a test could not see what a reader sees.
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        label, same = self.start_key()
        with starts.timed(self.component, label, same):
            self._spawn(env)
            self._wait_live()
        # Live: the start snippets ran and the server loaded the files it was given.
        ran(*self.start, *(src for src in self.files.values() if not isinstance(src, Path)))
        return self

    def start_key(self) -> tuple[str, str]:
        """(a readable label: start snippets, config file names, environment variable names;
        a digest of the config bytes and environment values): what a shared gateway would
        have to match. No value is in the label (the environment holds secrets)."""
        files = {name: src.name + " (derived)" if isinstance(src, Path) else src
                 for name, src in sorted(self.files.items())}
        label = " | ".join([
            " + ".join(self.start),
            ", ".join(f"{n}={src}" for n, src in files.items()) or "no files",
            "env " + (" ".join(sorted(self.env)) or "-")]
            + ([f"port {self.port}"] if self.port != 4000 else [])
            + (["hosts " + " ".join(sorted(self.hosts))] if self.hosts else [])
            + (["in a container"] if isinstance(self, ContainerGateway) else []))
        same = hashlib.sha256(json.dumps([
            self.start, self.port, sorted(self.env.items()), sorted(self.hosts.items()),
            {n: hashlib.sha256((src if isinstance(src, Path) else snippet(src)).read_bytes())
             .hexdigest() for n, src in self.files.items()}]).encode()).hexdigest()[:8]
        return label, same

    def _script(self, snippet_path) -> str:
        return "\n".join(f"source {shlex.quote(str(snippet_path(s)))}" for s in self.start)

    def _spawn(self, env: dict[str, str]) -> None:
        script = self._script(snippet)
        argv = ["bash", "-c", script]
        if self.hosts:  # unshare execs in place: the PID (and process group) stay the same
            hosts = self.workdir / "hosts"
            hosts.write_text(Path("/etc/hosts").read_text() + "".join(
                f"{ip} {name}\n" for name, ip in self.hosts.items()))
            argv = ["unshare", "-m", "--", "sh", "-c",
                    'mount --bind "$0" /etc/hosts && exec bash -c "$1"', str(hosts), script]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv, cwd=self.workdir, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)

    def _exit_code(self) -> int | None:
        return self.proc.poll()

    def _wait_live(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if (code := self._exit_code()) is not None:
                raise GatewayFailed(
                    f"gateway exited with {code} before it was live:\n"
                    + tail(self.log()))
            try:
                context = None
                if self.tls_ca:  # trust the CA; the name is the tests' to check (a
                    # certificate may name only the gateway's published host, not localhost)
                    context = ssl.create_default_context(cafile=self.tls_ca)
                    context.check_hostname = False
                    if self.tls_client:
                        context.load_cert_chain(*self.tls_client)
                with urllib.request.urlopen(self.url + self.health_path, timeout=2,
                                            context=context) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise GatewayFailed(f"gateway not live after {START_TIMEOUT_S} s:\n" + tail(self.log()))

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Stop by PID: the process group this gateway's start command leads."""
        stop_process_group(self.proc)
        self.proc = None


class ContainerGateway(Gateway):
    """The same start snippets and files, run inside the LiteLLM image by testcontainers.

    The working directory is mounted at /app (the official image's WORKDIR) and the snippets
    at the same path as on the host, so `source <snippet>` reads the very same bytes. Host
    networking: the container shares the test namespace's loopback, so the gateway is at
    localhost:<port> and reaches the provider fake there, as the process does."""

    engine = None  # the session's docker_engine.Engine (set by the gateways fixture)
    container = None

    def _spawn(self, env: dict[str, str]) -> None:
        os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # Ryuk cannot be pulled
        from testcontainers.core.container import DockerContainer

        from tests.harness.project import SNIPPETS
        from tests.harness.start import images
        env = {k: v for k, v in env.items() if k != "PATH"}  # the image's own PATH
        env["HOME"] = "/app/home"
        c = (DockerContainer(images.LITELLM_IMAGE, entrypoint=["bash", "-c"],
                             network_mode="host", working_dir="/app",
                             extra_hosts=self.hosts or None)
             .with_command([self._script(snippet)])
             .with_volume_mapping(str(self.workdir), "/app", "rw")
             .with_volume_mapping(str(SNIPPETS), str(SNIPPETS), "ro"))
        for k, v in env.items():
            c.with_env(k, v)
        self.container = c.start()

    def _exit_code(self) -> int | None:
        wrapped = self.container.get_wrapped_container()
        wrapped.reload()
        return wrapped.attrs["State"]["ExitCode"] if wrapped.status == "exited" else None

    def log(self) -> str:
        if self.container is None:
            return super().log()
        out, err = self.container.get_logs()
        return (out + err).decode(errors="replace")

    def running(self) -> bool:
        return self.container is not None and self._exit_code() is None

    def stop(self) -> None:
        if self.container is not None:
            self.log_path.write_text(self.log())  # keep what it printed, as the process does
            self.container.stop()
            self.container = None


def stop_process_group(proc: subprocess.Popen | None) -> None:
    """SIGTERM the process group `proc` leads (SIGKILL after a grace period) and return once
    every process of the group is gone, so its ports are free for the next server."""
    if proc is None:
        return
    pgid = proc.pid
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(pgid):
            proc.poll()  # reap the leader so the group can empty
            time.sleep(0.1)
        if not _group_alive(pgid):
            break
    proc.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


class GatewayPool:
    """One gateway per (start snippet, files, env) per test session; one holder per port."""

    def __init__(self, engine=None):
        self._running: dict[tuple, Gateway] = {}
        self.engine = engine  # a Docker engine: every gateway runs in a container

    def get(self, start: tuple[str, ...], files: dict[str, str | Path], port: int = 4000,
            env: dict[str, str] | None = None, restart: bool = False,
            tls_ca: Path | None = None, hosts: dict[str, str] | None = None) -> Gateway:
        key = (start, tuple(sorted((k, str(v)) for k, v in files.items())), port,
               tuple(sorted((env or {}).items())), tuple(sorted((hosts or {}).items())))
        gw = self._running.get(key)
        if gw and gw.running() and not restart:
            return gw
        self.free_port(port)
        kind = ContainerGateway if self.engine else Gateway
        gw = kind(start, files, port, dict(env or {}), tls_ca=tls_ca, hosts=dict(hosts or {}))
        gw.engine = self.engine
        gw.launch()
        self._running[key] = gw
        return gw

    def free_port(self, port: int) -> None:
        for key, gw in list(self._running.items()):
            if gw.port == port:
                gw.stop()
                del self._running[key]

    def stop_all(self) -> None:
        for gw in self._running.values():
            gw.stop()
        self._running.clear()
