"""Tutorial: Claude apps gateway, from zero to a signed-in developer
(docs/tutorials/claude-apps-gateway.md). The pinned `claude` binary runs the gateway on the
published gateway.yaml; PostgreSQL 15 from Debian; the company IdP is oidc-provider; the
developer signs in with interactive /login and the device page in headless Chromium; the
provider fake stands in for api.anthropic.com and records what reaches it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import stat
import statistics
import subprocess
import threading
import time
import urllib.request

import yaml

from tests.harness.project import CLAUDE_CODE_VERSION
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.start import apps_gateway

FIRST_REQUEST = "apps-gateway/06-first-request.sh"
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")


def log_lines(text: str) -> str:
    """The gateway's log with what varies per run masked: timestamps, ids, the config hash."""
    text = ISO_TIME.sub("…", text)
    # sha256 is over the config as resolved, so it changes with the environment's values
    text = re.sub(r'"sha256":"[0-9a-f]+"', '"sha256":"…"', text)
    return re.sub(r'"request_id":"[^"]+"', '"request_id":"…"', text)


def test_environment_snippet_sets_every_reference(terminal):
    """Sourced as the page says, 02-gateway-env.sh sets exactly the variables gateway.yaml
    references, with values of the shape the gateway's schema wants."""
    result = terminal.sh(f"source {snippet('apps-gateway/02-gateway-env.sh')}\nenv")
    assert result.code == 0, result.output
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    referenced = set(re.findall(r"\$\{(\w+)\}", snippet("apps-gateway/01-gateway.yaml")
                                .read_text()))
    assert referenced <= set(env), referenced - set(env)
    assert len(env["GATEWAY_JWT_SECRET"]) >= 32
    assert env["DATABASE_URL"].startswith("postgresql://")
    assert env["OIDC_ISSUER"].startswith("https://")


def tables(pg, database: str) -> list[str]:
    return pg.sql("SELECT table_name FROM information_schema.tables "
                  "WHERE table_schema = 'public' ORDER BY table_name",
                  database=database).split()


def test_gateway_boots_and_answers_its_probes(apps_gateway_world, postgres_server, upstream):
    """A reader's first start, on an empty database: the gateway applies its migrations
    itself (one log line each, in order; afterwards the tables are in PostgreSQL and
    `_migrations` lists the same versions), then answers /healthz and /readyz with no token.
    The boot log is compared whole, migration lines included. A second start on the same
    database applies nothing."""
    database = "first_start"
    postgres_server.sql(f"DROP DATABASE IF EXISTS {database}", database="postgres")
    postgres_server.sql(f"CREATE DATABASE {database}", database="postgres")
    world = {**apps_gateway_world,
             "DATABASE_URL": postgres_server.url.rsplit("/", 1)[0] + "/" + database}
    assert tables(postgres_server, database) == []
    gw = apps_gateway.start({"gateway.yaml": "apps-gateway/01-gateway.yaml"}, world)
    try:
        for path, body in (("/healthz", "ok"), ("/readyz", "ready")):
            status, text = apps_gateway.get(gw, path)
            assert (status, text.strip()) == (200, body), (path, status, text)
        log = gw.log()  # while it runs: what it printed on start, not its shutdown
    finally:
        gw.stop()
    applied = [int(n) for n in re.findall(r"migration (\d+) applied", log)]
    assert applied and applied == list(range(1, len(applied) + 1)), log
    recorded = postgres_server.sql("SELECT version FROM _migrations ORDER BY version",
                                   database=database).split()
    assert [int(v) for v in recorded] == applied, recorded
    created = tables(postgres_server, database)
    print(f"migrations applied: {applied}; tables: {created}")
    assert {"_migrations", "kv", "spend_limits", "spend"} <= set(created), created
    captures.check("apps-gateway/boot.txt", log_lines(log))
    again = apps_gateway.start({"gateway.yaml": "apps-gateway/01-gateway.yaml"}, world)
    again.stop()
    assert not re.search(r"migration \d+ applied", again.log()), again.log()
    for start_log in (log, again.log()):  # on every start, with no other replica about
        assert "info waiting for migration lock" in start_log, start_log
    assert tables(postgres_server, database) == created


def test_gateway_boot_time(apps_gateway_world, upstream):
    """Median boot time (start to /healthz 200) over three boots on an initialised database."""
    seconds = []
    for _ in range(3):
        gw = apps_gateway.start({"gateway.yaml": "apps-gateway/01-gateway.yaml"},
                                apps_gateway_world)
        seconds.append(gw.booted)
        gw.stop()
    median = statistics.median(seconds)
    print(f"gateway boot: median {median:.2f} s over {len(seconds)} boots")
    assert median < 5, seconds


def test_developer_signs_in_through_the_idp(apps_gw, developers):
    """/login with the URL the settings name, the trust prompt, the device page, the IdP's
    sign-in page: what the developer sees at each step, and every sign-in event the gateway
    logs for it, in order (a sign-in signs in again against this gateway if an earlier test
    signed alice in elsewhere)."""
    developers.forget("alice")
    developers.get("alice")
    seen = developers.sign_ins["alice"]
    captures.check("apps-gateway/login-gateway.txt", seen.screens["gateway"])
    captures.check("apps-gateway/login-trust.txt", seen.screens["trust"])
    captures.check("apps-gateway/login-code.txt", seen.screens["code"])
    captures.check("apps-gateway/device-page.txt", seen.pages["device"])
    captures.check("apps-gateway/idp-page.txt", seen.pages["idp"])
    captures.check("apps-gateway/signed-in-page.txt", seen.pages["after"])
    captures.check("apps-gateway/login-connected.txt", seen.screens["connected"])
    print(f"sign-in: {seen.seconds:.1f} s from /login to Connected")
    assert seen.seconds < 30, seen.seconds
    signing_in = [e for e in apps_gateway.events(apps_gw)
                  if e["evt"].startswith(("device.", "session."))]
    assert [(e["evt"], e["result"]) for e in signing_in] == [
        ("device.authorize", "success"), ("device.verify", "redirect"),
        ("session.mint", "success")], signing_in
    minted = signing_in[-1]
    assert minted["email"] == "alice@example.com" and minted["sub"] == "alice", minted
    assert minted["ttl_hours"] == 1, minted


def test_token_is_stored_in_the_credentials_file(apps_gw, developers):
    """~/.claude/.credentials.json, mode 0600: the gateway's own short-lived token and the
    gateway's URL; no upstream key anywhere in the developer's HOME or environment."""
    alice = developers.get("alice")
    path = apps_gateway.credentials(alice)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    entry = stored["enterpriseGateway"]
    assert entry["url"] == "http://localhost:8080"
    assert not any("refresh" in k.lower() for k in entry), entry
    head, body, signature = entry["jwt"].split(".")
    # signed by the gateway itself: HS256 with its session.jwt_secret
    mac = hmac.new(apps_gateway.JWT_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256)
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    assert hmac.compare_digest(mac.digest(), raw), "not signed with session.jwt_secret"
    claims = json.loads(_b64(body))
    assert claims["email"] == "alice@example.com" and claims["groups"] == ["engineering"]
    assert claims["exp"] - claims["iat"] == 3600  # session.ttl_hours: 1
    for f in alice.home.rglob("*"):
        if f.is_file():
            assert apps_gateway.UPSTREAM_KEY not in f.read_text(errors="ignore"), f
    assert not any(k.startswith("ANTHROPIC") for k in alice.env), alice.env
    summary = (f"mode {oct(stat.S_IMODE(path.stat().st_mode))[2:].zfill(4)}\n"
               f"top-level keys: {', '.join(sorted(stored))}\n"
               f"enterpriseGateway keys: {', '.join(sorted(entry))}\n"
               f"token claims: {', '.join(sorted(claims))}\n"
               f"token lifetime: {(claims['exp'] - claims['iat']) // 60} minutes\n")
    captures.check("apps-gateway/credentials-summary.txt", summary)


def test_first_request_reaches_the_upstream_with_the_gateway_key(apps_gw, developers,
                                                                  upstream):
    alice = developers.get("alice")
    result = alice.run(FIRST_REQUEST)
    claude_replied(result, "pong")
    captures.check("apps-gateway/first-request.txt", captures.console(
        snippet(FIRST_REQUEST).read_text(), result.stdout))
    token = json.loads(apps_gateway.credentials(alice).read_text())["enterpriseGateway"]["jwt"]
    everything = upstream.received()  # every method and path that reached the upstream
    assert everything, "nothing reached the upstream"
    for request in everything:  # the page speaks of what the upstream received, all of it
        assert request.headers.get("x-api-key") == apps_gateway.UPSTREAM_KEY, request.path
        assert "authorization" not in request.headers, (request.path, request.headers)
        assert token not in json.dumps(request.headers), request.path
        assert token.encode() not in request.body, request.path
    (sent,) = upstream_messages(upstream)
    assert sent.headers["x-api-key"] == apps_gateway.UPSTREAM_KEY
    assert token not in json.dumps(sent.headers)
    assert "authorization" not in sent.headers
    print("reached the upstream:", [(r.method, r.path) for r in everything])
    assert sent.headers["user-agent"].endswith(f" cc-gateway/{CLAUDE_CODE_VERSION}"), sent.headers
    assert sent.json["model"] == "claude-opus-4-7"  # the default model through the gateway
    summary = (f"x-api-key: {sent.headers['x-api-key']}\n"
               f"authorization: {'(absent)' if 'authorization' not in sent.headers else '?'}\n"
               f"user-agent: {sent.headers['user-agent']}\n"
               f"model: {sent.json['model']}\n"
               f"developer's token present: {token in json.dumps(sent.headers)}\n")
    captures.check("apps-gateway/upstream-view.txt", summary)
    (event,) = apps_gateway.events(apps_gw, "inference")
    assert event["email"] == "alice@example.com" and event["status"] == 200, event


def test_request_overhead(apps_gw, developers, upstream, terminal):
    """Median `claude -p` wall time through the gateway against the same CLI straight at the
    fake with a key (three interleaved runs): what the gateway adds per request, here."""
    alice = developers.get("alice")
    direct = terminal
    direct.env.update({"ANTHROPIC_BASE_URL": upstream.url, "ANTHROPIC_API_KEY": "sk-direct"})
    via, straight = [], []
    for _ in range(3):
        t = time.monotonic()
        claude_replied(alice.run(FIRST_REQUEST), "pong")
        via.append(time.monotonic() - t)
        t = time.monotonic()
        claude_replied(direct.run(FIRST_REQUEST), "pong")
        straight.append(time.monotonic() - t)
    ms = [e["ms"] for e in apps_gateway.events(apps_gw, "inference")]
    print(f"claude -p: median {statistics.median(via):.3f} s through the gateway, "
          f"{statistics.median(straight):.3f} s direct; gateway-logged ms median "
          f"{statistics.median(ms)}")
    assert len(ms) == 3
    assert statistics.median(ms) < 50, ms  # the gateway's own time per request
    assert statistics.median(via) - statistics.median(straight) < 1.0, (via, straight)


def _b64(part: str) -> str:
    import base64
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


def test_loopback_targets_are_refused_by_default(apps_gateway_world, postgres_server):
    """The tutorial's gateway.yaml and environment without CLAUDE_GATEWAY_ALLOW_LOOPBACK: an
    upstream at a loopback address is a configuration error; with the upstream elsewhere,
    PostgreSQL on loopback is accepted (the gateway goes on to its migration lock) and the
    IdP on loopback is refused when the gateway fetches its discovery document at boot."""
    world = {k: v for k, v in apps_gateway_world.items() if k != "CLAUDE_GATEWAY_ALLOW_LOOPBACK"}
    assert "127.0.0.1" in world["ANTHROPIC_UPSTREAM_URL"] and "127.0.0.1" in world["DATABASE_URL"]
    assert world["OIDC_ISSUER"].startswith("http://localhost:")
    tutorial = {"gateway.yaml": "apps-gateway/01-gateway.yaml"}
    upstream_refused = apps_gateway.boot_failure(tutorial, world)
    refusal = json.loads(upstream_refused.split("claude gateway: ", 1)[1])
    assert refusal == [{"code": "custom", "message": "base_url targets a metadata endpoint",
                        "path": ["upstreams", 0, "base_url"]}], upstream_refused
    # an address nothing answers at, off loopback: the gateway does not contact it at boot
    elsewhere = {**world, "ANTHROPIC_UPSTREAM_URL": "https://api.example.invalid"}
    idp_refused = apps_gateway.boot_failure(tutorial, elsewhere)
    print(upstream_refused, idp_refused)
    assert "waiting for migration lock" in idp_refused, idp_refused  # PostgreSQL reached
    (last,) = [line for line in idp_refused.splitlines() if line.startswith("claude gateway:")]
    assert last == ("claude gateway: ECONNREFUSED_SSRF: blocked (loopback; set "
                    "CLAUDE_GATEWAY_ALLOW_LOOPBACK=1 in the gateway environment to allow it): "
                    "localhost → 127.0.0.1"), last
    captures.check("apps-gateway/boot-loopback-refused.txt",
                   "# upstream on 127.0.0.1\n" + upstream_refused.strip() + "\n"
                   "# upstream elsewhere, IdP on localhost\n" + last + "\n")


def test_healthz_needs_no_token(apps_gw):
    with urllib.request.urlopen(apps_gw.url + "/healthz", timeout=5) as r:
        assert r.status == 200


TUTORIAL_CONFIG = "apps-gateway/01-gateway.yaml"


def nameserver() -> str:
    """The first nameserver of /etc/resolv.conf, where the gateway sends its DNS queries."""
    with open("/etc/resolv.conf") as f:
        return next(line.split()[1] for line in f if line.startswith("nameserver"))


def process_group_of(udp_port: int) -> int | None:
    """The process group of whoever holds the UDP socket bound to `udp_port` in this network
    namespace (Claude Code and the browser ask for addresses too: only the gateway's count)."""
    with open("/proc/net/udp") as f:
        inodes = {line.split()[9] for line in f.readlines()[1:]
                  if int(line.split()[1].split(":")[1], 16) == udp_port}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in {f"socket:[{i}]" for i in inodes}
                   for fd in os.listdir(f"/proc/{pid}/fd")):
                return os.getpgid(int(pid))
        except OSError:
            continue
    return None


def test_without_base_url_an_anthropic_upstream_calls_the_anthropic_api(
        apps_gateway_world, developers, tmp_path, upstream):
    """The tutorial's gateway.yaml without `base_url`. The gateway's log names no host, so the
    test listens where the gateway asks for addresses: the nameserver's address is added to the
    namespace's loopback for the length of the test, and every DNS query that arrives is
    recorded with the process group that sent it (and refused, SERVFAIL). Every name the
    gateway asks for is the schema's default, api.anthropic.com; nothing reaches the provider
    fake the file would name."""
    server = nameserver()
    asked: list[tuple[int | None, str]] = []
    subprocess.run(["ip", "addr", "add", f"{server}/32", "dev", "lo"], check=True)
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        dns.bind((server, 53))

        def answer():
            while True:
                try:
                    query, peer = dns.recvfrom(4096)
                except OSError:
                    return
                labels, i = [], 12
                while query[i]:
                    labels.append(query[i + 1:i + 1 + query[i]].decode())
                    i += 1 + query[i]
                asked.append((process_group_of(peer[1]), ".".join(labels)))
                dns.sendto(query[:2] + bytes([0x81, 0x82]) + query[4:], peer)  # SERVFAIL

        threading.Thread(target=answer, daemon=True).start()
        config = yaml.safe_load(snippet(TUTORIAL_CONFIG).read_text())
        del config["upstreams"][0]["base_url"]
        path = tmp_path / "gateway.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        gw = apps_gateway.start({"gateway.yaml": path}, apps_gateway_world)
        try:
            result = developers.get("alice").run(FIRST_REQUEST)
            by_gateway = {name for group, name in asked if group == gw.proc.pid}
            print(result.output, asked, gw.proc.pid, gw.log()[-3000:], sep="\n")
            assert result.code != 0 and "all upstreams failed" in result.output, result.output
            assert not upstream.received()
            assert by_gateway == {"api.anthropic.com"}, asked
        finally:
            gw.stop()
    finally:
        dns.close()
        subprocess.run(["ip", "addr", "del", f"{server}/32", "dev", "lo"], check=True)
