"""How-to: migrate a team from direct use to a gateway, from one gateway to another, and roll
back (docs/how-to/migrate-and-roll-back.md). The real Claude Code at every step; "direct"
is the provider stand-in where Claude Code would reach Anthropic (ANTHROPIC_BASE_URL is the
only way to point it there), and each developer has their own provider key."""

from __future__ import annotations

import pytest

from tests.harness import captures, isolation, nginx, snippets
from tests.harness.expect import claude_replied, upstream_messages
from tests.harness.snippets import snippet
from tests.harness.terminal import Terminal

FIRST_REQUEST = "quickstart/07-first-request.sh"
SHELL = "quickstart/06-connect-shell.sh"
USER_SETTINGS = "quickstart/06-connect-user-settings.json"  # URL + token, one file
PROJECT_SETTINGS = "quickstart/06-connect-project-settings.json"  # the URL only
GATEWAY_B = "migrate/01-user-settings-gateway-b.json"
PROVIDER_KEY = "sk-ant-your-anthropic-key"  # the gateway's, from quickstart/03-start-gateway.sh
OWN_KEY = {"alice": "sk-ant-alice-own-change-me", "bob": "sk-ant-bob-own-change-me"}


@pytest.fixture
def gateway_a(gateways, provider):
    """The quickstart's LiteLLM on localhost:4000 (shared with the other guides' tests)."""
    return gateways.get(("quickstart/03-start-gateway.sh",),
                        {"config.yaml": "quickstart/02-config.yaml"},
                        env={"ANTHROPIC_API_BASE": provider.url})


@pytest.fixture
def gateway_b(gateway_a):
    """The enterprise guide's nginx gateway on localhost:8080, in front of the same LiteLLM."""
    gw = nginx.start(("enterprise/12-start-gateway.sh",),
                     {"gateway.conf.template": "enterprise/10-gateway.conf.template",
                      "developers.map": "enterprise/11-developers.map"})
    yield gw
    gw.stop()


@pytest.fixture
def team(tmp_path, upstream):
    """Two developers working directly with their own keys, each with a home and a clone
    of the same repository."""
    return {name: Terminal(tmp_path / name, env={"ANTHROPIC_BASE_URL": upstream.url,
                                                 "ANTHROPIC_API_KEY": key})
            for name, key in OWN_KEY.items()}


def ask(terminal, upstream, *snippets, via_b=None) -> str:
    """One request; where it went: "direct", "A" (LiteLLM) or "B" (nginx, then LiteLLM)."""
    before = len(upstream_messages(upstream))
    b_before = b_requests(via_b)
    result = terminal.run(*snippets, FIRST_REQUEST)
    claude_replied(result, "pong")
    (call,) = upstream_messages(upstream)[before:]
    key = call.header("x-api-key")
    if key in OWN_KEY.values():
        return "direct"
    assert key == PROVIDER_KEY, key
    return "B" if b_requests(via_b) > b_before else "A"


def b_requests(gw) -> int:
    if gw is None:
        return 0
    access = gw.workdir / "gateway-access.log"
    return sum("POST /v1/messages" in line for line in access.read_text().splitlines()) \
        if access.exists() else 0


def ask_with_managed(terminal, upstream, tmp_path, rel: str) -> str:
    """One request with `rel` as /etc/claude-code/managed-settings.json, seen by this one
    process only (an overlay of /etc in its own mount namespace: the machine is untouched)."""
    upper, work = tmp_path / "etc-upper", tmp_path / "etc-work"
    (upper / "claude-code").mkdir(parents=True, exist_ok=True)
    work.mkdir(exist_ok=True)
    (upper / "claude-code" / "managed-settings.json").write_bytes(snippet(rel).read_bytes())
    before = len(upstream_messages(upstream))
    command = isolation.with_private_etc(upper, work, f"source {snippet(FIRST_REQUEST)}")
    result = terminal.sh(command)
    claude_replied(result, "pong")
    snippets.ran(rel)  # placed where Claude Code reads managed settings, and read by it
    (call,) = upstream_messages(upstream)[before:]
    return "direct" if call.header("x-api-key") in OWN_KEY.values() else "A"


def test_direct_to_gateway_shell_then_project(gateway_a, team, upstream):
    alice, bob = team["alice"], team["bob"]
    assert ask(alice, upstream) == ask(bob, upstream) == "direct"
    # 1. One developer tries the gateway in one shell; everyone else, and her other shells,
    #    still go direct.
    assert ask(alice, upstream, SHELL) == "A"
    assert ask(bob, upstream) == "direct"
    # 2. Each developer moves with one settings file of their own (URL and token at once),
    #    then the repository commits the URL for everyone.
    alice.settings("local", USER_SETTINGS)
    assert ask(alice, upstream) == "A"  # while bob, without the file, is direct (above)
    bob.settings("local", USER_SETTINGS)
    for dev in team.values():
        dev.settings("project", PROJECT_SETTINGS)
        assert ask(dev, upstream) == "A", "settings beat the shell's direct variables"


def test_managed_settings_take_the_whole_machine(gateway_a, team, upstream, tmp_path):
    """Step 3: a project without the address, the token alone in the developer's local
    file, the shell still pointing direct: the managed address alone takes him to the
    gateway."""
    if why := isolation.private_etc_unavailable(tmp_path):
        pytest.skip(f"managed settings live in /etc/claude-code; no private overlay of /etc "
                    f"here: {why}")
    bob = team["bob"]
    bob.settings("local", "quickstart/06-connect-project-settings-local.json")
    assert ask_with_managed(bob, upstream, tmp_path, PROJECT_SETTINGS) == "A"


def test_roll_back_to_direct_level_by_level(gateway_a, team, upstream):
    """Step 2's state (the project's address, the developer's own file) removed, in a new
    shell without the connect variables: direct again, with her own key."""
    alice = team["alice"]
    project = alice.settings("project", PROJECT_SETTINGS)
    local = alice.settings("local", USER_SETTINGS)
    assert ask(alice, upstream) == "A"
    local.unlink()
    project.unlink()
    assert ask(alice, upstream) == "direct"


def test_url_without_token_is_refused(gateway_a, team, upstream):
    """The trap in step 2: the committed URL reaches a developer who has no gateway token
    yet; Claude Code sends the developer's own provider key to the gateway, which refuses it."""
    bob = team["bob"]
    bob.settings("project", PROJECT_SETTINGS)
    result = bob.run(FIRST_REQUEST)
    assert result.code != 0 and "No connected db" in result.output, result.output
    captures.check("migrate/url-without-token.console", captures.console(
        snippet(FIRST_REQUEST).read_text(), result.output))
    assert not upstream_messages(upstream)


def test_gateway_a_to_b_and_back(gateway_b, team, upstream):
    alice, bob = team["alice"], team["bob"]
    for dev in team.values():
        dev.settings("local", USER_SETTINGS)
    assert ask(alice, upstream, via_b=gateway_b) == "A"
    # Alice moves to gateway B (URL and her B token in one file); Bob is still on A: both
    # gateways serve at the same time.
    alice.settings("local", GATEWAY_B)
    assert ask(alice, upstream, via_b=gateway_b) == "B"
    assert ask(bob, upstream, via_b=gateway_b) == "A"
    # Roll back: the previous file again.
    alice.settings("local", USER_SETTINGS)
    assert ask(alice, upstream, via_b=gateway_b) == "A"
