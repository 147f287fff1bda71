"""The nginx parts of the security practices (docs/how-to/security.md): a TLS front that
refuses TLS 1.0 and 1.1 (`ssl_protocols TLSv1.2 TLSv1.3;`), and an access log that names
the developer of each request (a `log_format` with the enterprise gateway's `$developer`).
Real nginx (Debian's), real LiteLLM behind it, real Claude Code in front.

What would make the TLS sentence false: nginx negotiating TLS 1.1 with a client that offers
it. A client built on OpenSSL 3 offers TLS 1.1 only at security level 0, and nginx's own
OpenSSL refuses it at its default level whatever `ssl_protocols` says; so the test also
serves the same config with `ssl_ciphers DEFAULT:@SECLEVEL=0`, with and without the line: the
line alone refuses TLS 1.1 where OpenSSL would allow it, and a control without the line
negotiates it (the client really offers TLS 1.1, and nginx 1.22's default would accept it)."""

from __future__ import annotations

import re
import socket
import ssl
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet
from tests.harness.reader.expect import claude_replied
from tests.harness.start import nginx, tls

LITELLM_START = ("quickstart/03-start-gateway.sh",)
LITELLM_CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
ASK = "quickstart/07-first-request.sh"
TLS_CONF = "security/05-gateway-tls.conf"
TLS_START = ("security/06-start-gateway-tls.sh",)
CHECK_TLS = "security/07-check-tls-versions.sh"
PROTOCOLS = "ssl_protocols TLSv1.2 TLSv1.3;"
OPENSSL_ALLOWS_TLS_1_1 = 'ssl_ciphers "DEFAULT:@SECLEVEL=0";'
AUDIT = "security/08-audit-log.fragment.conf"
ENTERPRISE_FILES = {"gateway.conf.template": "enterprise/10-gateway.conf.template",
                    "developers.map": "enterprise/11-developers.map"}
ENTERPRISE_START = ("enterprise/12-start-gateway.sh",)
CONNECT_ALICE = "enterprise/13-connect.sh"


@pytest.fixture
def litellm(gateways, provider):
    return gateways.get(LITELLM_START, LITELLM_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


@pytest.fixture(scope="module")
def gateway_cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls-front")
    cert, key = tls.corp().issue(d / "gateway", "localhost")
    return {"gateway.pem": cert, "gateway.key": key, "ca": tls.corp().write_ca(d / "corp-ca.pem")}


def tls_front(gateway_cert, config) -> nginx.NginxGateway:
    gw = nginx.NginxGateway(
        TLS_START, {"gateway-tls.conf": config, "gateway.pem": gateway_cert["gateway.pem"],
                    "gateway.key": gateway_cert["gateway.key"]},
        8443, {"PATH": nginx.NGINX_PATH}, tls_ca=gateway_cert["ca"])
    gw.health_path = "/health/liveliness"  # LiteLLM's, through the TLS front
    return gw.launch()


def handshake(version: ssl.TLSVersion, ca) -> str:
    """Connect to the TLS front offering only `version`; the negotiated version, or why not."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer old versions at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is, hence this test
        ctx.minimum_version = ctx.maximum_version = version
    try:
        with socket.create_connection(("127.0.0.1", 8443), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.version()
    except ssl.SSLError as e:
        return f"refused: {e.reason}"


def variant(tmp_path: Path, name: str, protocols: str) -> Path:
    """The published TLS front with OpenSSL's level lowered to allow TLS 1.1, and the
    ssl_protocols line as given ("" removes it)."""
    text = snippet(TLS_CONF).read_text()
    line = next(ln for ln in text.splitlines() if PROTOCOLS in ln)
    path = tmp_path / name
    path.write_text(text.replace(line, f"        {OPENSSL_ALLOWS_TLS_1_1}\n"
                                       + (line.replace(PROTOCOLS, protocols) if protocols
                                          else "")))
    return path


def test_nginx_tls_front_refuses_tls_1_1(litellm, gateway_cert, terminal, tmp_path):
    gw = tls_front(gateway_cert, TLS_CONF)
    try:
        ca = gateway_cert["ca"]
        assert handshake(ssl.TLSVersion.TLSv1_2, ca) == "TLSv1.2"
        assert handshake(ssl.TLSVersion.TLSv1_3, ca) == "TLSv1.3"
        refused = handshake(ssl.TLSVersion.TLSv1_1, ca)
        assert refused.startswith("refused"), refused
        # The reader's check, with curl: TLS 1.2 served, TLS 1.1 refused (exit code 35).
        terminal.project.joinpath("corp-ca.pem").write_bytes(ca.read_bytes())
        result = terminal.run(CHECK_TLS)
        assert result.code == 35 and result.stdout.startswith('"I\'m alive!"'), result.output
        assert "alert protocol version" in result.stderr, result.output
        captures.check("security/nginx-tls-versions.console", captures.console(
            snippet(CHECK_TLS).read_text(), result.output))
    finally:
        gw.stop()
    # Where OpenSSL itself would allow TLS 1.1, the line is what refuses it ...
    gw = tls_front(gateway_cert, variant(tmp_path, "with-line.conf", PROTOCOLS))
    try:
        assert handshake(ssl.TLSVersion.TLSv1_1, ca).startswith("refused")
        assert handshake(ssl.TLSVersion.TLSv1_2, ca) == "TLSv1.2"
    finally:
        gw.stop()
    # ... and without it, nginx negotiates TLS 1.1 with the same client.
    gw = tls_front(gateway_cert, variant(tmp_path, "without-line.conf", ""))
    try:
        assert handshake(ssl.TLSVersion.TLSv1_1, ca) == "TLSv1.1"
    finally:
        gw.stop()


# -- An access log that names the developer ----------------------------------------------

TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}"


def status_with(token: str) -> int:
    request = urllib.request.Request(
        "http://127.0.0.1:8080/v1/messages", method="POST", data=b"{}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "User-Agent": "curl/7.88.1"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_audit_log_names_the_developer(litellm, upstream, terminal, tmp_path):
    home, text = nginx.with_fragment(snippet(AUDIT))
    assert home == snippet(ENTERPRISE_FILES["gateway.conf.template"])
    template = tmp_path / "gateway.conf.template"
    template.write_text(text)  # the enterprise gateway's template with the lines in place
    gw = nginx.start(ENTERPRISE_START, {**ENTERPRISE_FILES, "gateway.conf.template": template})
    try:
        claude_replied(terminal.run(CONNECT_ALICE, ASK), "pong")
        assert status_with("sk-gw-nobody-change-me") == 401
        assert status_with("sk-gw-carol-change-me") == 403  # a suspended token
    finally:
        gw.stop()
    ran(AUDIT)
    access = (gw.workdir / "gateway-access.log").read_text().splitlines()
    # Every line, health checks included: the audit format, and never a token.
    assert access and all(re.match(rf"^{TIME} 127\.0\.0\.1 developer=", ln) for ln in access), \
        access
    assert not [ln for ln in access if "sk-gw-" in ln or "change-me" in ln], access
    claude = [ln for ln in access if "claude-cli/" in ln]
    assert claude and all(" developer=alice " in ln for ln in claude), claude
    assert [ln for ln in claude if '"POST /v1/messages' in ln and '" 200 ' in ln], claude
    refused = [ln for ln in access if "curl/" in ln]
    assert [ln.split(" developer=")[1].split(" ")[0] for ln in refused] == ["", "suspended"], \
        refused
    shown = [next(ln for ln in claude if '"POST /v1/messages' in ln), *refused]
    captures.check("security/nginx-audit-log.txt", "\n".join(shown),
                   figures=rf'{TIME}|(?<=" \d\d\d )\d+(?= ")')
