"""How-to: connect Claude Code to your company's gateway (docs/how-to/connect-to-a-gateway.md),
the developer's page. The company's gateway is the enterprise guide's nginx gateway on
localhost:8080 in front of the quickstart's LiteLLM; real Claude Code, real curl. A claude.ai
subscription login is the credentials file Claude Code writes at sign-in
(~/.claude/.credentials.json), holding a made-up token: Anthropic's sign-in itself is not run,
and where Claude Code sends that token is what the recorder sees."""

from __future__ import annotations

import re

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.start import nginx
from tests.harness.wire import front_door

CHECK = "connect/01-auth-status.sh"
ONE_REQUEST = "connect/02-one-request.sh"
SIGN_OUT = "connect/03-sign-out-subscription.sh"
UNSET_OWN_KEY = "connect/04-unset-own-key.sh"
CONNECT = "enterprise/13-connect.sh"  # localhost:8080 and alice's gateway token
USER_SETTINGS = "migrate/05-settings-local-gateway-b.json"  # the same two, own key blanked
FIRST_REQUEST = "quickstart/07-first-request.sh"
ALICE = "sk-gw-alice-change-me"
PROVIDER_KEY = "sk-ant-your-anthropic-key"  # what LiteLLM presents upstream
SUBSCRIPTION = "sk-ant-oat01-subscription-token-change-me"  # made up; never valid anywhere
OWN_KEY = "sk-ant-alice-own-change-me"


@pytest.fixture
def company_gateway(gateways, provider):
    """nginx on localhost:8080 (per-developer tokens) in front of LiteLLM on localhost:4000."""
    gateways.get(("quickstart/03-start-gateway.sh",), {"config.yaml": "quickstart/02-config.yaml"},
                 env={"ANTHROPIC_API_BASE": provider.url})
    gw = nginx.start(("enterprise/12-start-gateway.sh",),
                     {"gateway.conf.template": "enterprise/10-gateway.conf.template",
                      "developers.map": "enterprise/11-developers.map"})
    yield gw
    gw.stop()


def console(rel: str, output: str) -> str:
    return captures.console(snippet(rel).read_text(), output)


def everything_sent(upstream) -> str:
    """Every request the address received (methods, paths, headers, bodies), as one text."""
    return "\n".join(f"{r.method} {r.path} {r.headers} {r.body!r}" for r in upstream.received())


# -- 1. Check what Claude Code uses now ---------------------------------------------------------

def test_auth_status_names_the_address_and_the_credential(terminal):
    result = terminal.run(CONNECT, CHECK)
    assert result.code == 0, result.output
    assert result.stdout.splitlines() == ["Auth token: ANTHROPIC_AUTH_TOKEN",
                                          "Anthropic base URL: http://localhost:8080"], \
        result.output
    captures.check("connect/auth-status-shell.console", console(CHECK, result.stdout))


def test_auth_status_names_a_subscription_login(terminal):
    """A claude.ai login and no gateway: a Login method line, no base URL line."""
    terminal.seed_subscription_login(SUBSCRIPTION)
    result = terminal.run(CHECK)
    assert result.code == 0, result.output
    assert result.stdout.splitlines() == ["Login method: Claude Max account"], result.output
    captures.check("connect/auth-status-subscription.console", console(CHECK, result.stdout))


def test_status_names_a_subscription_login_beside_the_gateway_address(terminal, upstream):
    """In a session, /status shows the same: the login method and the gateway's address."""
    terminal.seed_subscription_login(SUBSCRIPTION)
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url,
                        CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL="1")
    terminal.seed_first_run()
    screen = terminal.interactive("quickstart/09-status.sh", keys="/status", until="Esc to close")
    assert re.search(r"^\s*Login method:\s+Claude Max account\s*$", screen, re.M), screen
    assert re.search(rf"^\s*Anthropic base URL:\s+{re.escape(upstream.url)}\s*$", screen, re.M), \
        screen
    assert not re.search(r"^\s*Auth token:", screen, re.M), screen


# -- 2. A claude.ai subscription login beside the gateway ------------------------------------

def test_a_subscription_login_alone_is_sent_to_the_gateway(terminal, upstream):
    """Only the address set: Claude Code presents the claude.ai login's token to it."""
    terminal.seed_subscription_login(SUBSCRIPTION)
    terminal.env["ANTHROPIC_BASE_URL"] = upstream.url
    claude_replied(terminal.run(FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("authorization") == f"Bearer {SUBSCRIPTION}", call.headers


def test_a_subscription_login_is_refused_by_the_company_gateway(company_gateway, terminal,
                                                                upstream):
    terminal.seed_subscription_login(SUBSCRIPTION)
    terminal.env["ANTHROPIC_BASE_URL"] = "http://localhost:8080"
    claude_failed_with(terminal.run(FIRST_REQUEST), "Failed to authenticate. API Error: 401 "
                       "Unknown gateway token.")
    assert not upstream_messages(upstream)


# What `claude auth status --text` names, beside the address, for each gateway credential.
NAMED = {"enterprise/01-auth-token.sh": ["Auth token: ANTHROPIC_AUTH_TOKEN"],
         "enterprise/02-auth-api-key.sh": ["Auth token: claude.ai · not in use",
                                           "API key: ANTHROPIC_API_KEY"]}


@pytest.mark.parametrize("credential", NAMED)
def test_a_gateway_credential_wins_over_the_subscription_login(credential, terminal, upstream):
    terminal.seed_subscription_login(SUBSCRIPTION)
    terminal.env["ANTHROPIC_BASE_URL"] = upstream.url
    claude_replied(terminal.run(credential, FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert ALICE in (call.header("authorization") or "") + (call.header("x-api-key") or "")
    assert SUBSCRIPTION not in everything_sent(upstream)
    status = terminal.run(credential, CHECK)
    assert status.stdout.splitlines() == [*NAMED[credential],
                                          f"Anthropic base URL: {upstream.url}"], status.output


def test_signing_out_removes_the_subscription_login(terminal, upstream):
    """`claude auth logout` takes the login off this computer: afterwards, with the address
    alone, Claude Code has no credential to send, and the subscription token goes nowhere."""
    terminal.seed_subscription_login(SUBSCRIPTION)
    terminal.env["ANTHROPIC_BASE_URL"] = upstream.url
    result = terminal.run(SIGN_OUT)
    assert result.code == 0, result.output
    # Offline here, so Anthropic cannot confirm the revocation; Claude Code says where to do it.
    assert "https://claude.ai/settings/claude-code" in result.output, result.output
    creds = terminal.home / ".claude" / ".credentials.json"
    assert not creds.exists() or "claudeAiOauth" not in creds.read_text()
    claude_failed_with(terminal.run(FIRST_REQUEST), "Not logged in · Please run /login",
                       within_s=15)
    assert SUBSCRIPTION not in everything_sent(upstream)
    claude_replied(terminal.run("enterprise/01-auth-token.sh", FIRST_REQUEST), "pong")


# -- 3. Set the values; your own Anthropic key --------------------------------------------

def _model_requests(door) -> list:
    """Every request at the door but Claude Code's start-up connection check."""
    return [r for r in door.requests if (r.method, r.path) != ("HEAD", "/api/hello")]


def test_unsetting_your_own_key_keeps_it_from_the_gateway(terminal, upstream):
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url, ANTHROPIC_API_KEY=OWN_KEY)
    with front_door.record(upstream.port) as door:  # everything sent to the gateway's address
        claude_replied(terminal.run("enterprise/01-auth-token.sh", FIRST_REQUEST), "pong")
    print("front door:", door.lines())
    models = _model_requests(door)
    # Every model request carries the own key as x-api-key beside the gateway token; the
    # connection check carries neither.
    assert models and all(r.method == "POST" and r.path.startswith("/v1/messages")
                          for r in models), door.lines()
    assert all(r.header("x-api-key") == OWN_KEY for r in models), door.lines()
    assert all(r.header("authorization") == f"Bearer {ALICE}" for r in models), door.lines()
    checks = [r for r in door.requests if (r.method, r.path) == ("HEAD", "/api/hello")]
    assert all(r.header("x-api-key") is None and r.header("authorization") is None
               for r in checks), door.lines()
    with front_door.record(upstream.port) as door:
        claude_replied(terminal.run("enterprise/01-auth-token.sh", UNSET_OWN_KEY,
                                    FIRST_REQUEST), "pong")
    models = _model_requests(door)
    assert models and [r.header("authorization") for r in models] == \
        [f"Bearer {ALICE}"] * len(models), door.lines()
    assert not any(OWN_KEY in str(r.headers) + r.body.decode(errors="replace")
                   for r in door.requests), door.lines()


# -- 4. One request, then Claude Code ------------------------------------------------------

def test_one_request_with_the_developers_token(company_gateway, terminal, upstream):
    result = terminal.run(CONNECT, ONE_REQUEST)
    assert result.code == 0 and result.stdout.rstrip().endswith("HTTP 200"), result.output
    assert '"text":"pong"' in result.stdout, result.output
    captures.check("connect/one-request.txt", result.stdout)
    (call,) = upstream_messages(upstream)
    assert call.header("x-api-key") == PROVIDER_KEY and ALICE not in str(call.headers)


def test_one_request_with_an_unknown_token_answers_401(company_gateway, terminal, upstream):
    terminal.env["ANTHROPIC_AUTH_TOKEN"] = "sk-gw-mistyped"
    result = terminal.sh(f"export ANTHROPIC_BASE_URL=http://localhost:8080\n"
                         f"source {snippet(ONE_REQUEST)}")
    assert result.stdout.rstrip().endswith("HTTP 401"), result.output
    assert "Unknown gateway token." in result.stdout
    assert not upstream_messages(upstream)


def test_claude_code_through_the_company_gateway(company_gateway, terminal, upstream):
    claude_replied(terminal.run(CONNECT, FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("x-api-key") == PROVIDER_KEY and ALICE not in str(call.headers)
    access = (company_gateway.workdir / "gateway-access.log").read_text()
    assert re.search(r'"POST /v1/messages\?beta=true HTTP/1.1" 200', access), access


# -- 5. Keep the values for every shell ----------------------------------------------------

def test_user_settings_take_every_shell_to_the_gateway(company_gateway, terminal, upstream):
    terminal.settings("user", USER_SETTINGS)
    status = terminal.run(CHECK)
    assert status.stdout.splitlines() == ["Auth token: ANTHROPIC_AUTH_TOKEN",
                                          "Anthropic base URL: http://localhost:8080"], \
        status.output
    claude_replied(terminal.run(FIRST_REQUEST), "pong")
    assert len(upstream_messages(upstream)) == 1
    # A shell that still exports the developer's own key: the file's empty ANTHROPIC_API_KEY
    # keeps it from the gateway, on every request its door receives.
    terminal.env["ANTHROPIC_API_KEY"] = OWN_KEY
    with front_door.record(8080) as door:
        claude_replied(terminal.run(FIRST_REQUEST), "pong")
    print("front door:", door.lines())
    models = _model_requests(door)
    assert models and [r.header("authorization") for r in models] == \
        [f"Bearer {ALICE}"] * len(models), door.lines()
    assert not any(OWN_KEY in str(r.headers) + r.body.decode(errors="replace")
                   for r in door.requests), door.lines()
    assert all(r.header("x-api-key") is None for r in door.requests), door.lines()
