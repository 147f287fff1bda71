"""How-to: migrate a team from direct use to a gateway, from one gateway to another, and roll
back (docs/how-to/migrate-and-roll-back.md). The real Claude Code at every step; "direct"
is the provider stand-in where Claude Code would reach Anthropic (ANTHROPIC_BASE_URL is the
only way to point it there), and each developer has their own provider key."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

import gateway_assistant
from tests.harness import isolation
from tests.harness.proof import captures, snippets
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.reader.terminal import Terminal
from tests.harness.start import nginx
from tests.harness.wire import front_door

FIRST_REQUEST = "quickstart/07-first-request.sh"
SHELL = "quickstart/06-connect-shell.sh"
UNSET = "migrate/02-unset-own-key.sh"  # step 1, before SHELL: the own key leaves this shell
USER_SETTINGS = "quickstart/06-connect-user-settings.json"  # URL + token, one file
LOCAL_SETTINGS = "migrate/03-settings-local-gateway.json"  # URL + token + the own key blanked
LOCAL_TOKEN = "migrate/04-settings-local-token.json"  # token + the own key blanked (step 3)
PROJECT_SETTINGS = "quickstart/06-connect-project-settings.json"  # the URL only
GATEWAY_B = "migrate/05-settings-local-gateway-b.json"
PROVIDER_KEY = "sk-ant-your-anthropic-key"  # the gateway's, from quickstart/03-start-gateway.sh
OWN_KEY = {"alice": "sk-ant-alice-own-key-7a1c", "bob": "sk-ant-bob-own-key-40b2"}
GATEWAY_TOKEN = "Bearer sk-litellm-change-me"  # the quickstart's token, in SHELL and the files


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


def own_keys_at(*doors) -> list[str]:
    """Every request at these doors that carries a developer's own provider key, in any header
    or in its body: the complete record, every method and path."""
    return [f"{r} ({name})" for door in doors for r in door.requests
            for name, value in [*r.headers.items(), ("body", r.body.decode("latin-1"))]
            if any(key in value for key in OWN_KEY.values())]


def credentials(door) -> list[tuple[str, str | None, str | None]]:
    """(request, Authorization, x-api-key) of every request at the door, in order."""
    return [(str(r), r.header("authorization"), r.header("x-api-key")) for r in door.requests]


def test_direct_to_gateway_shell_then_project(gateway_a, team, upstream):
    alice, bob = team["alice"], team["bob"]
    with front_door.record(4000) as door:
        assert ask(alice, upstream) == ask(bob, upstream) == "direct"
        assert door.requests == []  # going direct, nothing at the gateway's door
        # 1. One developer tries the gateway in one shell, her own key unset there first;
        #    everyone else, and her other shells, still go direct.
        assert ask(alice, upstream, UNSET, SHELL) == "A"
        assert ask(bob, upstream) == "direct"
        assert ask(alice, upstream) == "direct"  # her next shell, without step 1's lines
        # 2. Each developer moves with one settings file of their own (URL and token at once,
        #    the own key blanked), then the repository commits the URL for everyone. The
        #    shells still export the direct URL and the developer's own key.
        shell_url_from = len(upstream.requests)
        alice.settings("local", LOCAL_SETTINGS)
        assert ask(alice, upstream) == "A"  # while bob, without the file, is direct (above)
        bob.settings("local", LOCAL_SETTINGS)
        for dev in team.values():
            dev.settings("project", PROJECT_SETTINGS)
            assert ask(dev, upstream) == "A", "settings beat the shell's direct variables"
    # The complete record at the gateway's door, every method and path: the four requests
    # that went through the gateway (and step 1's HEAD /api/hello), the gateway token the
    # only credential, no x-api-key on any of them, the developers' own keys nowhere.
    sent = credentials(door)
    assert [line for line, *_ in sent].count("POST /v1/messages?beta=true") == 4, sent
    assert all(x_api_key is None for _, _, x_api_key in sent), sent
    assert {auth for line, auth, _ in sent if line.startswith("POST")} == {GATEWAY_TOKEN}, sent
    assert not own_keys_at(door)
    # The direct address still exported in the shells during step 2: only the provider
    # behind the gateway (the gateway's key) and Claude Code's HEAD /api/hello, keyless.
    at_direct = upstream.requests[shell_url_from:]
    assert all(r.header("x-api-key") == PROVIDER_KEY
               or (r.method, r.path) == ("HEAD", "/api/hello")
               and r.header("x-api-key") is r.header("authorization") is None
               for r in at_direct), [(r.method, r.path, r.headers) for r in at_direct]
    assert any(r.method == "HEAD" for r in at_direct)


def with_gateway_assistant(terminal: Terminal, root: Path) -> Terminal:
    """`gateway-assistant` on the terminal's PATH: this checkout's src/, as `pip install .`
    installs it (the console script runs gateway_assistant.cli:main)."""
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "gateway-assistant"
    src = Path(gateway_assistant.__file__).parents[1]
    launcher.write_text(f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(src))} "
                        f"exec {shlex.quote(sys.executable)} -m gateway_assistant \"$@\"\n")
    launcher.chmod(0o755)
    terminal.env["PATH"] = f"{bin_dir}:{terminal.env['PATH']}"
    return terminal


def test_own_key_reaches_the_gateway_unless_removed(gateway_a, team, upstream, tmp_path):
    """Steps 1 and 2 without what keeps the developer's own key back: the request still goes
    through (the gateway takes the Bearer token), and the own key arrives as x-api-key on it."""
    alice, bob = team["alice"], team["bob"]
    # Step 1 without the unset.
    with front_door.record(4000) as door:
        assert ask(alice, upstream, SHELL) == "A"
    assert credentials(door) == [
        ("HEAD /api/hello", None, None),
        ("POST /v1/messages?beta=true", GATEWAY_TOKEN, OWN_KEY["alice"])]
    # Step 2 with a file that names the gateway and the token but leaves the own key.
    with_gateway_assistant(bob, tmp_path)
    bob.settings("local", USER_SETTINGS)
    with front_door.record(4000) as door:
        assert ask(bob, upstream) == "A"
    assert credentials(door) == [
        ("POST /v1/messages?beta=true", GATEWAY_TOKEN, OWN_KEY["bob"])]
    doctor = bob.run("gateway-assistant/03-doctor.sh")
    assert "ANTHROPIC_AUTH_TOKEN as Authorization: Bearer and ANTHROPIC_API_KEY as x-api-key" \
        in doctor.stdout, doctor.output
    assert OWN_KEY["bob"][:-4] not in doctor.output
    captures.check("migrate/doctor-own-key.console", captures.console(
        snippet("gateway-assistant/03-doctor.sh").read_text(), doctor.stdout + doctor.stderr))
    # The published file: the same shell, nothing of his own key at the door any more.
    bob.settings("local", LOCAL_SETTINGS)
    with front_door.record(4000) as door:
        assert ask(bob, upstream) == "A"
    assert credentials(door) == [("POST /v1/messages?beta=true", GATEWAY_TOKEN, None)]
    assert "x-api-key" not in bob.run("gateway-assistant/03-doctor.sh").stdout
    # The own key in user settings instead of the shell: the published file hides it too.
    del bob.env["ANTHROPIC_API_KEY"]
    user = bob.home / ".claude" / "settings.json"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(json.dumps({"env": {"ANTHROPIC_API_KEY": OWN_KEY["bob"]}}))
    with front_door.record(4000) as door:
        assert ask(bob, upstream) == "A"
    assert credentials(door) == [("POST /v1/messages?beta=true", GATEWAY_TOKEN, None)]
    assert not own_keys_at(door)


def test_managed_settings_take_the_whole_machine(gateway_a, team, upstream, tmp_path):
    """Step 3: a project without the address, the token alone in the developer's local
    file, the shell still pointing direct: the managed address alone takes him to the
    gateway."""
    if why := isolation.private_etc_unavailable(tmp_path):
        pytest.skip(f"managed settings live in /etc/claude-code; no private overlay of /etc "
                    f"here: {why}")
    bob = team["bob"]
    bob.settings("local", LOCAL_TOKEN)
    with front_door.record(4000) as door:
        assert ask_with_managed(bob, upstream, tmp_path, PROJECT_SETTINGS) == "A"
    # His shell still exports his own key: the token file's blank keeps it from the gateway.
    assert [(line, auth, key) for line, auth, key in credentials(door)
            if line.startswith("POST")] == [("POST /v1/messages?beta=true", GATEWAY_TOKEN, None)]
    assert not own_keys_at(door)


def test_roll_back_to_direct_level_by_level(gateway_a, team, upstream):
    """Step 2's state (the project's address, the developer's own file) removed, in a new
    shell without the connect variables: direct again, with her own key."""
    alice = team["alice"]
    project = alice.settings("project", PROJECT_SETTINGS)
    local = alice.settings("local", LOCAL_SETTINGS)
    assert ask(alice, upstream) == "A"
    local.unlink()
    project.unlink()
    assert ask(alice, upstream) == "direct"


def test_url_without_token_is_refused(gateway_a, team, upstream):
    """The trap in step 2: the committed URL reaches a developer who has no gateway token
    yet; Claude Code sends the developer's own provider key to the gateway, which refuses it."""
    bob = team["bob"]
    bob.settings("project", PROJECT_SETTINGS)
    with front_door.record(4000) as door:
        result = bob.run(FIRST_REQUEST)
    assert result.code != 0 and "No connected db" in result.output, result.output
    # Every request at the gateway's door, whatever its method: the only credential any of
    # them carries is bob's own provider key.
    assert {r.header("x-api-key") for r in door.requests} - {None} == {OWN_KEY["bob"]}, \
        [(str(r), r.headers) for r in door.requests]
    assert not [r for r in door.requests if r.header("authorization")], door.lines()
    captures.check("migrate/url-without-token.console", captures.console(
        snippet(FIRST_REQUEST).read_text(), result.output))
    assert not upstream_messages(upstream)
    # Everything the provider received: nothing carrying a key. (Its only visitor is Claude
    # Code's keyless HEAD /api/hello to the direct address the shell still exports.)
    assert all((r.method, r.path) == ("HEAD", "/api/hello") and r.header("x-api-key") is None
               and r.header("authorization") is None for r in upstream.received()), \
        [(r.method, r.path, r.headers) for r in upstream.received()]


def test_gateway_a_to_b_and_back(gateway_b, team, upstream):
    alice, bob = team["alice"], team["bob"]
    for dev in team.values():
        dev.settings("local", LOCAL_SETTINGS)
    with front_door.record(8080) as door_b, front_door.record(4000) as door_a:
        assert ask(alice, upstream, via_b=gateway_b) == "A"
        # Alice moves to gateway B (URL and her B token in one file); Bob is still on A:
        # both gateways serve at the same time.
        alice.settings("local", GATEWAY_B)
        assert ask(alice, upstream, via_b=gateway_b) == "B"
        assert ask(bob, upstream, via_b=gateway_b) == "A"
        # Roll back: the previous file again.
        alice.settings("local", LOCAL_SETTINGS)
        assert ask(alice, upstream, via_b=gateway_b) == "A"
    # Their shells still export their own keys: at neither gateway's door does one arrive.
    assert [(line, auth, key) for line, auth, key in credentials(door_b)
            if line.startswith("POST")] == [
        ("POST /v1/messages?beta=true", "Bearer sk-gw-alice-change-me", None)]
    assert not own_keys_at(door_a, door_b)
