"""Field failures: locked-down egress (docs/how-to/field-failures-egress.md). Which hosts
Claude Code tries to reach besides the gateway, recorded by a real Squid that every request
but the gateway's must go through (HTTPS_PROXY, NO_PROXY for the gateway). Squid knows no
outside name here (no DNS in the test namespace), so each attempt fails at once and is
logged; what this measures is proxied traffic only."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest

from tests.harness.proof import captures
from tests.harness.reader.expect import claude_replied
from tests.harness.reader.terminal import Terminal
from tests.harness.start.forward_proxy import ForwardProxy
from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import serving

CONNECT = "field-egress/01-connect.sh"
ASK = "field-egress/02-ask.sh"
QUIET = "field-egress/03-no-nonessential-traffic.sh"
INTERACTIVE = "field-egress/04-interactive.sh"
NO_MARKETPLACE = "field-egress/05-no-marketplace-autoinstall.sh"


@pytest.fixture(scope="module")
def gateway(gateways):
    gateways.free_port(4000)
    with serving(anthropic_wire.install, port=4000) as fake:
        yield fake


@contextmanager
def recording_proxy():
    """A fresh Squid per run, so a late attempt of one run cannot show up in the next."""
    proxy = ForwardProxy().start()
    try:
        yield proxy
    finally:
        proxy.stop()


def _hosts(proxy: ForwardProxy, quiet_s: float = 4.0) -> list[str]:
    """Once the log has stopped growing for `quiet_s` (Squid logs a tunnel when it ends, and
    a name it cannot resolve takes its DNS timeout, 2 s, to fail)."""
    count, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s:
        if len(proxy.log()) != count:
            count, since = len(proxy.log()), time.monotonic()
        time.sleep(0.2)
    # "-" lines are connections without a request: the harness's own readiness probe.
    return sorted({e.url if e.method == "CONNECT" else f"{e.method} {e.url}"
                   for e in proxy.log() if e.method != "-"})


def _row(label: str, hosts: list[str], test: str, sometimes: tuple[str, ...] = ()) -> str:
    shown = "<br>".join(f"`` {h} ``" for h in hosts) or "(none)"
    if sometimes:
        shown += ("<br>" if hosts else "; ") + "in some runs also " + ", ".join(
            f"`` {h} ``" for h in sometimes)
    return f"| {label} {{proof}}`{test}` | {shown} |"


def _unquiet_row(label: str, seen: list[str], always: set[str], sometimes: set[str],
                 test: str) -> str:
    """Without the variables, which hosts a run reaches depends on how long it lasts (a busy
    machine's runs last longer and start more of them): the row says which were tried in
    every run measured and which only in some, and the run must fit it."""
    assert always <= set(seen) <= always | sometimes, seen
    return _row(label, sorted(always), test, tuple(sorted(sometimes)))


HEAD = "| Run | Hosts tried through the proxy (CONNECT host:port) |\n|---|---|"


def test_hosts_contacted_in_print_mode(gateway, terminal):
    rows, test = [], "test_hosts_contacted_in_print_mode"
    for label, extra in [
            ("`claude -p`", []),
            ("`claude -p` with `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`", [QUIET])]:
        gateway.reset()
        with recording_proxy() as proxy:
            claude_replied(terminal.run(CONNECT, *extra, ASK), "pong")
            seen = _hosts(proxy)
        if extra:  # the page: with the variable, no host besides the gateway
            assert seen == [], seen
        rows.append(_row(label, seen, test) if extra else
                    _unquiet_row(label, seen, set(), {"api.anthropic.com:443"}, test))
    captures.check("field-egress/print.md", HEAD + "\n" + "\n".join(rows) + "\n")


def test_hosts_contacted_in_interactive_mode(gateway, tmp_path):
    rows = []
    for i, (label, extra) in enumerate([
            ("`claude` (one prompt)", []),
            ("`claude` with `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`", [QUIET]),
            ("`claude` with `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` and "
             "`CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1`", [QUIET, NO_MARKETPLACE])]):
        terminal = Terminal(tmp_path / f"run{i}")
        terminal.seed_first_run()
        gateway.reset()
        with recording_proxy() as proxy:
            with terminal.session(CONNECT, *extra, INTERACTIVE, timeout=60) as screen:
                screen.type("Reply with the word pong", "Reply with the word pong")
                screen.wait(r"● pong")  # the answer's mark (the prompt holds "pong" too)
                time.sleep(5)  # the session stays open a moment, as a developer's would
            seen = _hosts(proxy)
        # The page's sentences, row by row (the capture below shows the same):
        assert gateway.received("POST", r"^/v1/messages"), "no answer came through the gateway"
        if extra == [QUIET]:
            assert seen == ["downloads.claude.ai:443"], seen
        elif extra:
            assert seen == [], seen
        test = "test_hosts_contacted_in_interactive_mode"
        rows.append(_row(label, seen, test) if extra else _unquiet_row(
            label, seen, {"api.anthropic.com:443", "downloads.claude.ai:443"},
            {"raw.githubusercontent.com:443", "github.com:443", "registry.npmjs.org:443"}, test))
    captures.check("field-egress/interactive.md", HEAD + "\n" + "\n".join(rows) + "\n")
