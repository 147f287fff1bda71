"""`gateway-assistant doctor`: its model of Claude Code's settings precedence agrees with the
real CLI (which base URL and which key actually arrive at a provider fake), each flagged
problem has a failing and a fixed environment, and `--check` classifies real answers."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from gateway_assistant import claude_code
from gateway_assistant import doctor as doctor_module
from gateway_assistant.cli import main
from gateway_assistant.doctor import doctor
from tests.harness import isolation
from tests.harness.wire import anthropic_wire, front_door
from tests.harness.wire.provider_fake import serving

LAYERS = ("managed", "flag", "local", "project", "user", "shell")


@pytest.fixture(scope="module")
def fake(isolated):
    """A provider fake serving the Messages API under one path prefix per settings layer, so
    the path that arrives names the layer whose ANTHROPIC_BASE_URL won."""
    layers = [lambda f, layer=layer: anthropic_wire.install(f, prefix=f"/{layer}")
              for layer in LAYERS]
    with serving(*layers) as f:
        yield f


class World:
    """One reader's machine: shell variables, settings files at every level, --settings."""

    def __init__(self, terminal, fake, tmp_path):
        self.t, self.fake, self.tmp = terminal, fake, tmp_path
        self.flag = None
        self.managed = tmp_path / "etc-overlay" / "claude-code" / "managed-settings.json"

    def put(self, layer: str, keys: str) -> None:
        env = {}
        if keys in ("url", "both"):
            env["ANTHROPIC_BASE_URL"] = f"{self.fake.url}/{layer}"
        if keys in ("token", "both"):
            env["ANTHROPIC_AUTH_TOKEN"] = f"token-{layer}"
        if layer == "shell":
            self.t.env.update(env)
            return
        text = json.dumps({"env": env})
        if layer == "flag":
            self.flag = text
            return
        path = {"managed": self.managed,
                "local": self.t.project / ".claude" / "settings.local.json",
                "project": self.t.project / ".claude" / "settings.json",
                "user": self.t.home / ".claude" / "settings.json"}[layer]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def claude(self) -> tuple[str | None, str | None]:
        """Run the real CLI; return (layer whose URL received the request, token sent)."""
        self.fake.reset()
        command = "claude -p hi" + (f" --settings {shlex.quote(self.flag)}" if self.flag else "")
        if self.managed.exists():
            # Managed settings live in /etc/claude-code: give this one process a private view
            # of /etc (an overlay in its own mount namespace), so the machine is not touched.
            upper, work = self.managed.parent.parent, self.tmp / "overlay-work"
            work.mkdir(exist_ok=True)
            command = isolation.with_private_etc(upper, work, command)
        result = self.t.sh(command, timeout=60)
        calls = self.fake.received("POST", r"/v1/messages$")
        assert calls, result.output
        layer = calls[0].path.split("/")[1]
        token = (calls[0].header("authorization") or "").removeprefix("Bearer token-")
        return layer, token

    def doctor(self):
        managed = self.managed if self.managed.exists() else self.tmp / "no-managed.json"
        found, extra = doctor(settings=self.flag, env=self.t.env, home=self.t.home,
                              cwd=self.t.project, managed=managed)
        eff = extra["effective"]
        url = eff.get("ANTHROPIC_BASE_URL", {}).get("value", "")
        token = json.dumps(eff.get("ANTHROPIC_AUTH_TOKEN", {}))  # masked: names its layer
        return url.rsplit("/", 1)[-1], token, found


# Each case: layer -> which keys it sets ("both", "url", "token"); measured with the real CLI.
MATRIX = [
    {"shell": "both", "user": "both"},
    {"user": "both", "project": "both"},
    {"project": "both", "local": "both"},
    {"local": "both", "flag": "both"},
    {"flag": "both", "managed": "both"},
    {"shell": "both", "user": "both", "project": "both", "local": "both", "flag": "both",
     "managed": "both"},
    {"shell": "url", "user": "token"},
    {"shell": "both", "user": "url", "local": "token"},
    {"shell": "both", "project": "token"},
    {"local": "url", "shell": "token"},
    {"managed": "token", "shell": "both", "flag": "url"},
]


@pytest.mark.parametrize("case", MATRIX, ids=["+".join(f"{k}:{v}" for k, v in c.items())
                                              for c in MATRIX])
def test_doctor_precedence_agrees_with_the_real_cli(case, fake, terminal, tmp_path):
    if "managed" in case and (why := isolation.private_etc_unavailable(tmp_path)):
        pytest.skip(f"managed settings live in /etc/claude-code, and a private overlay of /etc "
                    f"cannot be mounted here: {why}")
    world = World(terminal, fake, tmp_path)
    for layer, keys in case.items():
        world.put(layer, keys)
    cli_layer, cli_token = world.claude()
    doc_layer, doc_token, _ = world.doctor()
    assert doc_layer == cli_layer, f"base URL: CLI used {cli_layer}'s, doctor says {doc_layer}'s"
    # doctor masks keys to their last 4 characters; the sources name the layer.
    assert f"token-{cli_token}"[-4:] in doc_token, (cli_token, doc_token)


SOURCE_NAMES = {"managed": "managed settings", "flag": "--settings",
                "local": "project local settings", "project": "project settings",
                "user": "user settings", "shell": "shell environment"}


def test_doctor_names_the_source_of_each_value(fake, terminal, tmp_path):
    world = World(terminal, fake, tmp_path)
    world.put("shell", "url")
    world.put("local", "token")
    _, token, _ = world.doctor()
    assert SOURCE_NAMES["local"] in token


# -- switches: which values the real CLI reads as on ---------------------------------------
# Each switch with what its being on changes in a real run, observed at the fake: a Vertex or
# Bedrock path, an unsigned Bedrock request, a request at all (without Google credentials),
# fewer beta flags, no HEAD /api/hello preconnect.

def _vertex_mode(fake):
    return {"CLAUDE_CODE_USE_VERTEX": "1", "ANTHROPIC_VERTEX_BASE_URL": f"{fake.url}/user",
            "CLOUD_ML_REGION": "us-east5", "ANTHROPIC_VERTEX_PROJECT_ID": "my-project",
            "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1"}


def _bedrock_mode(fake):
    return {"CLAUDE_CODE_USE_BEDROCK": "1", "ANTHROPIC_BEDROCK_BASE_URL": f"{fake.url}/user",
            "AWS_REGION": "us-east-1", "CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1",
            "AWS_ACCESS_KEY_ID": "fake-access-key-id-for-tests-only",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-access-key-for-tests-only"}


def _at(fake, prefix):
    return [r for r in fake.requests if r.path.startswith(f"/{prefix}/")]


SWITCH_WORLDS = {  # switch: (the rest of the world, "is it on?" from the fake's log)
    "CLAUDE_CODE_USE_VERTEX": (lambda f: {**_vertex_mode(f), "CLAUDE_CODE_USE_VERTEX": ""},
                               lambda f, base: bool(_at(f, "user"))),
    "CLAUDE_CODE_USE_BEDROCK": (lambda f: {**_bedrock_mode(f), "CLAUDE_CODE_USE_BEDROCK": ""},
                                lambda f, base: bool(_at(f, "user"))),
    "CLAUDE_CODE_SKIP_BEDROCK_AUTH": (_bedrock_mode, lambda f, base: not any(
        (r.header("authorization") or "").startswith("AWS4-HMAC-SHA256") for r in _at(f, "user"))),
    "CLAUDE_CODE_SKIP_VERTEX_AUTH": (_vertex_mode, lambda f, base: bool(_at(f, "user"))),
    "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS": (lambda f: {}, lambda f, base: set(
        _betas(f)) < base),
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": (lambda f: {}, lambda f, base: not f.received(
        "HEAD", r"^/shell/api/hello$")),
}
VALUES = ("1", "true", "yes", "on", "TRUE", "0", "false", "enabled")
SOME_VALUES = ("yes", "on", "TRUE", "0", "false", "enabled")  # `1`, `true`: the guides' own
PRESENCE_VALUES = ("1", "0", "false", "enabled", "")


def _betas(fake):
    (call, *_) = fake.received("POST", r"^/shell/v1/messages$")
    return [b.strip() for b in call.header("anthropic-beta").split(",")]


def _run_claude(terminal, fake, extra):
    terminal.env.update(ANTHROPIC_BASE_URL=f"{fake.url}/shell", ANTHROPIC_AUTH_TOKEN="token-shell")
    terminal.env.update(extra)
    fake.reset()
    terminal.sh("claude -p hi", timeout=60)


@pytest.fixture(scope="module")
def default_betas(fake, tmp_path_factory):
    """The beta flags Claude Code sends with no switch set (what 'fewer' is measured against)."""
    from tests.harness.reader.terminal import Terminal
    _run_claude(Terminal(tmp_path_factory.mktemp("betas")), fake, {})
    return set(_betas(fake))


@pytest.mark.parametrize("switch,value,on", [
    *((s, v, v.strip().lower() in claude_code.TRUE_VALUES) for s in claude_code.SWITCHES
      for v in (VALUES if s == "CLAUDE_CODE_USE_VERTEX" else SOME_VALUES)),
    *((s, v, v != "") for s in claude_code.PRESENCE_SWITCHES for v in PRESENCE_VALUES)])
def test_switch_values_as_the_real_cli_reads_them(switch, value, on, fake, terminal,
                                                  default_betas):
    world, is_on = SWITCH_WORLDS[switch]
    _run_claude(terminal, fake, {**world(fake), switch: value})
    assert is_on(fake, default_betas) == on, [(r.method, r.path) for r in fake.requests]
    if switch in ("CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_BEDROCK") and on:
        # Every request the fake received (it is ANTHROPIC_BASE_URL too): none is a Messages
        # request to ANTHROPIC_BASE_URL.
        assert not fake.received("POST", r"^/shell/v1/messages"), \
            [(r.method, r.path) for r in fake.requests]
    found = {f.code for f in doctor(env=terminal.env, home=terminal.home, cwd=terminal.project,
                                    managed=terminal.home / "none")[0]}
    # Off by a value the CLI does not read (`enabled`), or on by a value that reads as off
    # (`0` for a presence switch): flagged. A mode on with ANTHROPIC_BASE_URL set: flagged,
    # since no Messages request then goes to ANTHROPIC_BASE_URL.
    assert ("switch-value" in found) == (value == "enabled" and switch in claude_code.SWITCHES)
    assert ("switch-presence" in found) == (
        switch in claude_code.PRESENCE_SWITCHES and value in ("0", "false"))
    assert ("direct-provider-and-gateway" in found) == (
        switch in ("CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_BEDROCK") and on
        or switch in ("CLAUDE_CODE_SKIP_BEDROCK_AUTH", "CLAUDE_CODE_SKIP_VERTEX_AUTH"))


# -- several provider modes on: which one Claude Code uses -------------------------------------
# Each mode pointed at its own path on the fake, with what it needs to send without a cloud
# sign-in; the first request's path says which mode the CLI chose.

def _modes(fake) -> dict[str, dict[str, str]]:
    return {
        "CLAUDE_CODE_USE_BEDROCK": {"ANTHROPIC_BEDROCK_BASE_URL": f"{fake.url}/bedrock",
                                    "AWS_REGION": "us-east-1",
                                    "CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1"},
        "CLAUDE_CODE_USE_FOUNDRY": {"ANTHROPIC_FOUNDRY_BASE_URL": f"{fake.url}/foundry",
                                    "ANTHROPIC_FOUNDRY_API_KEY": "foundry-key"},
        "CLAUDE_CODE_USE_ANTHROPIC_AWS": {"ANTHROPIC_AWS_BASE_URL": f"{fake.url}/aws",
                                          "ANTHROPIC_AWS_API_KEY": "aws-key",
                                          "ANTHROPIC_AWS_WORKSPACE_ID": "wrkspc_1"},
        "CLAUDE_CODE_USE_MANTLE": {"ANTHROPIC_BEDROCK_MANTLE_BASE_URL": f"{fake.url}/mantle",
                                   "AWS_REGION": "us-east-1", "CLAUDE_CODE_SKIP_MANTLE_AUTH": "1"},
        "CLAUDE_CODE_USE_VERTEX": {"ANTHROPIC_VERTEX_BASE_URL": f"{fake.url}/vertex",
                                   "CLOUD_ML_REGION": "us-east5",
                                   "ANTHROPIC_VERTEX_PROJECT_ID": "my-project",
                                   "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1"},
    }


@pytest.mark.parametrize("first,second", [
    ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"),
    ("CLAUDE_CODE_USE_FOUNDRY", "CLAUDE_CODE_USE_MANTLE"),
    ("CLAUDE_CODE_USE_ANTHROPIC_AWS", "CLAUDE_CODE_USE_VERTEX"),
    ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_FOUNDRY"),
])
def test_several_provider_modes_the_first_checked_wins(first, second, fake, terminal):
    """Two provider modes on: every request goes to the one doctor names, none to the other
    or to ANTHROPIC_BASE_URL, and doctor says which it is."""
    modes = _modes(fake)
    paths = {m: modes[m][next(k for k in modes[m] if k.endswith("_BASE_URL"))].rsplit("/", 1)[1]
             for m in (first, second)}
    _run_claude(terminal, fake, {first: "1", second: "1", "CLAUDE_CODE_MAX_RETRIES": "0",
                                 **modes[first], **modes[second]})
    seen = {r.path.split("/")[1] for r in fake.requests}
    assert seen == {paths[first]}, [(r.method, r.path) for r in fake.requests]
    findings = {f.code: f for f in doctor(env=terminal.env, home=terminal.home,
                                          cwd=terminal.project, managed=terminal.home / "none")[0]}
    several = findings["several-provider-modes"]
    assert f"({first})" in several.message and second in several.message, several.message
    assert first in findings["direct-provider-and-gateway"].message


# -- a provider key beside a gateway token -------------------------------------------------
# What the real CLI sends when ANTHROPIC_API_KEY is set beside a gateway token, read from the
# complete record at the address it was given; doctor must say the same, naming places only.

TOKEN, KEY = "tok-gateway-alice-1234", "sk-ant-own-key-alice-5678"
HELPER_OUT = "tok-helper-alice-9012"  # 20 characters or more: doctor masks it in the command
HELPER = f"echo {HELPER_OUT}"
CREDENTIALS = {  # case: (shell, local settings, user settings)
    "shell token and key": ({"ANTHROPIC_AUTH_TOKEN": TOKEN, "ANTHROPIC_API_KEY": KEY}, {}, {}),
    "helper and shell key": ({"ANTHROPIC_API_KEY": KEY}, {"apiKeyHelper": HELPER}, {}),
    "token, helper and key": ({"ANTHROPIC_AUTH_TOKEN": TOKEN, "ANTHROPIC_API_KEY": KEY},
                              {"apiKeyHelper": HELPER}, {}),
    "settings token, key in user settings": (
        {}, {"env": {"ANTHROPIC_AUTH_TOKEN": TOKEN}}, {"env": {"ANTHROPIC_API_KEY": KEY}}),
    "settings token, shell key blanked": (
        {"ANTHROPIC_API_KEY": KEY},
        {"env": {"ANTHROPIC_AUTH_TOKEN": TOKEN, "ANTHROPIC_API_KEY": ""}}, {}),
    "helper alone": ({}, {"apiKeyHelper": HELPER}, {}),
    "key alone": ({"ANTHROPIC_API_KEY": KEY}, {}, {}),
}
SENT = {  # case: (Authorization, x-api-key) on the Messages request, as measured
    "shell token and key": (f"Bearer {TOKEN}", KEY),
    "helper and shell key": (f"Bearer {HELPER_OUT}", KEY),
    "token, helper and key": (f"Bearer {TOKEN}", KEY),
    "settings token, key in user settings": (f"Bearer {TOKEN}", KEY),
    "settings token, shell key blanked": (f"Bearer {TOKEN}", None),
    "helper alone": (f"Bearer {HELPER_OUT}", HELPER_OUT),
    "key alone": (None, KEY),
}
BEARER_NAMES = {f"Bearer {TOKEN}": "ANTHROPIC_AUTH_TOKEN",
                f"Bearer {HELPER_OUT}": "the output of apiKeyHelper"}


def _run_doctor(terminal, *args) -> str:
    """The gateway-assistant command from this checkout's src/, in the reader's terminal."""
    src = shlex.quote(str(Path(doctor_module.__file__).parents[1]))
    result = terminal.sh(f"PYTHONPATH={src} {shlex.quote(sys.executable)} -m gateway_assistant "
                         f"doctor {' '.join(args)}", timeout=60)
    return result.stdout + result.stderr


@pytest.mark.parametrize("case", CREDENTIALS)
def test_both_token_kinds_are_both_sent(case, fake, terminal):
    shell, local, user = CREDENTIALS[case]
    terminal.env.update(ANTHROPIC_BASE_URL=f"{fake.url}/shell", **shell)
    for path, data in ((terminal.project / ".claude" / "settings.local.json", local),
                       (terminal.home / ".claude" / "settings.json", user)):
        if data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data))
    fake.reset()
    with front_door.record(fake.port) as door:
        result = terminal.sh("claude -p hi", timeout=60)
    assert "pong" in result.output, result.output
    # Every request Claude Code sent to the address, whatever its method or path: the one
    # Messages call carries the credentials; any other (HEAD /api/hello) carries none.
    sent = door.requests
    (call,) = [r for r in sent if r.method == "POST"]
    others = [r for r in sent if r is not call]
    assert all(r.header("authorization") is None and r.header("x-api-key") is None
               for r in others), [(str(r), r.headers) for r in others]
    bearer, x_api_key = call.header("authorization"), call.header("x-api-key")
    print(f"{case}: authorization={bearer!r} x-api-key={x_api_key!r}")
    assert (bearer, x_api_key) == SENT[case], (case, bearer, x_api_key)
    key_beside_token = x_api_key == KEY and bearer is not None
    found = [f for f in doctor(env=terminal.env, home=terminal.home, cwd=terminal.project,
                               managed=terminal.home / "none")[0] if f.code == "both-tokens"]
    assert bool(found) == key_beside_token, (case, bearer, x_api_key, found)
    if found:
        # doctor names what arrived: which value went as the Bearer, and the key as x-api-key
        assert f"{BEARER_NAMES[bearer]} as Authorization: Bearer and ANTHROPIC_API_KEY as " \
               "x-api-key" in found[0].message, found[0].message
    # The CLI's report and findings, as text and JSON: no secret shown beyond its last four.
    for out in (_run_doctor(terminal), _run_doctor(terminal, "--format", "json")):
        for secret in (TOKEN, KEY, HELPER_OUT):
            assert secret[:-4] not in out, (secret, out)
        assert ("ANTHROPIC_API_KEY as x-api-key" in out) == key_beside_token, out


# -- every other finding: a failing and a fixed environment -----------------------------------

GATEWAY = {"ANTHROPIC_BASE_URL": "http://localhost:4000", "ANTHROPIC_AUTH_TOKEN": "sk-litellm-x"}
CASES = {
    "base-url-without-token": ({"ANTHROPIC_BASE_URL": "http://localhost:4000"}, GATEWAY),
    "gateway-proxied": ({**GATEWAY, "HTTPS_PROXY": "http://proxy:3128"},
                        {**GATEWAY, "HTTPS_PROXY": "http://proxy:3128",
                         "NO_PROXY": "localhost"}),
    "gateway-not-proxied": (
        {**GATEWAY, "ANTHROPIC_BASE_URL": "https://llm.example.com",
         "HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": ".example.com"},
        {**GATEWAY, "ANTHROPIC_BASE_URL": "https://llm.example.com",
         "HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "localhost"}),
    "ca-file-missing": ({**GATEWAY, "NODE_EXTRA_CA_CERTS": "/nonexistent/ca.pem"},
                        {**GATEWAY, "NODE_EXTRA_CA_CERTS": "/etc/hostname"}),
}


@pytest.mark.parametrize("code", CASES)
def test_each_finding_fires_and_is_fixed(code, tmp_path):
    bad, good = CASES[code]

    def codes(env):
        return {f.code for f in doctor(env=env, home=tmp_path, cwd=tmp_path,
                                       managed=tmp_path / "none")[0]}
    assert code in codes(bad)
    assert code not in codes(good)


def test_secret_in_project_settings_and_invalid_json(tmp_path):
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"env": GATEWAY}))
    found = {f.code for f in doctor(env={}, home=tmp_path / "h", cwd=tmp_path,
                                    managed=tmp_path / "none")[0]}
    assert "secret-in-project-settings" in found
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": "http://localhost:4000"}}))
    (tmp_path / ".claude" / "settings.local.json").write_text(
        json.dumps({"env": {"ANTHROPIC_AUTH_TOKEN": "sk-litellm-x"}}))
    assert not doctor(env={}, home=tmp_path / "h", cwd=tmp_path, managed=tmp_path / "none")[0]
    settings.write_text('{"env": {"ANTHROPIC_BASE_URL": ')
    found = {f.code for f in doctor(env={}, home=tmp_path / "h", cwd=tmp_path,
                                    managed=tmp_path / "none")[0]}
    assert "settings-invalid" in found


# -- --check against a live answer -----------------------------------------------------------

@pytest.mark.parametrize("status,body,code", [
    (200, None, "check-ok"),
    (401, anthropic_wire.error_body(401, "invalid x-api-key"), "check-401"),
    (403, anthropic_wire.error_body(403, "not allowed"), "check-403"),
    (404, anthropic_wire.error_body(404, "model: claude-opus-5-5"), "check-unknown-model"),
    (400, {"error": {"message": "Invalid model name passed in model=claude-opus-5-5"}},
     "check-unknown-model"),
    (429, anthropic_wire.error_body(429, "slow down"), "check-429"),
    (529, anthropic_wire.error_body(529, "Overloaded"), "check-5xx"),
])
def test_check_classifies_the_answer(status, body, code, fake, tmp_path):
    fake.reset()
    if status != 200:
        fake.fail(status, body)
    env = {"ANTHROPIC_BASE_URL": f"{fake.url}/shell", "ANTHROPIC_AUTH_TOKEN": "t"}
    found = doctor(check=True, env=env, home=tmp_path, cwd=tmp_path, managed=tmp_path / "x")[0]
    assert [f.code for f in found] == [code], found


def test_check_unreachable_and_cli_exit_codes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["doctor"]) == 1
    assert "ANTHROPIC_BASE_URL is set but no key is" in capsys.readouterr().out
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-litellm-x")
    assert main(["doctor", "--check", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in report["findings"]] == ["check-unreachable"], report
