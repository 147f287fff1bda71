"""`gateway-assistant conformance`: its corpus is what the pinned Claude Code really sends
(recorded here from the real CLI pointed straight at the provider fake; `UPDATE_CAPTURES=1`
writes src/gateway_assistant/conformance_corpus.json again), the kit passes against the
quickstart's LiteLLM and the enterprise guide's nginx in front of it, fails on exactly the
defective criterion against a gateway that buffers streams or refuses betas, and holds the
tools' hardening against hostile gateways."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway_assistant import corpus
from gateway_assistant.cli import main
from gateway_assistant.conformance import CRITERIA
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied
from tests.harness.start import nginx, tool_install
from tests.harness.wire import anthropic_tools, anthropic_wire
from tests.harness.wire.hostile_gateway import HostileGateway
from tests.harness.wire.provider_fake import serving

KEY = "sk-corpus-0123456789-SECRETPART"  # Claude Code's key while the corpus is recorded
START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
MASTER_KEY = "sk-litellm-change-me"  # what 03-start-gateway.sh exports
NGINX_START = ("enterprise/12-start-gateway.sh",)
NGINX_FILES = {"gateway.conf.template": "enterprise/10-gateway.conf.template",
               "developers.map": "enterprise/11-developers.map"}
ALICE = "sk-gw-alice-change-me"  # a developer token in 11-developers.map
GAP_S = 0.1  # the provider fake spaces its events, so buffering becomes visible
RUN = "gateway-assistant/11-conformance.sh"
CI = "gateway-assistant/12-conformance-ci.sh"
# Measured per run (the capture shows milliseconds as …): which request was the slowest.
TIMES = r"\(\w+ /[^)]*\)$"


def settle(fake, seconds: float = 1.5) -> None:
    """Wait until no request has arrived for `seconds` (background calls finish late)."""
    count, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < seconds:
        if len(fake.requests) != count:
            count, quiet_since = len(fake.requests), time.monotonic()
        time.sleep(0.1)


SECRET_SHAPES = re.compile(  # what a key, token or password looks like, whoever it belongs to
    r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{8,}"  # Anthropic, OpenAI and LiteLLM keys
    r"|(?i:bearer|basic)\s+(?!\$\{CREDENTIAL\})\S+"  # a credential after its scheme
    r"|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+"  # AWS key id, a JWT
    r"|://[^/\s:@]+:[^/\s@]+@")  # a password in a URL
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "proxy-authorization", "cookie")


def secrets_in(corpus_text: str, known: tuple[str, ...]) -> list[str]:
    """Every string of the corpus (each header value, each body string at any depth, each
    key) that holds one of the `known` credentials or anything shaped like a secret; and
    every credential header whose value is not the placeholder."""
    found, data = [], json.loads(corpus_text)

    def walk(value, where):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(k, where + ["(key)"])
                walk(v, where + [k])
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, where + [str(i)])
        elif isinstance(value, str):
            hits = [k for k in known if k and k in value] + SECRET_SHAPES.findall(value)
            found.extend(f"{'.'.join(where)}: {hit}" for hit in hits)

    walk(data, [])
    for request in data["requests"]:
        for name, value in request["headers"].items():
            if name.lower() in CREDENTIAL_HEADERS and corpus.CREDENTIAL not in value:
                found.append(f"{request['name']}.headers.{name}: {value}")
    return found


def entry(name, request):
    path = request.path + "".join(f"?{k}={v[0]}" for k, v in sorted(request.query.items()))
    return corpus.record(name, request.method, path, request.headers, request.body)


def sent(requests) -> list[str]:
    """Every request of a run, in order: method, path, and whether a body streams."""
    return [f"{r.method} {r.path} stream={(r.json or {}).get('stream')}" for r in requests]


# -- The corpus ---------------------------------------------------------------------------------

def test_corpus_is_what_the_pinned_claude_code_sends(terminal):
    """Claude Code pointed straight at the provider fake: one prompt, then one prompt answered
    with a tool call (its second request carries the tool result). Every request of both runs
    is recorded and compared, unfiltered: a new pin that adds count_tokens, a non-streaming
    request, a header, a beta or a body field fails here until the corpus is written again."""
    with serving(anthropic_wire.install) as fake:
        terminal.env.update(ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_AUTH_TOKEN=KEY)
        claude_replied(terminal.sh('claude -p "Reply with the word pong"'), "pong")
        settle(fake)
        prompt = list(fake.requests)
        fake.reset()
        readme = terminal.project / "README.md"
        readme.write_text("hello\n")
        anthropic_tools.use_tools(fake, [lambda body: ("Read", {"file_path": str(readme)})])
        claude_replied(terminal.sh('claude -p "Read README.md"'), "pong")
        settle(fake)
        tools = list(fake.requests)
    runs = {"prompt": sent(prompt), "tool use": sent(tools)}
    recorded = {"claude_code": prompt[1].header("user-agent").split("/")[1].split(" ")[0],
                "runs": runs,
                "requests": [entry("preconnect", prompt[0]), entry("streaming", prompt[1]),
                             entry("tool result", tools[-1])]}
    assert [m["role"] for m in recorded["requests"][2]["body"]["messages"]][-2:] == \
        ["assistant", "user"], "the last request does not carry the tool result"
    text = json.dumps(recorded, indent=1, sort_keys=True) + "\n"
    # The run's own folders (the prompt names the working directory) as a reader's would read.
    text = text.replace(str(terminal.home.parent), "/home/developer")
    for piece in (KEY, KEY[3:-4], prompt[1].header("x-claude-code-session-id")):
        assert piece not in text, "the credential or the session id is in the corpus"
    # No key, token or password of any kind, in any header, body string or key.
    assert secrets_in(text, (KEY, KEY[3:-4], "SECRETPART")) == []
    for kept in recorded["requests"][1:]:
        assert kept["headers"]["authorization"] == f"Bearer {corpus.CREDENTIAL}"
        assert set(json.loads(kept["body"]["metadata"]["user_id"]).values()) == {"redacted"}
    if os.environ.get("UPDATE_CAPTURES") == "1":
        corpus.CORPUS.write_text(text)
    assert secrets_in(corpus.CORPUS.read_text(), (KEY, KEY[3:-4], "SECRETPART")) == []
    shipped = json.loads(corpus.CORPUS.read_text())
    now = [runs, *map(corpus.shape, recorded["requests"])]
    then = [shipped["runs"], *map(corpus.shape, shipped["requests"])]
    if now != then or shipped["claude_code"] != recorded["claude_code"]:
        diff = "\n".join(difflib.unified_diff(
            json.dumps(then, indent=1).splitlines(), json.dumps(now, indent=1).splitlines(),
            "conformance_corpus.json", "this run", lineterm=""))
        pytest.fail("the pinned Claude Code no longer sends the corpus's requests; write it "
                    "again: UPDATE_CAPTURES=1 python3 -m nox -s verify-docs -- "
                    f"tests/tools/test_conformance.py\n{diff}")


@pytest.mark.parametrize("version", list(tool_install.interpreters()))
def test_corpus_ships_in_the_package(version, tmp_path):
    """The package as `pip install .` installs it (on the oldest Python the package declares
    and the test one) carries the corpus: the installed command loads it, then says in one
    line that nothing answers."""
    python = tool_install.interpreters()[version]
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    work = tool_install.venv(version, python)
    assert (work / ".installed").exists(), "not installed: run `nox -s verify-docs`"
    shipped = subprocess.run([work / "bin" / "python", "-c", "from gateway_assistant import "
                              "corpus; print(corpus.CORPUS, len(corpus.load()['requests']))"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert shipped.returncode == 0 and str(work) in shipped.stdout, shipped.stderr
    assert shipped.stdout.split()[-1] == str(len(corpus.load()["requests"]))
    # The installed copy is the reviewed file, and holds no key, token or password.
    installed = Path(shipped.stdout.split()[0]).read_text()
    assert installed == corpus.CORPUS.read_text()
    assert secrets_in(installed, (KEY, KEY[3:-4], "SECRETPART", MASTER_KEY, ALICE)) == []
    run = subprocess.run([work / "bin" / "gateway-assistant", "conformance",
                          "http://127.0.0.1:9", "--token", KEY], capture_output=True,
                         text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 3 and run.stderr.count("\n") == 1, run.stderr
    assert "could not run: cannot reach http://127.0.0.1:9" in run.stderr, run.stderr


# -- Against real gateways ----------------------------------------------------------------------

@pytest.fixture
def litellm(gateways, upstream):
    upstream.sse_gap_s = GAP_S
    yield gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": upstream.url})
    upstream.sse_gap_s = 0.0


def run_kit(url: str, token: str, capsys, *args) -> tuple[int, dict]:
    os.environ["ANTHROPIC_AUTH_TOKEN"] = token
    try:
        code = main(["conformance", url, "--format", "json", *args])
    finally:
        del os.environ["ANTHROPIC_AUTH_TOKEN"]
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and token not in out + err, out + err
    return code, json.loads(out)


def verdicts(report: dict) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["criteria"]}


@contextlib.contextmanager
def listening_proxy():
    """A port that accepts connections and counts them, answering nothing: a proxy the kit
    would have to connect to if it read the proxy variables."""
    server, connected = socket.create_server(("127.0.0.1", 0)), []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            connected.append(conn.recv(4096))
            conn.close()

    import threading
    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", connected
    finally:
        server.close()


def every_proxy_variable(monkeypatch, proxy: str) -> None:
    """Every proxy variable urllib and curl read set to `proxy`, nothing exempted by NO_PROXY:
    only a tool that ignores them all goes direct."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_conformance_passes_against_litellm(litellm, upstream, capsys, monkeypatch):
    with listening_proxy() as (proxy, connected):
        every_proxy_variable(monkeypatch, proxy)
        code, report = run_kit(litellm.url, MASTER_KEY, capsys)
    assert connected == [], connected  # no connection at all reached the proxy
    assert code == 0 and set(verdicts(report).values()) == {"pass"}, report["criteria"]
    assert list(verdicts(report)) == list(CRITERIA)
    # What reached the provider: every beta of the recorded requests (LiteLLM sorts them).
    shipped = {e["name"]: e for e in corpus.load()["requests"]}
    betas = set(shipped["streaming"]["headers"]["anthropic-beta"].split(","))
    arrived = upstream.received("POST", r"^/v1/messages$")
    assert arrived and all(set(r.header("anthropic-beta").split(",")) == betas
                           for r in arrived), [r.header("anthropic-beta") for r in arrived]


def test_conformance_passes_against_nginx_in_front_of_litellm(litellm, capsys):
    gw = nginx.start(NGINX_START, NGINX_FILES)
    try:
        code, report = run_kit(gw.url, ALICE, capsys)
    finally:
        gw.stop()
    assert code == 0 and set(verdicts(report).values()) == {"pass"}, report["criteria"]


# -- Against broken gateways --------------------------------------------------------------------

@pytest.mark.parametrize("mode,criterion,detail", [
    ("buffered", "incremental delivery",
     "all events arrived together at the end — the stream is buffered"),
    ("refuse-betas", "betas and version",
     "gave 400 with Claude Code's anthropic-beta and 200 without it"),
])
def test_conformance_fails_on_exactly_the_broken_criterion(mode, criterion, detail, capsys):
    with HostileGateway(mode) as g:
        code, report = run_kit(g.url, KEY, capsys)
    failed = {c["name"]: c for c in report["criteria"] if c["status"] != "pass"}
    assert code == 1 and list(failed) == [criterion], report["criteria"]
    assert detail in failed[criterion]["detail"] and failed[criterion]["fix"] == CRITERIA[criterion]
    (finding,) = report["findings"]
    assert finding["code"] == "conformance-" + criterion.replace(" ", "-")


def test_junit_report_names_each_criterion(capsys, monkeypatch):
    import xml.etree.ElementTree as ET
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    with HostileGateway("buffered") as g:
        code = main(["conformance", g.url, "--format", "junit"])
    suite = ET.fromstring(capsys.readouterr().out)
    assert code == 1 and suite.get("tests") == str(len(CRITERIA)) and suite.get("failures") == "1"
    failing = [c.get("name") for c in suite if c.find("failure") is not None]
    assert failing == ["incremental delivery"]
    assert [c.get("name") for c in suite] == list(CRITERIA)  # every criterion, in order
    assert suite.get("skipped") == "0" and not [c for c in suite if len(c) and c.find("failure")
                                                is None]
    failure = next(c for c in suite if c.get("name") == "incremental delivery").find("failure")
    # The failure says what was seen and, as its text, the fix.
    assert "all events arrived together at the end" in failure.get("message")
    assert failure.text == CRITERIA["incremental delivery"]
    assert "proxy_buffering off" in failure.text


def test_junit_report_marks_what_could_not_be_checked(capsys, monkeypatch):
    """A criterion conformance could not check is a skipped case, never a passing one: here
    the deadline ends the run before the later criteria are reached. A gateway it cannot reach
    at all gives no XML, an error line and exit code 3."""
    import xml.etree.ElementTree as ET
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    with HostileGateway("buffered") as g:  # each stream starts after a 1 s pause
        code = main(["conformance", g.url, "--format", "junit", "--deadline", "1"])
    suite = ET.fromstring(capsys.readouterr().out)
    cases = {c.get("name"): c for c in suite}
    assert code == 1 and list(cases) == list(CRITERIA)
    skipped = [n for n, c in cases.items() if c.find("skipped") is not None]
    failed = [n for n, c in cases.items() if c.find("failure") is not None]
    passed = [n for n, c in cases.items() if not len(c)]
    assert skipped and all(cases[n].find("skipped").get("message") ==
                           "not reached before the deadline" for n in skipped)
    assert "time bounds" in failed and passed == ["preconnect", "messages"]
    # The deadline's own fix, not the criterion's general one.
    assert cases["time bounds"].find("failure").text.startswith("raise --deadline")
    assert suite.get("skipped") == str(len(skipped)) and suite.get("failures") == str(len(failed))
    with hostile("unreachable") as (url, _):
        code = main(["conformance", url, "--format", "junit"])
    out, err = capsys.readouterr()
    assert (code, out) == (3, "") and "could not run: cannot reach" in err


# -- Bad input, as for probe --------------------------------------------------------------------

HOSTILE = {
    "redirect": "(another host): not followed, the key was not sent there",
    "redirect-same": "(the same host): not followed, the key was not sent there",
    "trickle": "stopped after 3 s: the deadline for conformance (--deadline) was reached",
    "endless": "event 1 is not a Messages event: event 'content_block_delta', data {'n': 1}",
    "endless-messages": "streaming: stopped reading after 5000 events and",
    "huge": "(messages): more than 1000000 bytes (read no further): not a Messages answer",
    "broken-sse": r"event 1 is not a Messages event: event '\x1b[31mmessage_start', data None",
    "close-mid-stream": "event 1 is not a Messages event: event 'message_start', data {}",
    "http09": "could not run: cannot reach",
    "tls": "CERTIFICATE_VERIFY_FAILED",
    "handshake-trickle": "could not run: cannot reach https://127.0.0.1:",
    "unreachable": "could not run: cannot reach http://127.0.0.1:",
}


@contextlib.contextmanager
def hostile(mode: str):
    """A HostileGateway, or for "unreachable" a port nothing listens on (bound, then closed)."""
    if mode != "unreachable":
        with HostileGateway(mode) as g:
            yield g.url, g.other.got
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    yield f"http://127.0.0.1:{port}", []


@pytest.mark.parametrize("mode", list(HOSTILE))
def test_conformance_against_a_hostile_gateway(mode, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    with hostile(mode) as (url, elsewhere):
        started = time.monotonic()
        code = main(["conformance", url, "--deadline", "3", "--timeout", "2"])
        took = time.monotonic() - started
        out, err = capsys.readouterr()
        for request in elsewhere:
            assert "authorization" not in request and "x-api-key" not in request, request
    output = out + err
    assert code in (1, 3) and took < 6 and HOSTILE[mode] in output, (code, took, output)
    assert "Traceback" not in output and KEY not in output and KEY[3:-4] not in output
    assert "\x1b" not in output, output
    if code == 3:
        assert len(err.strip().splitlines()) == 1, err


# -- The reference page -------------------------------------------------------------------------

@pytest.fixture
def reader(terminal, tmp_path):
    """`gateway-assistant` as `pip install .` installs it, from this checkout's src/."""
    from gateway_assistant import cli
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "gateway-assistant"
    launcher.write_text(f'#!/bin/sh\nPYTHONPATH={cli.__file__.rsplit("/", 2)[0]} '
                        f'exec {sys.executable} -m gateway_assistant "$@"\n')
    launcher.chmod(0o755)
    terminal.env["PATH"] = f"{bin_dir}:{terminal.env['PATH']}"
    return terminal


def test_conformance_on_the_reference_page(litellm, reader):
    result = reader.run("quickstart/06-connect-shell.sh", RUN)
    assert result.code == 0 and "FAIL" not in result.stdout, result.output
    captures.check("gateway-assistant/conformance.console", captures.console(
        snippet(RUN).read_text(), result.stdout + result.stderr), figures=f"(?m){TIMES}")
    result = reader.run("quickstart/06-connect-shell.sh", CI)
    assert result.code == 0, result.output
    xml = (reader.project / "conformance.xml").read_text()
    assert f'tests="{len(CRITERIA)}" failures="0"' in xml, xml
