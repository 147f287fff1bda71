"""How-to: policy on Claude apps gateway (docs/how-to/apps-gateway-policy.md): models and
managed settings by IdP group, spend limits, session expiry, offboarding, the private-address
rule. The real gateway on the published policy config, real Claude Code signed in through
the real browser; the IdP's groups decide: alice is in `engineering`, bob in `contractors`."""

from __future__ import annotations

import datetime
import json
import re
import urllib.error
import urllib.request

import pytest
import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.start import apps_gateway, oidc_idp
from tests.harness.wire import front_door

POLICY = {"gateway.yaml": "apps-gateway/10-gateway-policy.yaml"}
ADMIN_KEY = "gateway-admin-key-change-me-0123456789ab"  # >= 32 characters
SPEND_LIMIT = "apps-gateway/11-spend-limit.sh"
FIRST_REQUEST = "apps-gateway/06-first-request.sh"


@pytest.fixture
def policy_gw(apps_gateway_world, upstream):
    gw = apps_gateway.start(POLICY, {**apps_gateway_world, "GATEWAY_ADMIN_KEY": ADMIN_KEY})
    yield gw
    gw.stop()


def token(terminal) -> str:
    return json.loads(apps_gateway.credentials(terminal).read_text())["enterpriseGateway"]["jwt"]


def tool_names(request) -> list[str]:
    return sorted(t.get("name", "") for t in request.json.get("tools", []))


def test_policy_config_boots_with_its_warnings_checked(policy_gw):
    """The gateway checks each policy at boot; the published one draws no availableModels
    warning (enforceAvailableModels is set)."""
    log = policy_gw.log()
    assert "managed settings: configured" in log
    assert "availableModels leaves out" not in log, log


def test_policy_without_the_start_model_warns_and_is_refused(apps_gateway_world, developers,
                                                            upstream, tmp_path):
    """The published policy with `enforceAvailableModels: true` taken out of the contractors'
    policy: the boot log warns; bob's Claude Code, with no model chosen, sends the model it
    starts on, which is not in his list, and the gateway answers 400 before the upstream;
    once bob picks a listed model, his request goes through."""
    config = yaml.safe_load(snippet(POLICY["gateway.yaml"]).read_text())
    contractors = config["managed"]["policies"][0]
    assert contractors["match"]["groups"] == ["contractors"]
    del contractors["cli"]["enforceAvailableModels"]
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    gw = apps_gateway.start({"gateway.yaml": path},
                            {**apps_gateway_world, "GATEWAY_ADMIN_KEY": ADMIN_KEY})
    try:
        (warning,) = [line for line in gw.log().splitlines()
                      if "availableModels leaves out" in line]
        assert "get a 400 on every request" in warning, warning
        bob = developers.get("bob")
        with front_door.record(8080) as door:  # everything bob's Claude Code sent
            failed = bob.run(FIRST_REQUEST)
        print(failed.output)
        asked = [json.loads(r.body).get("model") for r in door.requests
                 if r.method == "POST" and r.path.startswith("/v1/messages")]
        refused = apps_gateway.events(gw, "inference")
        print(door.lines(), asked, json.dumps(refused, indent=1))
        assert failed.code != 0, failed.output
        assert asked and set(asked) == {"claude-opus-4-7"}, asked
        assert len(refused) == len(asked), (refused, asked)
        assert all(e["sub"] == "bob" and e["status"] == 400 for e in refused), refused
        assert upstream_messages(upstream) == []
        captures.check("apps-gateway/policy-start-model-warning.txt",
                       re.sub(r"^\[gateway\] \S+ ", "", warning))
        captures.check("apps-gateway/policy-start-model-refused.txt", captures.console(
            snippet(FIRST_REQUEST).read_text(), failed.output))
        picked = bob.sh('claude -p --model sonnet "Say hello in five words."')
        claude_replied(picked, "pong")
        assert [r.json["model"] for r in upstream_messages(upstream)] == ["claude-sonnet-4-6"]
    finally:
        gw.stop()


def test_groups_get_their_own_managed_settings(policy_gw, developers):
    """GET /managed/settings with each developer's token: the policy of their group."""
    served = {}
    for user in ("alice", "bob"):
        status, body = apps_gateway.get(policy_gw, "/managed/settings", token(developers.get(user)))
        assert status == 200, body
        served[user] = json.loads(body)["settings"]
    policies = yaml.safe_load(snippet(POLICY["gateway.yaml"]).read_text())["managed"]["policies"]
    assert served["bob"] == policies[0]["cli"]
    assert served["alice"] == policies[1]["cli"]
    captures.check("apps-gateway/managed-settings-bob.json",
                   json.dumps(served["bob"], indent=2))


def test_model_outside_the_group_is_replaced_on_the_client(policy_gw, developers, upstream):
    """bob asks for opus: Claude Code, holding bob's policy, says so and uses a listed model."""
    bob = developers.get("bob")
    result = bob.sh('claude -p --model opus "Say hello in five words."')
    claude_replied(result, "pong")
    captures.check("apps-gateway/model-restricted.txt", result.stderr)
    assert [r.json["model"] for r in upstream_messages(upstream)] == ["claude-sonnet-4-6"]


def test_model_outside_the_group_is_refused_by_the_gateway(policy_gw, developers, upstream):
    """The gateway enforces the allowlist itself: bob's token, opus, straight at /v1/messages
    (what a client that ignores its settings would send) gets a 400; nothing goes upstream."""
    status, body = apps_gateway.get(policy_gw, "/v1/messages", token(developers.get("bob")),
                                    method="POST", body={
                                        "model": "claude-opus-4-7", "max_tokens": 16,
                                        "messages": [{"role": "user", "content": "hi"}]})
    assert status == 400, body
    captures.check("apps-gateway/model-refused.json", json.dumps(
        {k: v for k, v in json.loads(body).items() if k != "request_id"}, indent=2))
    assert upstream.received() == []  # no request of any method or path reached it


def test_denied_permission_is_in_force_on_the_client(policy_gw, developers, upstream):
    """bob's policy denies Bash: his Claude Code does not offer the model that tool at all;
    alice's (no such rule) does. Seen in the tools each request carried upstream."""
    claude_replied(developers.get("bob").run(FIRST_REQUEST), "pong")
    claude_replied(developers.get("alice").run(FIRST_REQUEST), "pong")
    bob_tools, alice_tools = (tool_names(r) for r in upstream_messages(upstream))
    assert "Bash" in alice_tools and "Bash" not in bob_tools, (alice_tools, bob_tools)
    assert set(alice_tools) - set(bob_tools) == {"Bash"}, (alice_tools, bob_tools)


def test_status_shows_the_gateway_and_its_policy(policy_gw, developers):
    """/status under tmux for bob: signed in through the gateway, settings from it."""
    bob = developers.get("bob")
    with bob.session("apps-gateway/05-start-claude.sh", timeout=60) as screen:
        shown = screen.type("/status", "Setting sources")
    start = shown.find("Status")
    text = shown[start:] if start >= 0 else shown
    text = text.replace(str(bob.project), "~/project").replace(str(bob.home), "~")
    print(text)
    assert "localhost:8080" in text, text
    captures.check("apps-gateway/status-bob.txt", text)


def test_spend_limit_reached(policy_gw, developers, upstream):
    """A one-cent monthly limit for bob through the admin API; once his requests have cost
    that much, the gateway refuses the next one before it reaches the upstream."""
    bob = developers.get("bob")
    bob_token = token(bob)
    world = {"GATEWAY_ADMIN_KEY": ADMIN_KEY}
    req = urllib.request.Request(
        f"{policy_gw.url}/v1/organizations/spend_limits", method="POST",
        headers={"x-api-key": ADMIN_KEY, "content-type": "application/json"},
        data=json.dumps({"scope": {"type": "user", "user_id": "bob"}, "amount": "0.01",
                         "period": "monthly"}).encode())
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("a fractional-cent amount was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 400
        assert "must be a whole-number decimal string of cents" in e.read().decode()
    for wrong in ({"x-api-key": "not-a-write-key-0123456789abcdef0123"},
                  {"authorization": f"Bearer {ADMIN_KEY}"}, {}):
        req = urllib.request.Request(
            f"{policy_gw.url}/v1/organizations/spend_limits", method="POST",
            headers={**wrong, "content-type": "application/json"},
            data=json.dumps({"scope": {"type": "user", "user_id": "bob"}, "amount": "1",
                             "period": "monthly"}).encode())
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError(f"the admin API took {list(wrong)} without a write key")
        except urllib.error.HTTPError as e:
            assert e.code in (401, 403), (wrong, e.code)
    result = bob.sh(f"export GATEWAY_ADMIN_KEY={ADMIN_KEY}\nsource {snippet(SPEND_LIMIT)}")
    limit = json.loads(result.stdout)
    captures.check("apps-gateway/spend-limit-created.json", json.dumps(
        {k: v for k, v in limit.items() if k not in ("id", "created_at", "updated_at")},
        indent=2))
    assert limit["amount"] == "1" and limit["scope"] == {"type": "user", "user_id": "bob"}
    try:
        spent, status, body = 0, 200, ""
        while status == 200 and spent < 400:  # each fake answer costs a fraction of a cent
            spent += 1
            status, body = apps_gateway.get(
                policy_gw, "/v1/messages", bob_token, method="POST", body={
                    "model": "claude-sonnet-4-6", "max_tokens": 16,
                    "messages": [{"role": "user", "content": "hi"}]})
        assert status == 429, (status, body)
        upstream.reset()
        failed = bob.run(FIRST_REQUEST)
        claude_failed_with(failed, "spend limit reached")
        assert re.search(r"resets \w+ 1, \d{4}, 12am \(UTC\)", failed.output), failed.output
        now = datetime.datetime.now(datetime.timezone.utc)
        first = (now.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        assert f"resets {first:%b} 1, {first:%Y}" in failed.output \
            or f"resets {first:%B} 1, {first:%Y}" in failed.output, failed.output
        shown = re.sub(r"resets \w+ 1, \d{4}", "resets <Month> 1, <year>", failed.output)
        captures.check("apps-gateway/spend-limit-reached.txt", captures.console(
            snippet(FIRST_REQUEST).read_text(), shown))
        assert upstream_messages(upstream) == []
        (blocked, *_) = apps_gateway.events(policy_gw, "spend.blocked")
        assert blocked["sub"] == "bob" and blocked["cause"] == "over_limit", blocked
        print(f"limit reached after {spent} requests")
    finally:
        req = urllib.request.Request(
            f"{policy_gw.url}/v1/organizations/spend_limits/{limit['id']}", method="DELETE",
            headers={"x-api-key": world["GATEWAY_ADMIN_KEY"]})
        urllib.request.urlopen(req, timeout=5).close()


def test_offboarded_user_cannot_sign_in_again(policy_gw, idp, tmp_path):
    """Removed from the IdP: the next sign-in stops at the IdP's page, so no new gateway
    token; the token already issued lives at most session.ttl_hours."""
    from tests.harness.reader.terminal import Terminal
    idp.remove("bob")
    try:
        t = Terminal(tmp_path)
        t.settings("user", "apps-gateway/04-developer-settings.json")
        t.seed_first_run()
        seen = apps_gateway.sign_in(t, "bob", expect_connected=False)
        assert "Unknown user or wrong password." in seen.pages["after"], seen.pages
        assert not apps_gateway.credentials(t).exists() or "jwt" not in \
            apps_gateway.credentials(t).read_text()
        # the gateway's own record: no token minted for bob
        assert not [e for e in apps_gateway.events(policy_gw, "session.mint")
                    if e.get("sub") == "bob"], apps_gateway.events(policy_gw)
        captures.check("apps-gateway/offboarded-sign-in.txt", seen.pages["after"])
    finally:
        idp.restore()
    assert oidc_idp.USERS["bob"]["groups"] == ["contractors"]


def test_removed_users_issued_token_is_still_answered(policy_gw, developers, idp, upstream):
    """bob signed in, then removed from the IdP: the token he already holds still gets
    answers, from his Claude Code and sent straight to /v1/messages; the token is within its
    one-hour `exp`. (Its refusal once expired is not waited for.)"""
    import time
    bob = developers.get("bob")
    held = token(bob)
    claims = json.loads(_b64(held.split(".")[1]))
    idp.remove("bob")
    try:
        result = bob.run(FIRST_REQUEST)
        status, body = apps_gateway.get(policy_gw, "/v1/messages", held, method="POST", body={
            "model": "claude-sonnet-4-6", "max_tokens": 16,
            "messages": [{"role": "user", "content": "hi"}]})
    finally:
        idp.restore()
    print(result.output, status, body[:200])
    claude_replied(result, "pong")
    assert status == 200, body
    assert len(upstream_messages(upstream)) == 2
    assert claims["exp"] > time.time() and claims["exp"] - claims["iat"] == 3600, claims
    answered = [e for e in apps_gateway.events(policy_gw, "inference") if e["sub"] == "bob"]
    assert [e["status"] for e in answered][-2:] == [200, 200], answered


def _b64(part: str) -> str:
    import base64
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


PUBLIC_IP = "198.51.100.7"  # TEST-NET-2: a public address, added to this namespace's lo only


def _login_to(terminal, url: str) -> str:
    """/login against a gateway URL a developer's settings name; the screen after Enter."""
    import subprocess
    import time
    (terminal.home / ".claude").mkdir(parents=True, exist_ok=True)
    (terminal.home / ".claude" / "settings.json").write_text(json.dumps(
        {"forceLoginMethod": "gateway", "forceLoginGatewayUrl": url}))
    terminal.seed_first_run()
    with terminal.session("apps-gateway/05-start-claude.sh", timeout=40) as screen:
        screen.type("/login", "Enter to connect")
        subprocess.run([*screen.tmux, "send-keys", "-t", "0", "Enter"], check=True)
        shown = screen.wait(r"✘")
        time.sleep(0.2)
    return apps_gateway.login_part(shown)


def test_public_gateway_address_is_refused_at_login(apps_gateway_world, tmp_path):
    """The production gateway.yaml with TLS, reached at a public address (added to the test
    namespace's loopback, so nothing leaves the machine): /login refuses it before any
    sign-in; over plain http it refuses any host but localhost."""
    import shutil
    import subprocess

    from tests.harness.reader.terminal import Terminal
    from tests.harness.start import tls
    if not shutil.which("ip"):
        pytest.skip("needs `ip` (Debian package iproute2) to add a public address to lo")
    subprocess.run(["ip", "addr", "add", f"{PUBLIC_IP}/32", "dev", "lo"], check=True)
    try:
        cert, key = tls.corp().issue(tmp_path / "tls", PUBLIC_IP, "localhost")
        ca = tls.corp().write_ca(tmp_path / "corp-ca.pem")
        config = yaml.safe_load(snippet("apps-gateway/32-gateway-production.yaml").read_text())
        config["listen"]["tls"] = {"cert": str(cert), "key": str(key)}
        config["listen"]["public_url"] = f"https://{PUBLIC_IP}:8080"
        path = tmp_path / "gateway.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        gw = apps_gateway.AppsGateway(apps_gateway.START, {"gateway.yaml": path}, 8080,
                                      apps_gateway_world, tls_ca=ca)
        gw.launch()
        try:
            https = _login_to(Terminal(tmp_path / "a", env={"NODE_EXTRA_CA_CERTS": str(ca)}),
                              f"https://{PUBLIC_IP}:8080")
            plain = _login_to(Terminal(tmp_path / "b"), f"http://{PUBLIC_IP}:8080")
        finally:
            gw.stop()
    finally:
        subprocess.run(["ip", "addr", "del", f"{PUBLIC_IP}/32", "dev", "lo"], check=False)
    assert "private network" in https and "public" in https, https
    assert "must use https://" in plain, plain
    assert not apps_gateway.events(gw, "device.authorize"), "no sign-in may start"
    captures.check("apps-gateway/login-public-address.txt", https)
    captures.check("apps-gateway/login-plain-http.txt", plain)
