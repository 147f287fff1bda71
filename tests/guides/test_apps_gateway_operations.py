"""How-to: operating Claude apps gateway (docs/how-to/apps-gateway-operations.md): boot
failures and their field-level errors, probes, what is logged per request, failover between
two upstreams, session-secret rotation, the IdP or PostgreSQL down. Real gateway, real
PostgreSQL, real IdP, real Claude Code; the provider fakes record what reaches them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.start import apps_gateway
from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import serving

TUTORIAL = "apps-gateway/01-gateway.yaml"
FIRST_REQUEST = "apps-gateway/06-first-request.sh"
PROBES = "apps-gateway/22-probes.sh"


def variant(tmp_path, change) -> dict:
    """The tutorial's gateway.yaml with one change a team might really make."""
    config = yaml.safe_load(snippet(TUTORIAL).read_text())
    change(config)
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return {"gateway.yaml": path}


def refusal(log: str) -> str:
    """What the gateway prints when it refuses to boot: from its `claude gateway:` line on."""
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("claude gateway:")), None)
    assert start is not None, log
    return "\n".join(lines[start:]) + "\n"


def test_unknown_key_fails_boot(apps_gateway_world, tmp_path):
    files = variant(tmp_path, lambda c: c["session"].update(ttl_hour=1))
    log = apps_gateway.boot_failure(files, apps_gateway_world)
    assert "ttl_hour" in log
    captures.check("apps-gateway/boot-unknown-key.txt", refusal(log))


def test_missing_section_fails_boot(apps_gateway_world, tmp_path):
    files = variant(tmp_path, lambda c: c.pop("store"))
    log = apps_gateway.boot_failure(files, apps_gateway_world)
    assert "store" in log
    captures.check("apps-gateway/boot-missing-store.txt", refusal(log))


def test_undefined_secret_reference_fails_boot(apps_gateway_world):
    world = {k: v for k, v in apps_gateway_world.items() if k != "OIDC_CLIENT_SECRET"}
    log = apps_gateway.boot_failure({"gateway.yaml": TUTORIAL}, world)
    assert "OIDC_CLIENT_SECRET" in log
    captures.check("apps-gateway/boot-undefined-secret.txt", refusal(log))


def test_short_session_secret_fails_boot(apps_gateway_world):
    log = apps_gateway.boot_failure({"gateway.yaml": TUTORIAL},
                                    {**apps_gateway_world, "GATEWAY_JWT_SECRET": "too-short"})
    captures.check("apps-gateway/boot-short-secret.txt", refusal(log))


def test_probes(apps_gw, terminal):
    result = terminal.run(PROBES)
    assert result.code == 0 and result.stdout.split() == ["ok", "ready"], result.output
    captures.check("apps-gateway/probes.txt", captures.console(
        snippet(PROBES).read_text(), result.stdout))


def test_each_request_is_logged_with_identity_model_and_status(apps_gw, developers):
    alice = developers.get("alice")
    claude_replied(alice.run(FIRST_REQUEST), "pong")
    (event,) = apps_gateway.events(apps_gw, "inference")
    assert event["email"] == "alice@example.com" and event["sub"] == "alice"
    assert event["status"] == 200 and event["upstream"] == "anthropic" and event["model"]
    assert "Say hello" not in apps_gw.log()  # the prompt is not logged
    assert apps_gateway.UPSTREAM_KEY not in apps_gw.log()
    shown = {k: ("…" if k in ("ts", "request_id", "ms") else v) for k, v in event.items()}
    captures.check("apps-gateway/log-inference.json",
                   json.dumps(shown, indent=2, ensure_ascii=False))


def test_failover_to_the_second_upstream(apps_gateway_world, developers, upstream):
    """The primary refuses connections (nothing listens there): the request is answered by
    the secondary, with the secondary's key."""
    with serving(anthropic_wire.install) as secondary:
        world = {**apps_gateway_world, "ANTHROPIC_UPSTREAM_URL": "http://127.0.0.1:9",
                 "ANTHROPIC_SECONDARY_URL": secondary.url,
                 "ANTHROPIC_SECONDARY_KEY": "sk-ant-secondary-key"}
        gw = apps_gateway.start({"gateway.yaml": "apps-gateway/20-gateway-failover.yaml"}, world)
        try:
            result = developers.get("alice").run(FIRST_REQUEST)
            claude_replied(result, "pong")
            (sent,) = upstream_messages(secondary)
            assert sent.headers["x-api-key"] == "sk-ant-secondary-key"
            events = apps_gateway.events(gw, "inference")
            print(json.dumps(events, indent=1))
            assert events[-1]["upstream"] == "secondary", events
            lines = [re.sub(r"^\[gateway\] \S+ ", "", line) for line in gw.log().splitlines()
                     if "primary" in line or '"evt":"inference"' in line]
            text = re.sub(r'"(ts|ms)":("[^"]*"|\d+)', r'"\1":"…"', "\n".join(lines))
            captures.check("apps-gateway/failover-log.txt", text)
        finally:
            gw.stop()


def test_idp_down_at_boot_fails_boot(apps_gateway_world, idp):
    """The gateway reads the IdP's discovery document at boot: with the IdP down it exits."""
    idp.stop()
    try:
        log = apps_gateway.boot_failure({"gateway.yaml": TUTORIAL}, apps_gateway_world)
    finally:
        idp.start()
    captures.check("apps-gateway/boot-idp-down.txt", refusal(log))


def test_idp_down_at_sign_in(apps_gw, idp, developers, upstream):
    """The IdP goes down after the gateway booted: a developer's sign-in ends on this page
    after the code is entered; when the IdP is back, signing in works again."""
    from tests.harness.reader import browser
    alice = developers.get("alice")
    idp.stop()
    try:
        claude_replied(alice.run(FIRST_REQUEST), "pong")  # signed in already: unaffected
        grant = apps_gateway.device_grant(apps_gw)
        with browser.browser() as b:
            page = b.new_page()
            page.goto(grant["verification_uri"])
            page.fill("input", grant["user_code"])
            page.click("button")
            page.wait_for_load_state()
            shown = page.inner_text("body")
        print(shown)
        captures.check("apps-gateway/idp-down-page.txt", shown)
    finally:
        idp.start()


def test_postgres_down_mid_session_and_back(apps_gw, developers, postgres_server, upstream):
    alice = developers.get("alice")
    claude_replied(alice.run(FIRST_REQUEST), "pong")
    postgres_server.stop()
    try:
        status, body = apps_gateway.get(apps_gw, "/readyz")
        print("readyz while down:", status, body)
        failed = alice.run(FIRST_REQUEST)
        print(failed.output)
        captures.check("apps-gateway/postgres-down.txt", captures.console(
            snippet(FIRST_REQUEST).read_text(), failed.output)
            + f"\n# GET /readyz: {status} {body.strip()}\n")
    finally:
        postgres_server.start()
    claude_replied(alice.run(FIRST_REQUEST), "pong")
    assert apps_gateway.get(apps_gw, "/readyz")[0] == 200


def test_protocol_is_served_by_the_gateway(apps_gw):
    """GET /protocol: the gateway's own description of its contract with Claude Code."""
    status, text = apps_gateway.get(apps_gw, "/protocol")
    assert status == 200 and text.startswith("# Claude Code gateway protocol"), text[:200]
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    captures.check("apps-gateway/protocol-sections.txt", "\n".join(sections))
    flat = " ".join(text.split())  # what the tutorial says the description says of refresh
    assert "client silently calls `token_endpoint` with `grant_type=refresh_token`" in flat
    assert "If you didn't issue a refresh token, the user is sent back through the browser" \
        " flow instead." in flat
    # what the policy page says of an expired token: the same 401 as any refused bearer
    assert "| 401 | `authentication_error` | Missing/expired/invalid bearer; client prompts" \
        " re-login." in flat


def test_rotating_the_session_secret_keeps_developers_signed_in(apps_gateway_world,
                                                                developers, upstream):
    before = apps_gateway.start({"gateway.yaml": TUTORIAL}, apps_gateway_world)
    try:  # alice signed in before the rotation (now, if no earlier test signed her in)
        alice = developers.get("alice")
    finally:
        before.stop()
    new = "new-session-secret-change-me-0123456789"
    rotated = {**apps_gateway_world, "GATEWAY_JWT_SECRET": new,
               "GATEWAY_JWT_SECRET_PREVIOUS": apps_gateway.JWT_SECRET}
    gw = apps_gateway.start({"gateway.yaml": "apps-gateway/21-gateway-rotate-secret.yaml"},
                            rotated)
    try:
        claude_replied(alice.run(FIRST_REQUEST), "pong")
    finally:
        gw.stop()
    # Dropping the old secret too early: the token alice holds no longer verifies.
    gw = apps_gateway.start({"gateway.yaml": TUTORIAL},
                            {**apps_gateway_world, "GATEWAY_JWT_SECRET": new})
    try:
        failed = alice.run(FIRST_REQUEST)
        print(failed.output)
        assert failed.code != 0
        captures.check("apps-gateway/old-secret-dropped.txt", captures.console(
            snippet(FIRST_REQUEST).read_text(), failed.output))
    finally:
        gw.stop()
        developers.forget("alice")  # her Claude Code now holds a session it knows is dead


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def signed_with(token: str, secret: str) -> bool:
    """Whether the token's HS256 signature verifies with this secret."""
    head, claims, signature = token.split(".")
    mac = hmac.new(secret.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(mac, _b64(signature))


def forged(secret: str, claims: dict) -> str:
    """A token of the gateway's shape signed with `secret`."""
    def enc(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = enc(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{enc(mac)}"


def test_rotation_signs_new_tokens_with_the_first_secret(apps_gateway_world, developers,
                                                        upstream, tmp_path):
    """During a rotation (21-gateway-rotate-secret.yaml: the new secret first, the old one
    second) a developer signing in gets a token whose signature verifies with the new secret
    and not with the old one; a token signed with the old secret is still accepted, one
    signed with neither is refused."""
    from tests.harness.reader.terminal import Terminal
    before = apps_gateway.start({"gateway.yaml": TUTORIAL}, apps_gateway_world)
    try:  # alice signed in before the rotation (now, if no earlier test signed her in)
        held = json.loads(apps_gateway.credentials(developers.get("alice")).read_text())[
            "enterpriseGateway"]["jwt"]
    finally:
        before.stop()
    assert json.loads(_b64(held.split(".")[0]))["alg"] == "HS256"
    assert signed_with(held, apps_gateway.JWT_SECRET)  # issued before the rotation
    new = "new-session-secret-change-me-0123456789"
    rotated = {**apps_gateway_world, "GATEWAY_JWT_SECRET": new,
               "GATEWAY_JWT_SECRET_PREVIOUS": apps_gateway.JWT_SECRET}
    gw = apps_gateway.start({"gateway.yaml": "apps-gateway/21-gateway-rotate-secret.yaml"},
                            rotated)
    try:
        t = Terminal(tmp_path / "dev")
        t.settings("user", "apps-gateway/04-developer-settings.json")
        t.seed_first_run()
        apps_gateway.sign_in(t, "alice")
        minted = json.loads(apps_gateway.credentials(t).read_text())["enterpriseGateway"]["jwt"]
        assert signed_with(minted, new) and not signed_with(minted, apps_gateway.JWT_SECRET)
        ask = {"model": "claude-sonnet-4-6", "max_tokens": 16,
               "messages": [{"role": "user", "content": "hi"}]}
        answers = {}
        for name, token in (("new", minted), ("old", held),
                            ("neither", forged("a-third-secret-nobody-configured-0123",
                                               json.loads(_b64(held.split(".")[1]))))):
            status, body = apps_gateway.get(gw, "/v1/messages", token, method="POST", body=ask)
            answers[name] = status
            print(name, status, body[:200])
        assert answers == {"new": 200, "old": 200, "neither": 401}, answers
    finally:
        gw.stop()


def test_a_denied_sign_in_is_logged(apps_gw):
    """Someone presses Deny on the gateway's device page for a code: the page says the
    sign-in was stopped, the gateway logs `device.deny`, and the device polling for its token
    gets `access_denied`."""
    from tests.harness.reader import browser
    grant = apps_gateway.device_grant(apps_gw)
    with browser.browser() as b:
        page = b.new_page()
        page.goto(grant["verification_uri_complete"])
        page.click("button.deny")
        page.wait_for_load_state()
        shown = page.inner_text("body")
    print(shown)
    assert "You stopped this sign-in." in shown, shown
    status, body = _post_form(apps_gw.url + "/oauth/token", {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": grant["device_code"], "client_id": "claude-code"})
    assert (status, json.loads(body)["error"]) == (400, "access_denied"), (status, body)
    signing_in = [(e["evt"], e["result"]) for e in apps_gateway.events(apps_gw)
                  if e["evt"].startswith(("device.", "session."))]
    assert signing_in == [("device.authorize", "success"), ("device.deny", "denied")], \
        signing_in


def test_a_sign_in_finished_in_another_browser_is_refused(apps_gw):
    """The IdP sends the browser back to the gateway without the cookie the device page set
    when the code was entered (as in a browser other than the one the code was entered in):
    the gateway refuses to complete the sign-in, says why on the page, logs
    `device.callback` with `browser_mismatch`, and mints no token."""
    from tests.harness.reader import browser
    from tests.harness.start import oidc_idp
    grant = apps_gateway.device_grant(apps_gw)
    with browser.browser() as b:
        first = b.new_page()
        first.goto(grant["verification_uri"])
        first.fill("input", grant["user_code"])
        first.click("button")
        first.wait_for_selector("input[name=username]")
        names = [c["name"] for c in first.context.cookies(apps_gw.url)]
        assert "gw_dev" in names, names  # what the device page set in this browser
        first.context.clear_cookies(name="gw_dev")  # as a browser that never entered the code
        oidc_idp.sign_in(first, "alice")
        first.wait_for_load_state()
        shown = first.inner_text("body")
    print(shown)
    assert "started in a different browser" in shown, shown
    signing_in = [(e["evt"], e["result"]) for e in apps_gateway.events(apps_gw)
                  if e["evt"].startswith(("device.", "session."))]
    assert signing_in == [("device.authorize", "success"), ("device.verify", "redirect"),
                          ("device.callback", "browser_mismatch")], signing_in


def _post_form(url: str, fields: dict) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, urllib.parse.urlencode(fields).encode(),
                                    timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_telemetry_reaches_the_collector_with_identity(apps_gateway_world, developers,
                                                       upstream):
    """The relay: Claude Code's OTLP metrics and logs go to the gateway, which forwards them to
    the collector (the recording stand-in) with the developer's identity stamped on; the
    prompt and the upstream key are not in them."""
    from tests.harness.start import otlp
    collector = otlp.Collector().start()
    gw = apps_gateway.start({"gateway.yaml": "apps-gateway/12-gateway-telemetry.yaml"},
                            {**apps_gateway_world, "OTLP_COLLECTOR_URL": collector.url})
    developers.forget("alice")  # sign in against this gateway: its public_url is new
    try:
        alice = developers.get("alice")
        claude_replied(alice.run(FIRST_REQUEST), "pong")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (collector.received("metrics")
                                                   and collector.received("logs")):
            time.sleep(0.2)
        metrics, logs = collector.received("metrics"), collector.received("logs")
        assert metrics and logs, [e.path for e in collector.exports]
        seen = [s for e in metrics + logs for s in e.strings()]
        pairs = dict(zip(seen, seen[1:]))
        assert pairs["identity.source"] == "gateway-oidc"
        assert pairs["user.email"] == "alice@example.com"
        assert pairs["user.groups"] == "engineering"
        assert "claude_code.token.usage" in seen and "claude_code.cost.usage" in seen
        assert not any("Say hello" in s for s in seen)
        token = json.loads(apps_gateway.credentials(alice).read_text())["enterpriseGateway"]["jwt"]
        for e in collector.exports:
            assert token not in json.dumps(e.headers) and token.encode() not in e.body
            assert apps_gateway.UPSTREAM_KEY.encode() not in e.body
        names = ["claude_code.api_request", "claude_code.cost.usage",
                 "claude_code.token.usage", "claude_code.user_prompt"]
        assert set(names) <= set(seen), sorted({s for s in seen if s.startswith("claude_code.")})
        summary = (f"signals: {', '.join(sorted({e.path for e in collector.exports}))}\n"
                   f"content-type: {metrics[0].content_type}\n"
                   f"identity.source: {pairs['identity.source']}\n"
                   f"user.email: {pairs['user.email']}\n"
                   f"user.groups: {pairs['user.groups']}\n"
                   f"among the names: {', '.join(names)}\n"
                   f"prompt text present: False\n")
        print(summary)
        captures.check("apps-gateway/telemetry-summary.txt", summary)
    finally:
        gw.stop()
        collector.stop()
        developers.forget("alice")


def test_telemetry_without_public_url_warns(apps_gateway_world, tmp_path):
    """Without listen.public_url the gateway still boots, and says why no client will export."""
    config = yaml.safe_load(snippet("apps-gateway/12-gateway-telemetry.yaml").read_text())
    del config["listen"]["public_url"]
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    gw = apps_gateway.start({"gateway.yaml": path},
                            {**apps_gateway_world, "OTLP_COLLECTOR_URL": "http://127.0.0.1:4318"})
    try:
        (warning,) = [line for line in gw.log().splitlines() if "telemetry.forward_to" in line]
    finally:
        gw.stop()
    captures.check("apps-gateway/telemetry-no-public-url.txt",
                   re.sub(r"^\[gateway\] \S+ ", "", warning))
