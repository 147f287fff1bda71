"""Field failures: what sits between Claude Code and the gateway — a TLS front that wants client
certificates, a WAF that reads bodies, a proxy whose read timeout is shorter than a quiet
stream (docs/how-to/field-failures-network.md). Real Claude Code, real LiteLLM, real nginx and
HAProxy; the provider stand-in pauses and pings the way a thinking model's stream does."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.start import nginx, tls
from tests.harness.start.forward_proxy import ForwardProxy
from tests.harness.start.gateway import Gateway
from tests.harness.wire import front_door

LITELLM_START = ("quickstart/03-start-gateway.sh",)
LITELLM_CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
ASK = "field-address/04-ask.sh"
MTLS_START = ("field-mtls/02-start-gateway.sh",)
CONNECT_MTLS = "field-mtls/03-connect.sh"
CLIENT_CERT = "field-mtls/04-client-certificate.sh"
ENCRYPTED_KEY = "field-mtls/05-encrypted-key.sh"
PASSPHRASE = b"example-passphrase-change-me"  # the one 05-encrypted-key.sh exports
WAF_START = ("field-waf/03-start-waf.sh",)
ASK_ABOUT_CODE = "field-waf/05-ask-about-code.sh"
ENTERPRISE_FILES = {"gateway.conf.template": "enterprise/10-gateway.conf.template",
                    "developers.map": "enterprise/11-developers.map"}
ENTERPRISE_START = ("enterprise/12-start-gateway.sh",)


@pytest.fixture
def litellm(gateways, provider):
    return gateways.get(LITELLM_START, LITELLM_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


def console(result, *commands: str) -> str:
    return captures.console("\n".join(snippet(c).read_text().strip("\n") for c in commands),
                            result.output)


# -- Client certificates (mutual TLS) ------------------------------------------------------

@pytest.fixture(scope="module")
def company_pki(tmp_path_factory):
    """What the company hands out: its CA, the gateway's certificate, and one developer's
    client certificate with its key (plain, and encrypted with a passphrase)."""
    d = tmp_path_factory.mktemp("pki")
    corp = tls.corp()
    gateway_cert, gateway_key = corp.issue(d / "gateway", "localhost")
    client = corp.ca.issue_cert("alice@example.com")
    client_pem, client_key = d / "client.pem", d / "client.key"
    client_pem.write_bytes(b"".join(blob.bytes() for blob in client.cert_chain_pems))
    client.private_key_pem.write_to_path(str(client_key))
    key = serialization.load_pem_private_key(client.private_key_pem.bytes(), None)
    encrypted = d / "client-encrypted.key"
    encrypted.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE)))
    return {"ca": corp.write_ca(d / "corp-ca.pem"), "gateway": (gateway_cert, gateway_key),
            "client": (client_pem, client_key), "encrypted": encrypted}


@pytest.fixture(scope="module")
def mtls_gateway(company_pki, gateways, provider):
    gateways.get(LITELLM_START, LITELLM_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})
    gateway_cert, gateway_key = company_pki["gateway"]
    gw = nginx.NginxGateway(
        MTLS_START, {"gateway-mtls.conf": "field-mtls/01-gateway-mtls.conf",
                     "gateway.pem": gateway_cert, "gateway.key": gateway_key,
                     "corp-ca.pem": company_pki["ca"]},
        8443, {"PATH": nginx.NGINX_PATH}, tls_ca=company_pki["ca"],
        tls_client=company_pki["client"])
    gw.health_path = "/health/liveliness"  # LiteLLM's, through the TLS front
    yield gw.launch()
    gw.stop()


@pytest.fixture
def developer(terminal, company_pki):
    """The developer's machine: the company CA and their certificate where the page says."""
    tls.corp().write_ca(terminal.home / "corp-ca.pem")
    certs = terminal.home / ".claude-certs"
    certs.mkdir()
    for name, src in (("client.pem", company_pki["client"][0]),
                      ("client.key", company_pki["client"][1]),
                      ("client-encrypted.key", company_pki["encrypted"])):
        (certs / name).write_bytes(Path(src).read_bytes())
    return terminal


def test_gateway_refuses_a_client_without_certificate(litellm, mtls_gateway, upstream, developer):
    with front_door.record(4000) as door:  # LiteLLM's port, behind the TLS front
        result = developer.run(CONNECT_MTLS, ASK)
    claude_failed_with(result, "No required SSL certificate was sent")
    captures.check("field-network/mtls-without-certificate.console", console(result, ASK))
    assert door.requests == [], door.lines()  # nothing reached LiteLLM, not even HEAD /api/hello
    assert not upstream.received(), "the request went past the TLS front"


def test_client_certificate_variables_are_presented(litellm, mtls_gateway, upstream, developer):
    claude_replied(developer.run(CONNECT_MTLS, CLIENT_CERT, ASK), "pong")
    assert upstream_messages(upstream)


def test_encrypted_key_with_passphrase(litellm, mtls_gateway, upstream, developer):
    claude_replied(developer.run(CONNECT_MTLS, ENCRYPTED_KEY, ASK), "pong")


def test_encrypted_key_without_passphrase_fails(litellm, mtls_gateway, upstream, developer):
    """The encrypted key alone (no passphrase exported) does not get the developer in."""
    script = (f"source {snippet(CONNECT_MTLS)}\nsource {snippet(ENCRYPTED_KEY)}\n"
              "unset CLAUDE_CODE_CLIENT_KEY_PASSPHRASE\n"
              f"source {snippet(ASK)}")
    failed = developer.sh(script)
    assert failed.code != 0, failed.output
    captures.check("field-network/mtls-key-without-passphrase.txt",
                   failed.output.strip().splitlines()[0] + "\n")



def test_client_certificate_through_a_corporate_proxy(litellm, mtls_gateway, upstream, developer):
    """Through Squid (HTTPS_PROXY, a CONNECT tunnel) the certificate still reaches the gateway:
    the proxy tunnels TLS, it does not terminate it."""
    px = ForwardProxy(hosts={"localhost": "127.0.0.1"}, connect_ports=(443, 8443)).start()
    try:
        result = developer.run(CONNECT_MTLS, CLIENT_CERT, "corporate-proxy/01-proxy.sh", ASK)
        time.sleep(0.3)  # Squid logs a tunnel when it closes
        tunnels = [str(e) for e in px.log() if e.method == "CONNECT"]
    finally:
        px.stop()
    claude_replied(result, "pong")
    assert any("localhost:8443" in t for t in tunnels), tunnels
    assert upstream_messages(upstream)

# -- A WAF that reads request bodies -------------------------------------------------------

class WafGateway(Gateway):
    health_path = "/health/liveliness"  # LiteLLM's, through the WAF
    component = "HAProxy"


def test_haproxy_is_the_version_the_page_names():
    """The prerequisites name HAProxy 2.6 for the WAF case: the one that ran it."""
    import subprocess
    version = subprocess.run(["/usr/sbin/haproxy", "-v"], capture_output=True, text=True).stdout
    assert version.startswith("HAProxy version 2.6."), version


def start_waf(config: str) -> Gateway:
    return WafGateway(WAF_START, {"waf.cfg": config}, 8081, {"PATH": nginx.NGINX_PATH}).launch()


def test_waf_refuses_a_prompt_with_code(litellm, upstream, terminal):
    waf = start_waf("field-waf/01-waf.cfg")
    try:
        plain = terminal.run("field-waf/04-connect.sh", ASK)
        with front_door.record(4000) as door:  # LiteLLM's port, behind the WAF
            result = terminal.run("field-waf/04-connect.sh", ASK_ABOUT_CODE)
    finally:
        waf.stop()
    claude_replied(plain, "pong")  # Claude Code's own request body passes the rule
    claude_failed_with(result, "403")
    captures.check("field-network/waf-403.console", console(result, ASK_ABOUT_CODE))
    assert len(upstream_messages(upstream)) == 1, "only the plain prompt reached the provider"
    # The refused request never reached the gateway (so its log cannot show it); whatever
    # else Claude Code sent on that run did, unchanged:
    assert not [r for r in door.requests if b"/etc/passwd" in r.body], door.lines()
    assert not [r for r in door.requests if r.method == "POST"], door.lines()


def test_waf_with_the_messages_route_exempt(litellm, upstream, terminal):
    waf = start_waf("field-waf/02-waf-exempt-messages.cfg")
    try:
        result = terminal.run("field-waf/04-connect.sh", ASK_ABOUT_CODE)
        other = urllib.request.Request(
            "http://localhost:8081/v1/chat/completions",
            json.dumps({"model": "claude-opus-5-5", "messages": [
                {"role": "user", "content": "cat /etc/passwd"}]}).encode(),
            {"content-type": "application/json",
             "authorization": "Bearer sk-litellm-change-me"})
        try:
            urllib.request.urlopen(other, timeout=30)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
    finally:
        waf.stop()
    claude_replied(result, "pong")
    assert "/etc/passwd" in upstream_messages(upstream)[0].body.decode()
    assert status == 403, "other routes are still inspected"


# -- Quiet streams and read timeouts -------------------------------------------------------

PAUSE_S = 2.5  # the model "thinks" this long after message_start
SHORT_READ_TIMEOUT = "proxy_read_timeout 1s;"


def short_timeout_gateway(tmp_path) -> Gateway:
    """The enterprise page's nginx with its read timeout cut to 1 s: nginx's documented
    default is 60 s; 1 s makes the failure take seconds instead of minutes."""
    text = snippet("enterprise/10-gateway.conf.template").read_text()
    assert "proxy_read_timeout 600s;" in text
    path = tmp_path / "gateway.conf.template"
    path.write_text(text.replace("proxy_read_timeout 600s;", SHORT_READ_TIMEOUT))
    return nginx.start(ENTERPRISE_START, {**ENTERPRISE_FILES, "gateway.conf.template": path})


def test_read_timeout_shorter_than_a_quiet_stream(litellm, upstream, terminal, tmp_path):
    upstream.sse_pause_s = PAUSE_S
    gw = short_timeout_gateway(tmp_path)
    try:
        result = terminal.run("enterprise/13-connect.sh", ASK)
    finally:
        gw.stop()
    claude_failed_with(result, "504 Gateway Time-out")
    captures.check("field-network/read-timeout-504.console", console(result, ASK))
    assert "upstream timed out" in gw.log()
    assert "while reading response header from upstream" in gw.log()
    assert len(upstream_messages(upstream)) == 2, "one retry (the harness's bound), then the 504"


def test_pings_keep_a_quiet_stream_alive(litellm, upstream, terminal, tmp_path):
    """The same short timeout passes the answer when the provider pings during the pause:
    LiteLLM passes the pings on, so the proxy in front sees data."""
    upstream.sse_pause_s, upstream.sse_ping_s = PAUSE_S, 0.5
    gw = short_timeout_gateway(tmp_path)
    try:
        result = terminal.run("enterprise/13-connect.sh", ASK)
    finally:
        gw.stop()
    claude_replied(result, "pong")


def test_litellm_passes_pings_on(litellm, upstream):
    upstream.sse_pause_s, upstream.sse_ping_s = 3.2, 0.5  # six pings in the pause
    body = json.dumps({"model": "claude-opus-5-5", "max_tokens": 50, "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(litellm.url + "/v1/messages", body, {
        "content-type": "application/json", "anthropic-version": "2023-06-01",
        "authorization": "Bearer sk-litellm-change-me"})
    started, arrived = time.monotonic(), []  # (seconds since the request, event name)
    with urllib.request.urlopen(request, timeout=30) as answer:
        for line in answer:  # each line as the reader receives it
            if line.startswith(b"event:"):
                arrived.append((time.monotonic() - started, line.decode().split(":", 1)[1].strip()))
    print(arrived)
    events = [f"event: {name}" for _, name in arrived]
    assert events.count("event: ping") >= 3, events  # the fake's own ping + two in the pause
    # The pings of the pause reach the reader while the provider is silent, spread over the
    # pause as the provider sends them (one every 0.5 s; a loaded machine shifts each a
    # little), not together with the rest at the end. LiteLLM holds back the message_start
    # the provider sent before the pause: it comes with the rest, after them.
    started_at = next(t for t, name in arrived if name == "message_start")
    early = [t for t, name in arrived if t < started_at]
    assert [name for t, name in arrived if t < started_at] == ["ping"] * len(early), arrived
    assert len(early) >= 4 and early[-1] - early[0] >= 1.5, arrived
    assert started_at - early[0] >= 1.5, arrived


def test_published_read_timeout_outlasts_the_pause(litellm, upstream, terminal):
    """The fix: the enterprise page's config as published (proxy_read_timeout 600s)."""
    upstream.sse_pause_s = PAUSE_S
    gw = nginx.start(ENTERPRISE_START, ENTERPRISE_FILES)
    try:
        result = terminal.run("enterprise/13-connect.sh", ASK)
    finally:
        gw.stop()
    claude_replied(result, "pong")



# -- LiteLLM's own timeouts ------------------------------------------------------------------

# LiteLLM takes a per-request stream timeout from this header, ahead of the config
# (proxy/litellm_pre_call_utils.py): a timeout shorter than the pause without another start.
SHORT_STREAM_TIMEOUT = 'export ANTHROPIC_CUSTOM_HEADERS="x-litellm-stream-timeout: 1"\n'


def ask_with_short_stream_timeout(terminal):
    return terminal.sh(f"source {snippet('quickstart/06-connect-shell.sh')}\n"
                       f"{SHORT_STREAM_TIMEOUT}source {snippet(ASK)}")



def test_litellm_stream_timeout_shorter_than_a_pause(litellm, upstream, terminal):
    """LiteLLM cuts each streamed attempt at its stream timeout, tries the provider again, then
    ends the stream with an error; Claude Code asks again without streaming, which the stream
    timeout does not bound. Without the short timeout, one streamed request answers."""
    upstream.sse_pause_s = PAUSE_S
    before = len(litellm.log().splitlines())
    with front_door.record(4000) as door:
        cut = ask_with_short_stream_timeout(terminal)
    claude_replied(cut, "pong")
    # Who asks again: Claude Code (the gateway's front door) or LiteLLM (only the provider's
    # record). Every request Claude Code sent to the gateway, unfiltered:
    print("front door:", door.lines())
    sent = [json.loads(r.body).get("stream") for r in door.requests
            if r.method == "POST" and r.path.startswith("/v1/messages")]
    assert sent == [True, False], door.lines()
    streamed = [json.loads(r.body).get("stream") for r in upstream_messages(upstream)]
    # LiteLLM's three streamed attempts, then Claude Code's one request without streaming.
    assert streamed == [True, True, True, False], streamed
    cuts = [line for line in litellm.log().splitlines()[before:]
            if "Error in chunk_processor" in line and "Timeout" in line]
    assert len(cuts) == streamed.count(True), (cuts, streamed)  # each cut leaves the line
    line = cuts[0]
    captures.check("field-network/litellm-stream-timeout.txt",
                   line.split(" - ", 1)[1] + "\n")  # without the time of day
    upstream.reset()
    upstream.sse_pause_s = PAUSE_S
    whole = terminal.run("quickstart/06-connect-shell.sh", ASK)
    claude_replied(whole, "pong")
    assert [json.loads(r.body).get("stream") for r in upstream_messages(upstream)] == [True]
    print(f"short stream timeout: {cut.seconds:.1f} s, {len(streamed)} provider requests; "
          f"default: {whole.seconds:.1f} s, 1 request")


def test_api_timeout_shorter_than_a_pause(litellm, upstream, terminal):
    """Claude Code's own timeout: LiteLLM holds the response during the pause, so a shorter
    API_TIMEOUT_MS gives up before the first byte."""
    upstream.sse_pause_s = PAUSE_S
    result = terminal.sh(f"source {snippet('quickstart/06-connect-shell.sh')}\n"
                         f"export API_TIMEOUT_MS=1000\nsource {snippet(ASK)}")
    claude_failed_with(result, "Request timed out.")
    captures.check("field-network/api-timeout-short.txt", result.output.strip() + "\n")


# -- LiteLLM 1.106.x holds message_start back while it may still retry ----------------------

NO_GATEWAY_RETRIES = {"config.yaml": "field-network/01-config-no-gateway-retries.yaml"}
THINKING_S = 4.0  # the provider's pause after message_start; "at once" is under half of it


def first_event_times(url: str, upstream) -> dict[str, float]:
    """Seconds from the provider's receiving a streamed /v1/messages request (a gateway's
    first request after its start takes seconds longer to get there) to the client's reading
    its response headers, its first event, message_start and the first text."""
    import http.client
    from urllib.parse import urlsplit
    body = json.dumps({"model": "claude-opus-5-5", "max_tokens": 50, "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]})
    conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=60)
    started = time.monotonic()
    conn.request("POST", "/v1/messages", body, {
        "content-type": "application/json", "anthropic-version": "2023-06-01",
        "authorization": "Bearer sk-litellm-change-me"})
    answer = conn.getresponse()
    seen = {"headers": time.monotonic() - started}
    for line in answer:  # every line as it arrives
        text = line.decode().strip()
        if text.startswith("event:"):
            seen.setdefault("first event", time.monotonic() - started)
            seen.setdefault(text.removeprefix("event:").strip(), time.monotonic() - started)
        if "text_delta" in text:
            seen.setdefault("first text", time.monotonic() - started)
    conn.close()
    arrived = upstream.received("POST", r"^/v1/messages$")[-1].at - started
    return {name: seconds - arrived for name, seconds in seen.items()}


def test_litellm_holds_message_start_while_it_may_retry(gateways, provider, upstream):
    """The provider sends message_start at once and its text after a pause. With the
    quickstart's config (LiteLLM's default retries) nothing reaches the client, not even the
    response headers, until the text: message_start comes with it. With `num_retries: 0`
    message_start passes at once; the text is as late either way."""
    upstream.sse_pause_s = THINKING_S
    env = {"ANTHROPIC_API_BASE": provider.url}
    held = first_event_times(gateways.get(LITELLM_START, LITELLM_CONFIG, env=env).url, upstream)
    passed = first_event_times(gateways.get(LITELLM_START, NO_GATEWAY_RETRIES, env=env).url,
                               upstream)
    print("default retries:", held, "\nnum_retries: 0:", passed)
    for name in ("headers", "message_start"):
        assert held[name] >= THINKING_S, held
        assert passed[name] < THINKING_S / 2, passed
    assert held["message_start"] >= held["first text"] - 0.2, held  # they come together
    assert held["first text"] >= THINKING_S and passed["first text"] >= THINKING_S

    def when(seconds: float) -> str:  # stable words for the page, from the measured times
        return "at once" if seconds < THINKING_S / 2 else f"after the {THINKING_S:.0f} s pause"

    captures.check("field-network/message-start-held.md", "\n".join([
        "| Config | Response headers | `message_start` | First text |", "|---|---|---|---|",
        *(f"| {label} | {when(t['headers'])} | {when(t['message_start'])} | "
          f"{when(t['first text'])} |" for label, t in (
              ("the quickstart's (LiteLLM's default retries)", held),
              ("with `num_retries: 0`", passed)))]) + "\n")
