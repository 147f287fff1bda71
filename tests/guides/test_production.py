"""The production guide (docs/how-to/production.md), run verbatim with docker-compose on the
harness's own Docker engine: two LiteLLM instances, Redis, HAProxy and Prometheus, and the
real Claude Code CLI through the balancer, as a developer on the team uses it.

The world around the snippets: the reader's shell talks to the harness's engine
(DOCKER_HOST), its images were built offline under the published names (images.py), and
ANTHROPIC_API_BASE, which the compose file passes through, points the instances at the
provider fake. Everything else is the reader's bytes.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.reader.terminal import Result, Terminal

FILES = {
    "gateway.env": "production/01-gateway.env",
    "config.yaml": "production/02-config.yaml",
    "haproxy.cfg": "production/03-haproxy.cfg",
    "prometheus.yml": "production/04-prometheus.yml",
    "docker-compose.yml": "production/05-docker-compose.yml",
}
UP = ("production/06-start.sh", "production/07-wait-healthy.sh")
CONNECT = "quickstart/06-connect-shell.sh"  # the quickstart's own: localhost:4000, the key
ASK = "quickstart/07-first-request.sh"
MASTER_KEY = "sk-litellm-change-me"  # what 01-gateway.env holds
INSTANCES = {"litellm-1": 4001, "litellm-2": 4002}


@dataclass
class Stack:
    shell: Terminal  # the operator's shell, in the directory that holds the compose project
    engine: object
    events: list[str] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return self.shell.project

    def place(self, name: str, src: str | Path) -> None:
        shutil.copyfile(src if isinstance(src, Path) else snippet(src), self.dir / name)

    def run(self, *snippets: str, timeout: float = 420) -> Result:
        result = self.shell.run(*snippets, timeout=timeout)
        assert result.code == 0, result.output
        return result

    def compose(self, args: str, timeout: float = 300) -> Result:
        return self.shell.sh(f"docker-compose {args}", timeout=timeout)

    def container(self, service: str) -> str:
        return self.compose(f"ps -q {service}").stdout.strip()

    def inspect(self, service: str, fmt: str) -> str:
        return self.engine.docker("inspect", "-f", fmt, self.container(service)).stdout.strip()

    def wait_healthy(self, service: str, timeout: float = 240) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.inspect(service, "{{.State.Health.Status}}") == "healthy":
                return time.monotonic() - started
            time.sleep(1)
        raise AssertionError(f"{service} not healthy after {timeout} s:\n"
                             + self.compose(f"logs --tail 30 {service}").stdout)


def counter(port: int, name: str) -> float:
    """Sum of one LiteLLM Prometheus counter on one instance (over every label set)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics/", timeout=10) as r:
        text = r.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


@pytest.fixture(scope="module")
def stack(docker_engine, provider, gateways, tmp_path_factory):
    gateways.free_port(4000)  # the balancer takes the port developers use
    shell = Terminal(tmp_path_factory.mktemp("production"), env={
        "DOCKER_HOST": docker_engine.host, "ANTHROPIC_API_BASE": provider.url,
        "COMPOSE_PROJECT_NAME": "gateway"})
    s = Stack(shell, docker_engine)
    for name, rel in FILES.items():
        s.place(name, rel)
    started = time.monotonic()
    s.up = s.run(*UP)
    s.up_seconds = time.monotonic() - started
    ran(*FILES.values())  # docker-compose read and ran every one of them
    yield s
    s.compose("down -t 5")


@pytest.fixture
def stack_upstream(stack, upstream):
    return upstream


def test_stack_comes_up_healthy(stack, stack_upstream, terminal):
    ps = stack.up.stdout
    for service in ("redis", "litellm-1", "litellm-2", "haproxy", "prometheus"):
        assert re.search(rf"gateway_{service}_1 .* Up", ps), ps
    claude_replied(terminal.run(CONNECT, ASK), "pong")
    assert len(upstream_messages(stack_upstream)) == 1


def test_prometheus_scrapes_both_instances(stack, stack_upstream, terminal):
    """Runs right after the first request: one request in, so the numbers are exact."""
    scraped = ("{'__name__': 'up', 'instance': 'localhost:4001', 'job': 'litellm'} 1",
               "{'__name__': 'up', 'instance': 'localhost:4002', 'job': 'litellm'} 1",
               "{'model': 'claude-opus-5-5'}", "{'status_code': '200'} 1", "{'instance': ",
               "{'model_group': ")
    # Wait for every line asserted below, not a subset of them, so that a late scrape on a
    # loaded machine is waited for rather than failed.
    deadline = time.monotonic() + 60
    while True:
        out = stack.run("production/12-prometheus-queries.sh").stdout
        if all(line in out for line in scraped) or time.monotonic() > deadline:
            break
        time.sleep(2)
    missing = [line for line in scraped if line not in out]
    assert not missing, f"after 60 s Prometheus still lacks {missing}:\n{out}"
    latency = re.sub(r"(\{'model_group': '[^']+'\}) [0-9.e+-]+", r"\1 <seconds>", out)
    captures.check("production/prometheus-queries.console", captures.console(
        snippet("production/12-prometheus-queries.sh").read_text(), latency))


def ask_instance(terminal, port: int, ask: str = ASK) -> Result:
    """The page's request, sent to one instance directly (to know which one answered)."""
    return terminal.sh(f"source {snippet(CONNECT)}\n"
                       f"export ANTHROPIC_BASE_URL=http://localhost:{port}\n"
                       f"source {snippet(ask)}")


def test_redis_cache_crosses_instances_counters_do_not(stack, stack_upstream, terminal):
    served = {s: counter(p, "litellm_proxy_total_requests_metric_total")
              for s, p in INSTANCES.items()}
    stack_upstream.reply_text = "pong from the cache test"
    first = ask_instance(terminal, 4001)
    second = ask_instance(terminal, 4002)
    claude_replied(first, "pong from the cache test")
    claude_replied(second, "pong from the cache test")
    # Instance 2 answered from the response instance 1 put in Redis: one upstream call.
    assert len(upstream_messages(stack_upstream)) == 1
    after = {s: counter(p, "litellm_proxy_total_requests_metric_total")
             for s, p in INSTANCES.items()}
    # Each instance counts only what it served: /metrics is per instance, not shared.
    assert {s: after[s] - served[s] for s in INSTANCES} == {"litellm-1": 1, "litellm-2": 1}


# -- An instance killed under load ------------------------------------------------------

LOAD_BODY = json.dumps({"model": "claude-haiku-5-5", "max_tokens": 16,
                        "messages": [{"role": "user", "content": "load"}]}).encode()


def load(stop: threading.Event, outcomes: list[str], workers: int = 3) -> list[threading.Thread]:
    """A bounded concurrent load generator on the balancer (no retries of its own)."""
    def worker(n: int):
        i = 0
        while not stop.is_set() and i < 400:
            i += 1
            body = LOAD_BODY.replace(b'"load"', f'"load {n}-{i}-{time.time()}"'.encode())
            req = urllib.request.Request("http://127.0.0.1:4000/v1/messages", body, {
                "content-type": "application/json", "authorization": f"Bearer {MASTER_KEY}"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    outcomes.append(str(r.status))
            except urllib.error.HTTPError as e:
                outcomes.append(str(e.code))
            except OSError as e:
                outcomes.append(type(e).__name__)
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(workers)]
    for t in threads:
        t.start()
    return threads


def kill_under_load(stack, terminal, rounds: int = 8) -> dict:
    """Developers' Claude Code requests in a bounded loop plus the load generator; litellm-1's
    process is killed (as a crash would) after the first request. Returns what failed."""
    stop, outcomes, claude = threading.Event(), [], []
    threads = load(stop, outcomes)
    try:
        for i in range(rounds):
            if i == 1:
                pid = stack.inspect("litellm-1", "{{.State.Pid}}")
                stack.shell.sh(f"kill -9 {pid}")
                killed = time.monotonic()
            r = terminal.run(CONNECT, ASK)
            claude.append(r)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    stack.wait_healthy("litellm-1")
    back = time.monotonic() - killed
    failed = [r for r in claude if r.code != 0 or r.stdout.strip() != "pong"]
    return {"claude_failed": len(failed), "claude_total": len(claude),
            "claude_errors": [r.output.strip().splitlines()[-1] for r in failed],
            "load_failed": sum(o != "200" for o in outcomes), "load_total": len(outcomes),
            "load_errors": sorted({o for o in outcomes if o != "200"}),
            "restarts": stack.inspect("litellm-1", "{{.RestartCount}}"),
            "back_s": back}


KILLS: dict[str, dict] = {}


def summary(name: str, k: dict) -> str:
    return (f"{name}: Claude Code requests failed {k['claude_failed']} of {k['claude_total']}"
            + f" ({'; '.join(sorted(set(k['claude_errors']))) or 'no errors'})"
            + f"; load generator requests failed {k['load_failed']} of {k['load_total']}"
            + f" ({', '.join(k['load_errors']) or 'no errors'})"
            + f"; litellm-1 restarted by Docker (restart count {k['restarts']}),"
            + f" healthy again {k['back_s']:.0f} s after the kill")


def test_kill_with_basic_balancer(stack, stack_upstream, terminal):
    KILLS["basic"] = k = kill_under_load(stack, terminal)
    print(summary("basic", k))
    assert int(k["restarts"]) >= 1, "the restart policy brings the instance back"
    # Round robin without health checks keeps sending requests to the dead port.
    assert k["load_failed"] > 0, k


def test_kill_with_tuned_balancer(stack, stack_upstream, terminal):
    stack.place("haproxy-tuned.cfg", "production/08-haproxy-tuned.cfg")
    stack.run("production/09-reload-balancer.sh")
    time.sleep(3)  # the first health checks
    ran("production/08-haproxy-tuned.cfg")
    KILLS["tuned"] = k = kill_under_load(stack, terminal)
    print(summary("tuned", k))
    assert k["claude_failed"] == 0, k
    assert k["load_failed"] < KILLS.get("basic", {"load_failed": 10**6})["load_failed"], k


def test_kill_figures_captured(stack):
    if set(KILLS) != {"basic", "tuned"}:
        pytest.skip("needs both kill tests in this run")
    captures.check("production/kill-under-load.txt",
                   "\n".join(summary(n, KILLS[n]) for n in ("basic", "tuned")),
                   figures=r"\d+|\((?:[^()]|\([^()]*\))*\)")


# -- Config changes rolled out instance by instance ---------------------------------------

def rollout_under_traffic(stack, terminal) -> tuple[Result, list[Result], float]:
    """Run the rolling restart while a developer keeps asking Claude Code (bounded loop).
    The developer has Claude Code's own retries, as a reader does: a balancer that answers
    503 for a moment while it notices the restarted instance is what they exist for."""
    done, asks = threading.Event(), []
    reader = Terminal(terminal.home.parent / "with-defaults", defaults=True)

    def developer():
        while not done.is_set() and len(asks) < 60:
            asks.append(reader.run(CONNECT, ASK))
    t = threading.Thread(target=developer, daemon=True)
    t.start()
    started = time.monotonic()
    try:
        rollout = stack.shell.run("production/10-rolling-restart.sh", timeout=400)
    finally:
        seconds = time.monotonic() - started
        done.set()
        t.join(120)
    return rollout, asks, seconds


ROLLOUTS: dict[str, float] = {}


def test_config_change_rolled_out_without_failed_requests(stack, stack_upstream, terminal):
    assert terminal.run(CONNECT, "quickstart/13-unknown-model.sh").code != 0  # not yet served
    stack.place("config-v2.yaml", "production/11-config-v2.yaml")
    stack.run("production/13-deploy-config.sh")
    rollout, asks, seconds = rollout_under_traffic(stack, terminal)
    assert "litellm-2 restarted and healthy" in rollout.stdout, rollout.output
    failed = [r.output for r in asks if r.code != 0 or r.stdout.strip() != "pong"]
    assert asks and not failed, failed
    ROLLOUTS["v2"] = seconds
    ran("production/11-config-v2.yaml")
    # The new config is live on both instances: the name it adds now answers.
    for port in INSTANCES.values():
        claude_replied(ask_instance(terminal, port, "quickstart/13-unknown-model.sh"), "pong")
    ROLLOUTS["requests"] = len(asks)


def test_rollback_to_previous_config(stack, stack_upstream, terminal):
    if "v2" not in ROLLOUTS:
        pytest.skip("needs the rollout test first")
    stack.run("production/14-rollback.sh")
    rollout, asks, seconds = rollout_under_traffic(stack, terminal)
    assert "litellm-2 restarted and healthy" in rollout.stdout, rollout.output
    assert asks and all(r.code == 0 for r in asks), [r.output for r in asks if r.code]
    ROLLOUTS["rollback"] = seconds
    r = terminal.run(CONNECT, "quickstart/13-unknown-model.sh")
    assert r.code != 0 and "Invalid model name passed in model=claude-sonnet-5" in r.output
    captures.check("production/rollout.txt",
                   f"config v2 rolled out over 2 instances in {ROLLOUTS['v2']:.0f} s "
                   f"and rolled back in {ROLLOUTS['rollback']:.0f} s; Claude Code requests "
                   f"during the rollout: {ROLLOUTS['requests']}, failed: 0",
                   figures=r"\d+ s|: \d+")


def test_broken_config_stops_the_rollout_old_instance_serves(stack, stack_upstream, terminal):
    broken = stack.dir / "config-broken.yaml"
    # The mistake the quickstart shows: master_key under litellm_settings.
    broken.write_text(snippet("production/02-config.yaml").read_text().replace(
        "general_settings:\n  master_key: os.environ/GATEWAY_MASTER_KEY\n", "").replace(
        "litellm_settings:\n", "litellm_settings:\n  master_key: os.environ/GATEWAY_MASTER_KEY\n"))
    good = (stack.dir / "config.yaml").read_bytes()
    (stack.dir / "config.yaml").write_bytes(broken.read_bytes())
    try:
        done, asks = threading.Event(), []
        result = stack.shell.run("production/10-rolling-restart.sh", timeout=400)
        for _ in range(3):  # litellm-2 still runs the old config and serves everyone
            asks.append(terminal.run(CONNECT, ASK))
        done.set()
    finally:
        (stack.dir / "config.yaml").write_bytes(good)
    # It stops as soon as the instance exits, not after the 90 s limit for a hung start.
    assert "litellm-1 exited while starting; rollout stopped" in result.stdout, result.output
    assert "litellm-2 restarted" not in result.stdout
    assert "no master key is set" in result.stdout, result.stdout
    for r in asks:
        claude_replied(r, "pong")
    first = result.stdout.splitlines()[0]
    error = next(line for line in result.stdout.splitlines() if "no master key is set" in line)
    captures.check("production/broken-rollout.txt", first + "\n" + re.sub(
        r"^.*?\| ", "litellm-1_1   | ", error))
    stack.run("production/10-rolling-restart.sh")  # the good config back on litellm-1


# -- Faults ------------------------------------------------------------------------------

def test_redis_down_gateway_keeps_serving(stack, stack_upstream, terminal):
    stack.compose("stop redis")
    try:
        stack_upstream.reply_text = "pong without redis"
        result = terminal.run(CONNECT, ASK)
        print(result.output[-2000:])
    finally:
        stack.compose("start redis")
    # Caching is lost (the request reaches the provider), requests still succeed.
    claude_replied(result, "pong without redis")
    assert len(upstream_messages(stack_upstream)) == 1


def test_port_mistake_in_compose_file_engine_error(stack):
    """`ports:` on a host-network service: Compose v1's Docker library refuses it before the
    engine is asked to create anything."""
    compose = yaml.safe_load(snippet("production/05-docker-compose.yml").read_text())
    compose["services"] = {"redis": {**compose["services"]["redis"], "ports": ["6380:6379"]}}
    (stack.dir / "ports-mistake.yml").write_text(yaml.safe_dump(compose))
    try:
        result = stack.compose("-p mistake -f ports-mistake.yml up -d")
        # Before `down`, which would remove a container the refusal had left behind.
        containers = stack.engine.docker("ps", "-a", "--format", "{{.Names}}").stdout
    finally:
        stack.compose("-p mistake -f ports-mistake.yml down -t 1")
    assert result.code != 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("ERROR: for redis"))
    assert not [c for c in containers.split() if c.startswith("mistake")], containers
    captures.check("production/ports-mistake.txt", line)
