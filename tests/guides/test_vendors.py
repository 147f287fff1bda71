"""How-to: vendor gateways (docs/how-to/vendors.md). The vendors cannot run here: each test
checks the Claude Code side only, against the provider fake standing in for the vendor's
gateway, and asserts the request carries exactly the credentials that vendor's own guide
says its gateway checks."""

from __future__ import annotations

import time

from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.wire import front_door

FIRST_REQUEST = "quickstart/07-first-request.sh"


def at_stand_in(terminal, upstream):
    terminal.env["ANTHROPIC_BASE_URL"] = upstream.url  # where the vendor's URL would go


def test_cloudflare_key_and_gateway_token(upstream, terminal):
    """Every request the vendor's address receives: each model request carries the
    Anthropic key and the gateway token; the start-up connection check carries neither."""
    at_stand_in(terminal, upstream)
    with front_door.record(upstream.port) as door:
        claude_replied(terminal.run("vendors/01-cloudflare.sh", FIRST_REQUEST), "pong")
    print("front door:", door.lines())
    models = [r for r in door.requests if (r.method, r.path) != ("HEAD", "/api/hello")]
    assert models and all(r.method == "POST" for r in models), door.lines()
    assert all(r.header("x-api-key") == "sk-ant-your-anthropic-key" for r in models)
    assert all(r.header("cf-aig-authorization") == "Bearer your-cf-aig-token" for r in models)
    assert all(r.header("authorization") is None for r in models)
    checks = [r for r in door.requests if (r.method, r.path) == ("HEAD", "/api/hello")]
    assert all(not {"x-api-key", "cf-aig-authorization"} & set(r.headers) for r in checks)
    (call,) = upstream_messages(upstream)
    assert call.header("x-api-key") == "sk-ant-your-anthropic-key"


def test_portkey_headers_alone_are_not_logged_in(upstream, terminal):
    """Portkey's guide sets only custom headers; on a machine where Claude Code is not
    logged in, the pinned CLI sends no model request: the vendor's address receives only
    the connection check, without a credential or the custom headers."""
    at_stand_in(terminal, upstream)
    with front_door.record(upstream.port) as door:
        result = terminal.run("vendors/02-portkey.sh", FIRST_REQUEST)
        time.sleep(2)  # anything sent as Claude Code exits still arrives
    claude_failed_with(result, "Not logged in · Please run /login", within_s=15)
    assert door.lines() == ["HEAD /api/hello"]  # every request the address was sent
    (check,) = door.requests
    assert not {"authorization", "x-api-key"} & set(check.headers)
    assert not [name for name in check.headers if name.startswith("x-portkey-")]


def test_portkey_headers_are_sent_each_on_its_own(upstream, terminal):
    at_stand_in(terminal, upstream)
    result = terminal.run("vendors/02-portkey.sh", "vendors/03-gateway-app-key.sh",
                          FIRST_REQUEST)
    claude_replied(result, "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("x-portkey-api-key") == "your-portkey-api-key"
    assert call.header("x-portkey-provider") == "anthropic"
    assert call.header("x-portkey-virtual-key") == "your-virtual-key"


def test_gateway_app_key_is_a_bearer_token(upstream, terminal):
    at_stand_in(terminal, upstream)
    claude_replied(terminal.run("vendors/03-gateway-app-key.sh", FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("authorization") == "Bearer your-gateway-api-key"
    assert call.header("x-api-key") is None
