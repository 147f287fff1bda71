"""How-to: the Claude apps gateway's readiness through a PostgreSQL outage
(docs/how-to/apps-gateway-operations.md "PostgreSQL down", apps-gateway-deploy.md
"Kubernetes"). The production gateway.yaml the Kubernetes manifests mount, with its published
store.readiness_grace_seconds, runs as a process; a developer signs in with the real Claude
Code; PostgreSQL is stopped under the running gateway and started again. What /readyz answers
in each phase (the answer the manifests' readinessProbe acts on) and what the signed-in
developer's Claude Code gets from the gateway are recorded side by side."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied
from tests.harness.start import apps_gateway

PRODUCTION = "apps-gateway/32-gateway-production.yaml"
FIRST_REQUEST = "apps-gateway/06-first-request.sh"
PUBLISHED_ORIGIN = "public_url: https://claude-gateway.corp.example.com"
# The published value, not a shortened one: the test waits it out (about two minutes).
GRACE = yaml.safe_load(snippet(PRODUCTION).read_text())["store"]["readiness_grace_seconds"]
POLL_S = 1.0  # between two /readyz checks; every wait below is bounded by a deadline
SLACK_S = 60  # how late past its due time a change may show on a busy machine


def production_here(tmp_path) -> dict:
    """The production gateway.yaml byte for byte but for one line: listen.public_url is the
    address the developer's Claude Code uses here (http://localhost:8080, what
    04-developer-settings.json names), so the developer can sign in through it and the
    session it issues is valid there. The store section, readiness grace included, is the
    published one."""
    text = snippet(PRODUCTION).read_text()
    assert text.count(PUBLISHED_ORIGIN) == 1
    path = tmp_path / "gateway.yaml"
    path.write_text(text.replace(PUBLISHED_ORIGIN, "public_url: http://localhost:8080"))
    return {"gateway.yaml": path}


def readyz(gw) -> tuple[int, str]:
    status, body = apps_gateway.get(gw, "/readyz")
    return status, body.strip()


def start_sign_in(gw) -> tuple[int, str]:
    """The first request of a new sign-in (what /login sends first, for a device code): its
    status and the error's message (the whole answer carries a request_id that varies)."""
    try:
        return 200, "device code issued" if "user_code" in apps_gateway.device_grant(gw) else ""
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        try:
            return e.code, json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return e.code, body.strip()


def poll_until(gw, answer: tuple[int, str], deadline: float, seen: list) -> float:
    """Check /readyz every POLL_S until it gives `answer`; every answer is kept in `seen`
    as (monotonic time, status, body). Returns when `answer` first came."""
    while True:
        status, body = readyz(gw)
        now = time.monotonic()
        seen.append((now, status, body))
        if (status, body) == answer:
            return now
        assert now < deadline, f"/readyz never answered {answer}: last {seen[-5:]}"
        time.sleep(POLL_S)


def readiness_lines(log: str) -> str:
    """The gateway's log lines about /readyz and its grace, without their timestamps. Left
    out: the connection pool's own warnings (one per connection per retry, dozens a
    second while PostgreSQL is down) and the per-request JSON events. The connection error
    in parentheses and the outage's length in seconds vary from run to run: shown as …"""
    lines = [re.sub(r"^\[gateway\] \S+ ", "", line) for line in log.splitlines()
             if line.startswith("[gateway] ") and ("/readyz" in line or "readiness" in line)]
    text = "\n".join(lines)
    text = re.sub(r"Postgres is not answering \([^)]*\)", "Postgres is not answering (…)",
                  text)
    return re.sub(r"answering again after about \d+s", "answering again after about …s", text)


def test_readyz_through_a_postgres_outage_and_back(apps_gateway_world, developers,
                                                   postgres_server, upstream, tmp_path):
    assert 0 < GRACE <= 300, "the test waits the published grace out"
    gw = apps_gateway.start(production_here(tmp_path), apps_gateway_world)
    resigned = False
    try:
        alice = developers.get("alice")
        first = alice.run(FIRST_REQUEST)
        resigned = "no longer accepts this session" in first.output
        if resigned:  # signed in earlier in this run through another gateway.yaml, whose
            # sessions this one does not take: sign in through this one, as the message says
            developers.forget("alice")
            alice = developers.get("alice")
            first = alice.run(FIRST_REQUEST)
        claude_replied(first, "pong")
        assert readyz(gw) == (200, "ready")
        # The command as a note, not a "$ " line: a block with a command line gets a copy
        # button, and these three runs are no snippet a reader would paste.
        request = "# a signed-in developer: " + snippet(FIRST_REQUEST).read_text().strip()
        shown = []

        postgres_server.stop()
        stopped = time.monotonic()
        seen: list = []
        try:
            # Within the grace: the gateway has noticed (its warning) and still reports ready.
            while "Postgres is not answering" not in gw.log():
                seen.append((time.monotonic(), *readyz(gw)))
                assert time.monotonic() < stopped + SLACK_S, gw.log()[-3000:]
                time.sleep(POLL_S)
            during = alice.run(FIRST_REQUEST)
            claude_replied(during, "pong")
            sign_in_during = start_sign_in(gw)
            status = readyz(gw)
            seen.append((time.monotonic(), *status))
            assert time.monotonic() - stopped < GRACE, "the grace ran out before the checks"
            assert status == (200, "ready"), status
            shown += [f"# PostgreSQL stopped; within store.readiness_grace_seconds ({GRACE} s):",
                      f"# GET /readyz: {status[0]} {status[1]}",
                      request, during.output.rstrip("\n"),
                      f"# POST /oauth/device_authorization (a new sign-in starting): "
                      f"{sign_in_during[0]} {sign_in_during[1]}"]

            # After the grace: /readyz reports not ready, never sooner than GRACE seconds
            # after PostgreSQL stopped (the grace counts from the first failed check).
            not_ready = poll_until(gw, (503, "store unavailable"),
                                   stopped + GRACE + SLACK_S, seen)
            assert not_ready - stopped >= GRACE, (not_ready - stopped, seen)
            before = [(round(t - stopped, 1), s, b) for t, s, b in seen if t < not_ready]
            assert all((s, b) == (200, "ready") for _, s, b in before), before
            assert before[-1][0] >= GRACE / 2, before  # ready well into the outage
            after = alice.run(FIRST_REQUEST)
            claude_replied(after, "pong")
            sign_in_after_grace = start_sign_in(gw)
            status = readyz(gw)
            assert status == (503, "store unavailable"), status
            shown += [f"# more than {GRACE} s after /readyz first found PostgreSQL "
                      "not answering:",
                      f"# GET /readyz: {status[0]} {status[1]}",
                      request, after.output.rstrip("\n"),
                      f"# POST /oauth/device_authorization (a new sign-in starting): "
                      f"{sign_in_after_grace[0]} {sign_in_after_grace[1]}"]
        finally:
            postgres_server.start()

        # PostgreSQL back: ready again without a restart.
        back: list = []
        poll_until(gw, (200, "ready"), time.monotonic() + SLACK_S, back)
        recovered = alice.run(FIRST_REQUEST)
        claude_replied(recovered, "pong")
        sign_in_after = start_sign_in(gw)
        assert sign_in_after == (200, "device code issued"), sign_in_after
        shown += ["# PostgreSQL started again:",
                  "# GET /readyz: 200 ready",
                  request, recovered.output.rstrip("\n")]

        print("\n".join(f"{t - stopped:7.1f} s  {s} {b}" for t, s, b in seen + back))
        print("\n".join(shown))
        assert sign_in_during == (500, "internal server error"), sign_in_during
        assert sign_in_after_grace == (500, "internal server error"), sign_in_after_grace
        log = readiness_lines(gw.log())
        print(log)
        assert f"readiness: /readyz keeps reporting ready for up to {GRACE}s" in log, log
        assert "Until Postgres is back: new sign-ins fail; inference is not affected" in log
        assert f"Postgres has not answered for more than {GRACE}s" in log, log
        assert "Postgres is answering again after about" in log, log
        captures.check("apps-gateway/readiness-postgres-outage.txt", "\n".join(shown) + "\n")
        captures.check("apps-gateway/readiness-log.txt", log + "\n")
    finally:
        gw.stop()
        if resigned:  # the next test's gateway is another one: it signs alice in again
            developers.forget("alice")


def test_readyz_without_a_grace_reports_not_ready_at_once(apps_gw, postgres_server):
    """The tutorial's gateway.yaml sets no store.readiness_grace_seconds (the default is 0):
    the first /readyz after PostgreSQL stops answers 503, and the gateway's warning names
    the setting and its upper bound."""
    assert "readiness_grace_seconds" not in snippet("apps-gateway/01-gateway.yaml").read_text()
    assert readyz(apps_gw) == (200, "ready")
    postgres_server.stop()
    try:
        first = readyz(apps_gw)
    finally:
        postgres_server.start()
    assert first == (503, "store unavailable"), first
    back: list = []
    poll_until(apps_gw, (200, "ready"), time.monotonic() + SLACK_S, back)
    log = readiness_lines(apps_gw.log())
    print(log)
    assert "readiness:" not in log, log  # no grace announced at boot
    assert "set store.readiness_grace_seconds to more seconds than the outage lasts " \
        "(at most 3600)" in log, log
    captures.check("apps-gateway/readiness-log-no-grace.txt", log + "\n")
