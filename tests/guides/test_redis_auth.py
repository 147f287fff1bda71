"""A Redis that asks for a password (docs/how-to/production.md, "A Redis that asks for a
password"): the production config unchanged, the password in the gateway's environment as
the page's `gateway.env` gives it, against a real Redis started with `requirepass`.

What the pinned LiteLLM reads, and how it combines with the config (litellm/_redis.py,
`_get_redis_client_logic`): every `REDIS_<ARG>` variable for an argument of redis-py's client
(`REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, ...) fills what the config leaves out, and a
value the config gives wins (`{**environment_kwargs, **env_overrides}`). Each test below looks
at the Redis side as well as Claude Code's: what Redis stored, and how many clients it turned
away for a wrong password (`INFO errorstats`, `errorstat_WRONGPASS`).

LiteLLM runs as a process from the pinned venv (as every `gateways.get`), and the env file is
handed to it as Compose's `env_file` hands it to a container: its NAME=value lines as the
process environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet
from tests.harness.reader.expect import claude_replied, upstream_messages

START = ("quickstart/03-start-gateway.sh",)
CONFIG = "production/02-config.yaml"
ENV_FILE = "redis-auth/01-gateway.env"
PASSWORD = "redis-password-change-me"  # what 01-gateway.env holds
CONNECT = "quickstart/06-connect-shell.sh"
ASK = "quickstart/07-first-request.sh"
REPLY = "pong from a Redis with a password"


def env_file(rel: str) -> dict[str, str]:
    """NAME=value lines, as Compose reads an env_file (no quotes, no expansion)."""
    lines = snippet(rel).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture
def redis_with_password(isolated):
    from tests.harness.start import redis_server as redis
    why = redis.why_unavailable()
    if why:
        pytest.skip(why)
    server = redis.Redis(password=PASSWORD).start()
    yield server
    server.stop()


def denied(redis) -> int:
    """Wrong passwords Redis refused since it started (its count of WRONGPASS errors; Redis
    7.0's INFO has no line for an error it never returned)."""
    stats = redis.command("INFO", "errorstats")
    m = re.search(r"^errorstat_WRONGPASS:count=(\d+)", stats, re.M)
    return int(m.group(1)) if m else 0


REFUSED = "invalid username-password pair or user is disabled"  # Redis's WRONGPASS message


def ask(terminal, upstream) -> int:
    """The page's request; how many requests have reached the provider in this test."""
    upstream.reply_text = REPLY
    claude_replied(terminal.run(CONNECT, ASK), REPLY)
    return len(upstream_messages(upstream))


def restarted(gateways, gw):
    """The same gateway (start, files, environment) as a new process: LiteLLM keeps a copy
    of each cached answer in the process's memory next to Redis, so only a new process (or
    another instance) shows what Redis itself holds."""
    return gateways.get(gw.start, gw.files, env=gw.env, restart=True)


def test_redis_password_from_the_environment(gateways, provider, upstream, redis_with_password,
                                             terminal):
    env = {**env_file(ENV_FILE), "ANTHROPIC_API_BASE": provider.url}
    assert env["REDIS_PASSWORD"] == PASSWORD and "password" not in snippet(CONFIG).read_text()
    gw = gateways.get(START, {"config.yaml": CONFIG}, env=env, restart=True)
    ran(ENV_FILE)  # LiteLLM is live with its lines as its environment
    from tests.harness.start.redis_server import Redis
    anonymous = Redis(port=redis_with_password.port)  # a client without the password
    assert anonymous.command("PING").startswith("NOAUTH"), "Redis must ask for the password"
    assert ask(terminal, upstream) == 1
    assert redis_with_password.keys(), "LiteLLM stored nothing in Redis"
    # A new LiteLLM process answers the same request from Redis: no second provider call.
    gw = restarted(gateways, gw)
    assert ask(terminal, upstream) == 1
    assert denied(redis_with_password) == 0
    assert REFUSED not in gw.log() and "NOAUTH" not in gw.log(), gw.log()[-2000:]


def config_without_redis_address(tmp_path: Path) -> Path:
    """The production config with nothing about Redis but `type: redis`: host, port (and
    the router's Redis) left to the environment."""
    config = yaml.safe_load(snippet(CONFIG).read_text())
    config["litellm_settings"]["cache_params"] = {"type": "redis"}
    del config["router_settings"]
    path = tmp_path / "config-no-redis-address.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


ELSEWHERE = "127.0.0.2"  # a second loopback address: a host that is not localhost

COMBINATIONS = {  # name: (config, Redis variables, where the cache must land)
    # What the config leaves out comes from the variables: a host and port that are not the
    # client's defaults, so only a client that read them finds that Redis.
    "address from REDIS_HOST and REDIS_PORT": (
        "derived", {"REDIS_HOST": ELSEWHERE, "REDIS_PORT": "6391"}, (ELSEWHERE, 6391)),
    # Without REDIS_PORT, redis-py's default port, on the host the variable names.
    "REDIS_HOST alone: port 6379": ("derived", {"REDIS_HOST": ELSEWHERE}, (ELSEWHERE, 6379)),
    # What the config names wins: variables naming another live Redis change nothing.
    "the config's host and port win": (
        "published", {"REDIS_HOST": ELSEWHERE, "REDIS_PORT": "6391"}, ("127.0.0.1", 6379)),
}


@pytest.mark.parametrize("name", COMBINATIONS)
def test_redis_variables_fill_what_the_config_leaves_out(name, gateways, provider, upstream,
                                                         redis_with_password, terminal,
                                                         tmp_path):
    """Two Redis servers with the password: the default address (localhost:6379, the
    fixture's) and one the variables can name (127.0.0.2). LiteLLM's cache lands in exactly
    the one the combination gives, and the other stays empty."""
    from tests.harness.start.redis_server import Redis
    kind, variables, expected = COMBINATIONS[name]
    config = config_without_redis_address(tmp_path) if kind == "derived" else CONFIG
    port = int(variables.get("REDIS_PORT", "6379"))
    other = Redis(port=port, password=PASSWORD, host=ELSEWHERE).start()
    try:
        servers = {("127.0.0.1", 6379): redis_with_password, (ELSEWHERE, port): other}
        env = {**env_file(ENV_FILE), **variables, "ANTHROPIC_API_BASE": provider.url}
        gw = gateways.get(START, {"config.yaml": config}, env=env, restart=True)
        assert ask(terminal, upstream) == 1
        stored = {address: bool(server.keys()) for address, server in servers.items()}
        assert stored == {address: address == expected for address in servers}, (
            stored, gw.log()[-3000:])
        assert all(denied(server) == 0 for server in servers.values())
    finally:
        other.stop()
        gateways.free_port(4000)  # no gateway bound to the second Redis stays for other tests


def test_wrong_redis_password_is_logged_and_claude_code_still_answered(
        gateways, provider, upstream, redis_with_password, terminal):
    env = {**env_file(ENV_FILE), "REDIS_PASSWORD": "not-the-password",
           "ANTHROPIC_API_BASE": provider.url}
    gw = gateways.get(START, {"config.yaml": CONFIG}, env=env, restart=True)
    # Claude Code gets its answer; Redis turned LiteLLM away and holds nothing, so a new
    # process asks the provider again.
    assert ask(terminal, upstream) == 1
    log = gw.log()
    gw = restarted(gateways, gw)
    assert ask(terminal, upstream) == 2
    # Each process still answers a repeated request from its own memory.
    assert ask(terminal, upstream) == 2
    assert redis_with_password.keys() == []
    assert denied(redis_with_password) > 0
    # What LiteLLM logs: at start, its check of Redis; at each request, the cache lookup.
    lines = [next((ln for ln in log.splitlines() if REFUSED in ln and what in ln), what)
             for what in ("LiteLLM Redis Cache PING", "Error occurred in async batch get cache")]
    assert all(REFUSED in line for line in lines), log[-3000:]
    captures.check("redis-auth/wrong-password.txt", "\n".join(lines),
                   figures=r"(?m)^\d{2}:\d{2}:\d{2}")
    gateways.free_port(4000)  # no gateway with the wrong password stays for other tests
