"""The production guide (docs/how-to/production.md), run verbatim with docker-compose on the
harness's own Docker engine: two LiteLLM instances, Redis, HAProxy and Prometheus, and the
real Claude Code CLI through the balancer, as a developer on the team uses it.

The world around the snippets: the reader's shell talks to the harness's engine
(DOCKER_HOST), its images were built offline under the published names (images.py), and
ANTHROPIC_API_BASE, which the compose file passes through, points the instances at the
provider fake. Everything else is the reader's bytes.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness.expect import claude_replied, upstream_messages
from tests.harness.snippets import snippet
from tests.harness.terminal import Result, Terminal

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
