"""`gateway-assistant conformance` against every gateway the site runs, each started once in
this module as its guide starts it: the quickstart's LiteLLM, the enterprise guide's nginx in
front of it, the production guide's HAProxy balancer in front of it, the Claude apps gateway
of the tutorial with a signed-in developer's token, the quickstart's LiteLLM again in its
container image, and two gateways broken on purpose. Each
run's verdicts are kept, and the last test renders them into the gateway × criterion table of
docs/reference/gateway-compatibility.md (docs/_captured/gateway-assistant/conformance-
gateways.md: compared, written again with UPDATE_CAPTURES=1). A gateway that fails a
criterion is a finding and shows in the table as it happened.

HAProxy runs the published 03-haproxy.cfg byte for byte with Debian's haproxy 2.6.12 (the
version of the production guide's image), in a network namespace of its own: the file binds
port 4000, where LiteLLM already listens, and balances over 127.0.0.1:4001 and :4002; inside
the namespace both ports are relays to the one LiteLLM on the host's 4000, so the balancer's
two instances are the same LiteLLM. The kit connects from inside the namespace too."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from gateway_assistant.conformance import CRITERIA
from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet
from tests.harness.start import apps_gateway, gateway, nginx
from tests.harness.wire.hostile_gateway import HostileGateway
from tests.tools.test_conformance import (
    ALICE,
    CONFIG,
    GAP_S,
    KEY,
    MASTER_KEY,
    NGINX_FILES,
    NGINX_START,
    START,
    reader,  # noqa: F401 (a fixture, shared)
    run_kit,
)

CAPTURE = "gateway-assistant/conformance-gateways.md"
CI_STEP = "gateway-assistant/13-conformance-ci-step.sh"
HAPROXY_CFG = "production/03-haproxy.cfg"
# Rows of the table, in order: the gateway, and the test whose run fills its row.
ROWS = {
    "litellm": ("LiteLLM, the quickstart's configuration",
                "test_conformance_against_litellm"),
    "litellm container": ("LiteLLM in a container, the quickstart's configuration",
                          "test_conformance_against_litellm_in_a_container"),
    "nginx": ("nginx in front of LiteLLM, the enterprise guide's configuration",
              "test_conformance_against_nginx"),
    "haproxy": ("HAProxy in front of LiteLLM, the production guide's balancer",
                "test_conformance_against_haproxy"),
    "apps gateway": ("Claude apps gateway, the tutorial's gateway.yaml",
                     "test_conformance_against_claude_apps_gateway"),
    "buffered": ("A gateway that buffers streams (broken on purpose)",
                 "test_conformance_against_broken_gateways"),
    "refuse-betas": ("A gateway that refuses Claude Code's betas (broken on purpose)",
                     "test_conformance_against_broken_gateways"),
}
REPORTS: dict[str, dict] = {}  # row -> the kit's JSON report, filled as the tests run


@pytest.fixture
def paced(upstream):
    """The provider spaces its events, so a buffered stream is visible as one."""
    upstream.sse_gap_s = GAP_S
    yield upstream
    upstream.sse_gap_s = 0.0


@pytest.fixture
def litellm(gateways, paced):
    return gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": paced.url})


def record(row: str, report: dict) -> None:
    assert [c["name"] for c in report.get("criteria", [])] == list(CRITERIA), report
    REPORTS[row] = report


def failed(report: dict) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in report["criteria"] if c["status"] != "pass"}


# -- Real gateways ------------------------------------------------------------------------------

def test_conformance_against_litellm(litellm, capsys):
    code, report = run_kit(litellm.url, MASTER_KEY, capsys)
    record("litellm", report)
    assert code == 0 and not failed(report), report["criteria"]


def test_conformance_against_nginx(litellm, capsys):
    gw = nginx.start(NGINX_START, NGINX_FILES)
    try:
        code, report = run_kit(gw.url, ALICE, capsys)
    finally:
        gw.stop()
    record("nginx", report)
    assert code == 0 and not failed(report), report["criteria"]


# HAProxy in a network namespace of its own (see the module's docstring).

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def inside(pid: int):
    """This thread in the network namespace of process `pid` (sockets it opens stay there)."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        if _libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns into the balancer's namespace")
        try:
            yield
        finally:
            if _libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(home)
        os.close(there)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


def relay(listener: socket.socket, port: int, stop: threading.Event, seen: list) -> None:
    """Every connection accepted on `listener` is carried, byte for byte, to 127.0.0.1:port
    in this thread's namespace (the host's); `seen` gets the listener's port for each."""
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            inbound, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        seen.append(listener.getsockname()[1])
        outbound = socket.create_connection(("127.0.0.1", port))
        for a, b in ((inbound, outbound), (outbound, inbound)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


@pytest.fixture
def haproxy(litellm, tmp_path):
    if shutil.which("haproxy", path="/usr/sbin:/usr/bin") is None:
        pytest.skip("no haproxy on this machine")
    version = subprocess.run(["haproxy", "-v"], capture_output=True, text=True,
                             env={"PATH": "/usr/sbin:/usr/bin"}).stdout
    assert version.startswith("HAProxy version 2.6."), version  # what the page names
    shutil.copyfile(snippet(HAPROXY_CFG), tmp_path / "haproxy.cfg")
    with (tmp_path / "haproxy.log").open("wb") as log:
        proc = subprocess.Popen(
            ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$0" -f haproxy.cfg',
             "/usr/sbin/haproxy"], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    stop, listeners, proc.relayed = threading.Event(), [], []
    try:
        deadline = time.monotonic() + 10
        while True:  # haproxy listens on the namespace's 4000 once it has read the file
            assert proc.poll() is None, (tmp_path / "haproxy.log").read_text()
            assert time.monotonic() < deadline, "haproxy did not listen on :4000"
            if os.readlink(f"/proc/{proc.pid}/ns/net") == os.readlink("/proc/self/ns/net"):
                time.sleep(0.05)  # not yet unshared: that is still the host's 4000
                continue
            with inside(proc.pid), socket.socket() as s:
                if s.connect_ex(("127.0.0.1", 4000)) == 0:
                    break
            time.sleep(0.1)
        ran(HAPROXY_CFG)
        for port in (4001, 4002):  # the two instances the file balances over
            with inside(proc.pid):
                listeners.append(socket.create_server(("127.0.0.1", port)))
            threading.Thread(target=relay, daemon=True,
                             args=(listeners[-1], litellm.port, stop, proc.relayed)).start()
        yield proc
    finally:
        stop.set()
        for s in listeners:
            s.close()
        os.killpg(proc.pid, 15)
        proc.wait(10)


def test_conformance_against_haproxy(haproxy, capsys):
    with inside(haproxy.pid):
        code, report = run_kit("http://localhost:4000", MASTER_KEY, capsys)
    record("haproxy", report)
    assert code == 0 and not failed(report), report["criteria"]
    # The balancer carried the requests, round robin over both of the file's instances.
    assert {4001, 4002} <= set(haproxy.relayed), haproxy.relayed


def test_conformance_against_claude_apps_gateway(apps_gw, developers, paced, capsys):
    """With the token a developer holds after signing in through the company IdP."""
    alice = developers.get("alice")
    token = json.loads(apps_gateway.credentials(alice).read_text())["enterpriseGateway"]["jwt"]
    code, report = run_kit(apps_gw.url, token, capsys)
    record("apps gateway", report)
    assert code == 0 and not failed(report), report["criteria"]


# -- Broken on purpose: each fails on its own criterion, and only there ---------------------

BROKEN = {"buffered": "incremental delivery", "refuse-betas": "betas and version"}


def test_conformance_against_broken_gateways(capsys):
    for mode, criterion in BROKEN.items():
        with HostileGateway(mode) as g:
            code, report = run_kit(g.url, KEY, capsys)
        record(mode, report)
        assert code == 1 and list(failed(report)) == [criterion], (mode, report["criteria"])
        (verdict,) = [c for c in report["criteria"] if c["name"] == criterion]
        assert verdict["fix"] == CRITERIA[criterion], verdict  # the fix is in its report


# -- The CI step a gateway's team copies --------------------------------------------------------

def test_ci_step_passes_and_fails_the_build(litellm, reader):  # noqa: F811
    """The step, run as a CI runner's shell runs it (`bash -e`), against a gateway that
    passes and one that buffers: the step's exit status is the verdict, and the JUnit file
    names the failing criterion either way."""
    reader.env.update(GATEWAY_URL=litellm.url, ANTHROPIC_AUTH_TOKEN=MASTER_KEY)
    step = f"set -e\nsource {snippet(CI_STEP)}\necho step-succeeded"
    result = reader.sh(step)
    suite = ET.parse(reader.project / "conformance.xml").getroot()
    assert result.code == 0 and "step-succeeded" in result.stdout, result.output
    assert suite.get("tests") == str(len(CRITERIA)) and suite.get("failures") == "0"
    with HostileGateway("buffered") as g:
        reader.env.update(GATEWAY_URL=g.url, ANTHROPIC_AUTH_TOKEN=KEY)
        result = reader.sh(step)
    suite = ET.parse(reader.project / "conformance.xml").getroot()
    assert result.code == 1 and "step-succeeded" not in result.stdout, result.output
    assert [c.get("name") for c in suite if c.find("failure") is not None] == \
        ["incremental delivery"]


def test_conformance_against_litellm_in_a_container(request, gateways, paced, capsys):
    """The same start snippet and config in the LiteLLM image, on the session's Docker
    engine (host networking: localhost:4000, as the process). Last of the tests that use
    LiteLLM: it takes port 4000 from the process."""
    engine = request.getfixturevalue("docker_engine")  # skips where no engine can run
    gateways.free_port(4000)
    pool = gateway.GatewayPool(engine)
    try:
        gw = pool.get(START, CONFIG, env={"ANTHROPIC_API_BASE": paced.url})
        assert isinstance(gw, gateway.ContainerGateway)
        code, report = run_kit(gw.url, MASTER_KEY, capsys)
    finally:
        pool.stop_all()
    record("litellm container", report)
    assert code == 0 and not failed(report), report["criteria"]


# -- The table ----------------------------------------------------------------------------------

def cell(criterion: dict) -> str:
    text = criterion["detail"].replace("\n", " ")
    # A body the gateway answered is shown as the code it is (its quotes kept straight).
    text = re.sub(r"(\{.*\})", r"`\1`", text).replace("|", "\\|")
    if criterion["status"] == "pass":
        return "pass"
    return ("**fail**: " if criterion["status"] == "fail" else "not proven: ") + text


def table(reports: dict[str, dict]) -> str:
    lines = ["| Gateway | " + " | ".join(CRITERIA) + " |",
             "|---" * (len(CRITERIA) + 1) + "|"]
    for row, (label, test) in ROWS.items():
        cells = [cell(c) for c in reports[row]["criteria"]]
        lines.append(f"| {label} {{proof}}`{test}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_table_on_the_compatibility_page_is_this_run():
    """Last in the module: every row from this run's reports, unfiltered."""
    missing = [row for row in ROWS if row not in REPORTS]
    assert not missing, f"no run for {missing}: run the whole module"
    for row in ROWS:  # each criterion's detail, passes included, in the run's output
        print(REPORTS[row]["report"])
    captures.check(CAPTURE, table(REPORTS))
