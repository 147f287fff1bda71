"""Corporate proxy guides (docs/how-to/corporate-proxy.md, docs/how-to/gateway-tls-proxy.md):
the real Claude Code and the real LiteLLM through a real Squid, with real TLS.

The world: Squid on 127.0.0.1:3128 is the only thing that knows where api.anthropic.com and
llm-gateway.corp.example are (its own hosts file; the namespace has no DNS). The provider
fake answers as api.anthropic.com on 127.0.0.1:443 with a certificate from a stand-in for
the public web PKI, which programs trust only because the harness says so in their
environment (as real machines trust the real one). The company CA is saved where the pages
say (~/corp-ca.pem).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
import warnings

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, upstream_messages
from tests.harness.start import tls
from tests.harness.start.forward_proxy import ForwardProxy
from tests.harness.wire import anthropic_wire, front_door
from tests.harness.wire.provider_fake import serving

GUIDE = "corporate-proxy"
PASSWORD = "p@ss:w/rd!"  # what the page's user "dev" has; every special character in it
HOSTS = {"api.anthropic.com": "127.0.0.1", "llm-gateway.corp.example": "127.0.0.1"}
FIRST = f"{GUIDE}/02-check-through-proxy.sh"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    return {
        "public_ca": tls.public().write_ca(d / "public-ca.pem"),
        "corp_ca": tls.corp().write_ca(d / "corp-ca.pem"),
        "bump": tls.corp().write_ca_key_pair(d / "bump"),
        "dir": d,
    }


@pytest.fixture(scope="module")
def anthropic_api(isolated, certs):
    """The provider fake as api.anthropic.com:443, behind a (stand-in) public certificate."""
    context = tls.public().server_context(certs["dir"], "api.anthropic.com")
    with serving(anthropic_wire.install, port=443, tls=context) as fake:
        yield fake


@pytest.fixture
def api(anthropic_api):
    anthropic_api.reset()
    return anthropic_api


class Proxies:
    """The corporate proxy on 127.0.0.1:3128, in one of its set-ups; switching stops the
    running one first (one holder per port). Squid starts in well under a second."""

    KINDS = {
        "plain": {},
        "auth": {"users": {"dev": PASSWORD}},
        "inspecting": {"bump": True},
    }

    def __init__(self, certs):
        self.certs = certs
        self.kind, self.proxy = None, None

    def get(self, kind: str) -> ForwardProxy:
        if kind != self.kind:
            self.stop()
            options = dict(self.KINDS[kind])
            if options.pop("bump", False):
                # It verifies servers against the public CAs and the company CA (the gateway).
                bundle = self.certs["dir"] / "upstream-ca.pem"
                bundle.write_bytes(self.certs["public_ca"].read_bytes()
                                   + self.certs["corp_ca"].read_bytes())
                options.update(bump_ca=self.certs["bump"], upstream_ca=bundle)
            self.proxy, self.kind = ForwardProxy(hosts=HOSTS, **options).start(), kind
        time.sleep(0.3)  # Squid logs a tunnel when it closes: let the last test's settle
        self.proxy.clear_log()
        return self.proxy

    def stop(self):
        if self.proxy:
            self.proxy.stop()
        self.kind, self.proxy = None, None


@pytest.fixture(scope="module")
def proxies(isolated, certs):
    p = Proxies(certs)
    yield p
    p.stop()


@pytest.fixture
def reader(terminal, certs):
    """A developer's terminal: an Anthropic API key, the (stand-in) public CAs trusted."""
    terminal.env.update(ANTHROPIC_API_KEY="sk-ant-your-anthropic-key", CLAUDE_CODE_MAX_RETRIES="0",
                        NODE_EXTRA_CA_CERTS=str(certs["public_ca"]))
    # A returning user's cached remote settings. Without them, a run whose proxy refuses
    # first waits for that fetch: measured ~20 s to fail instead of ~7 s (same message).
    cache = terminal.home / ".claude"
    cache.mkdir()
    (cache / "remote-settings.json").write_text("{}")
    (cache / "remote-settings.json.synced-at").write_text(str(int(time.time() * 1000)))
    return terminal


def connects(px: ForwardProxy) -> list[str]:
    """What the proxy logged, one line per distinct request (order varies with parallelism)."""
    return sorted({str(e) for e in px.log() if e.method != "-"})


def replied_pong(result) -> None:
    """Claude Code answered (its last line; ANTHROPIC_LOG lines may come before)."""
    assert result.code == 0 and result.stdout.splitlines()[-1:] == ["pong"], result.output


def console(rel: str, output: str) -> str:
    return captures.console(snippet(rel).read_text(), output)


# -- Claude Code behind a proxy ---------------------------------------------------------------

@pytest.fixture
def plain(proxies):
    return proxies.get("plain")


def test_request_goes_through_the_proxy(plain, api, reader):
    del reader.env["ANTHROPIC_API_KEY"]  # the guide's own step sets it
    result = reader.run(f"{GUIDE}/00-provider-key.sh", f"{GUIDE}/01-proxy.sh", FIRST)
    replied_pong(result)
    # api.anthropic.com resolves only inside the proxy: the reply proves the path, and the
    # key the step set is what arrived there.
    (message,) = upstream_messages(api)
    assert message.header("x-api-key") == "sk-ant-your-anthropic-key", message.headers
    log = connects(plain)
    assert log == ["CONNECT api.anthropic.com:443 200 -"], log
    captures.check(f"{GUIDE}/through-proxy.console", console(FIRST, result.stdout))
    captures.check(f"{GUIDE}/proxy-log-tunnel.txt", "\n".join(log))


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"])
def test_each_proxy_variable_is_honoured(name, plain, api, reader):
    """The page says upper- and lower-case forms both work."""
    reader.env[name] = plain.url
    result = reader.run(FIRST)
    assert result.code == 0, result.output
    assert connects(plain) == ["CONNECT api.anthropic.com:443 200 -"]


def test_proxy_from_the_settings_file(plain, api, reader):
    """The proxy set in the env block of ~/.claude/settings.json, nothing in the shell: the
    request still goes through it."""
    assert not [k for k in reader.env if k.lower().endswith("_proxy")], reader.env
    reader.settings("user", f"{GUIDE}/07-settings-proxy.json")
    result = reader.run(FIRST)
    replied_pong(result)
    assert len(upstream_messages(api)) == 1
    assert connects(plain) == ["CONNECT api.anthropic.com:443 200 -"], connects(plain)


def test_loopback_is_proxied_unless_in_no_proxy(plain, gateways, provider, reader):
    """A gateway on localhost is reached through the proxy too, until NO_PROXY says not."""
    gateways.get(("quickstart/03-start-gateway.sh",), {"config.yaml": "quickstart/02-config.yaml"},
                 env={"ANTHROPIC_API_BASE": provider.url})
    provider.reset()
    with front_door.record(4000) as door:  # the local gateway's port
        proxied = reader.run("quickstart/06-connect-shell.sh", f"{GUIDE}/01-proxy.sh", FIRST)
    claude_failed_with(proxied, "API Error", within_s=30)
    assert any("localhost:4000" in e.url for e in plain.log()), plain.log()
    # The 502 is the proxy's own: the gateway received nothing at all.
    assert door.requests == [], door.lines()
    assert any("localhost:4000" in str(e) and " 502 " in str(e) for e in plain.log()), \
        [str(e) for e in plain.log()]
    assert not upstream_messages(provider)
    captures.check(f"{GUIDE}/loopback-proxied.console", console(FIRST, proxied.output))
    plain.clear_log()
    direct = reader.run("quickstart/06-connect-shell.sh", f"{GUIDE}/01-proxy.sh",
                        f"{GUIDE}/03-no-proxy.sh", FIRST)
    replied_pong(direct)
    assert not [e for e in plain.log() if "localhost" in e.url], plain.log()
    assert len(upstream_messages(provider)) == 1


# -- Proxy authentication --------------------------------------------------------------------

@pytest.fixture
def authed(proxies):
    return proxies.get("auth")


def test_encoding_gives_the_snippets_password(reader):
    result = reader.run(f"{GUIDE}/04-encode-password.sh")
    encoded = result.stdout.strip()
    assert f"dev:{encoded}@" in snippet(f"{GUIDE}/05-proxy-with-credentials.sh").read_text()
    captures.check(f"{GUIDE}/encode-password.console",
                   console(f"{GUIDE}/04-encode-password.sh", result.stdout))


def test_credentials_in_the_proxy_url(authed, api, reader):
    result = reader.run(f"{GUIDE}/05-proxy-with-credentials.sh", FIRST)
    replied_pong(result)
    assert connects(authed) == ["CONNECT api.anthropic.com:443 200 dev"], connects(authed)


def test_without_credentials_the_proxy_answers_407(authed, api, reader):
    result = reader.run(f"{GUIDE}/01-proxy.sh", FIRST)
    claude_failed_with(result, "ERR_PROXY_TUNNEL", within_s=30)
    assert not upstream_messages(api)
    assert connects(authed) == ["CONNECT api.anthropic.com:443 407 -"], connects(authed)
    captures.check(f"{GUIDE}/no-credentials.console", console(FIRST, result.output))
    captures.check(f"{GUIDE}/proxy-log-407.txt", "\n".join(connects(authed)))


def test_wrong_password_fails_the_same_way(authed, api, reader):
    reader.env["HTTPS_PROXY"] = "http://dev:not-the-password@127.0.0.1:3128"
    result = reader.run(FIRST)
    claude_failed_with(result, "ERR_PROXY_TUNNEL", within_s=30)
    assert connects(authed) == ["CONNECT api.anthropic.com:443 407 dev"], connects(authed)


def test_unencoded_password_is_refused_before_any_request(authed, api, reader):
    reader.env["HTTPS_PROXY"] = f"http://dev:{PASSWORD}@127.0.0.1:3128"
    result = reader.run(FIRST)
    claude_failed_with(result, "cannot be parsed as a URL", within_s=10)
    assert not [e for e in authed.log() if e.method != "-"]
    captures.check(f"{GUIDE}/unencoded-password.txt", result.output)


# -- TLS inspection: the company CA -----------------------------------------------------------

@pytest.fixture
def inspecting(proxies):
    return proxies.get("inspecting")


def test_without_the_company_ca_tls_fails(inspecting, api, reader):
    result = reader.run(f"{GUIDE}/01-proxy.sh", FIRST)
    claude_failed_with(result, "SELF_SIGNED_CERT_IN_CHAIN", within_s=30)
    assert not upstream_messages(api)
    captures.check(f"{GUIDE}/no-company-ca.console", console(FIRST, result.output))


def test_node_extra_ca_certs_trusts_the_inspecting_proxy(inspecting, api, reader, certs):
    (reader.home / "corp-ca.pem").write_bytes(certs["corp_ca"].read_bytes())
    result = reader.run(f"{GUIDE}/01-proxy.sh", f"{GUIDE}/06-corp-ca.sh", FIRST)
    replied_pong(result)
    assert len(upstream_messages(api)) == 1
    # The inspecting proxy sees inside the tunnel: the API call itself is in its log.
    log = connects(inspecting)
    assert "POST https://api.anthropic.com/v1/messages? 200 -" in log, log
    captures.check(f"{GUIDE}/proxy-log-inspected.txt",
                   "\n".join(e for e in log if "/v1/messages" in e or "CONNECT" in e))


def test_company_ca_file_missing(inspecting, api, reader):
    """NODE_EXTRA_CA_CERTS pointing at a file that is not there."""
    result = reader.run(f"{GUIDE}/01-proxy.sh", f"{GUIDE}/06-corp-ca.sh", FIRST)
    assert result.code != 0, result.output
    assert "SELF_SIGNED_CERT_IN_CHAIN" in result.output
    output = result.output.replace(str(reader.home), "/home/you")
    assert "Warning: Ignoring extra certs from `/home/you/corp-ca.pem`" in output, output
    captures.check(f"{GUIDE}/company-ca-missing.console", console(FIRST, output))


# -- The team gateway: TLS, behind the proxy, and its own outbound trust -------------------

GATEWAY_START = ("gateway-tls/01-start-gateway-tls.sh",)
GATEWAY_NAME = "llm-gateway.corp.example"


@pytest.fixture
def tls_gateway(gateways, certs):
    d = certs["dir"]
    # As the page says: issued for the gateway's name only.
    cert, key = tls.corp().issue(d / "gateway", GATEWAY_NAME)
    # The gateway's provider is the real default, https://api.anthropic.com: no redirect.
    return gateways.get(GATEWAY_START, {"config.yaml": "quickstart/02-config.yaml",
                                        "gateway.pem": cert, "gateway.key": key,
                                        "corp-ca.pem": certs["corp_ca"]},
                        tls_ca=certs["corp_ca"])


def test_gateway_answers_over_tls(tls_gateway, terminal, certs):
    (terminal.project / "corp-ca.pem").write_bytes(certs["corp_ca"].read_bytes())
    result = terminal.run("gateway-tls/02-check-tls.sh")
    assert result.code == 0 and "alive" in result.stdout, result.output
    # The certificate names only the gateway: checked at localhost, curl refuses it (60).
    assert terminal.sh("curl -s --cacert corp-ca.pem https://localhost:4000/health/liveliness"
                       ).code == 60
    captures.check("gateway-tls/check-tls.console",
                   console("gateway-tls/02-check-tls.sh", result.stdout))


def _handshake(port: int, version: ssl.TLSVersion, ca) -> str:
    """Connect offering only `version`; the negotiated version, or why it failed."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer old versions at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is, hence this test
        ctx.minimum_version = ctx.maximum_version = version
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname=GATEWAY_NAME) as s:
            return s.version()
    except ssl.SSLError as e:
        return f"refused: {e.reason}"


@pytest.fixture
def tls11_server(certs):
    """A control server that does accept TLS 1.1: proves the client really offers it."""
    cert, key = tls.corp().issue(certs["dir"] / "control", GATEWAY_NAME)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        with contextlib.suppress(OSError), ctx.wrap_socket(conn, server_side=True) as s:
            s.recv(1)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_gateway_refuses_tls_1_1(tls_gateway, certs, tls11_server):
    ca = certs["corp_ca"]
    assert _handshake(tls11_server, ssl.TLSVersion.TLSv1_1, ca) == "TLSv1.1"
    assert _handshake(4000, ssl.TLSVersion.TLSv1_2, ca) == "TLSv1.2"
    assert _handshake(4000, ssl.TLSVersion.TLSv1_3, ca) == "TLSv1.3"
    refused = _handshake(4000, ssl.TLSVersion.TLSv1_1, ca)
    assert refused.startswith("refused"), refused  # the gateway hangs up on the hello


@pytest.fixture
def developer(reader, certs):
    """A developer's terminal for the gateway: the gateway key, not an Anthropic key."""
    del reader.env["ANTHROPIC_API_KEY"]
    (reader.home / "corp-ca.pem").write_bytes(certs["corp_ca"].read_bytes())
    return reader


def test_claude_code_through_proxy_and_gateway(tls_gateway, inspecting, api, developer):
    result = developer.run("gateway-tls/03-connect-claude-code.sh",
                           "gateway-tls/04-first-request.sh")
    replied_pong(result)
    (call,) = upstream_messages(api)
    assert call.header("x-api-key") == "sk-ant-your-anthropic-key"  # the gateway's key
    log = connects(inspecting)
    # Both hops crossed the proxy: Claude Code to the gateway, the gateway to Anthropic.
    hops = [e for e in log if "/v1/messages" in e]
    assert hops == ["POST https://api.anthropic.com/v1/messages 200 -",
                    "POST https://llm-gateway.corp.example:4000/v1/messages? 200 -"], log
    captures.check("gateway-tls/first-request.console",
                   console("gateway-tls/04-first-request.sh", result.stdout))
    captures.check("gateway-tls/proxy-log.txt", "\n".join(hops))


def test_without_node_extra_ca_certs_the_gateway_is_untrusted(tls_gateway, inspecting, api,
                                                              developer):
    """The connect snippet's settings but no CA trusted at all: its other three lines as the
    environment (the snippet itself, run as written, would set NODE_EXTRA_CA_CERTS)."""
    del developer.env["NODE_EXTRA_CA_CERTS"]
    developer.env.update(ANTHROPIC_BASE_URL=f"https://{GATEWAY_NAME}:4000",
                         ANTHROPIC_AUTH_TOKEN="sk-litellm-change-me",
                         HTTPS_PROXY="http://127.0.0.1:3128")
    connect = snippet("gateway-tls/03-connect-claude-code.sh").read_text()
    assert all(f'export {k}="{v}"' in connect for k, v in developer.env.items()
               if k in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "HTTPS_PROXY"))
    assert not [k for k in developer.env if "CA" in k.split("_")], developer.env
    result = developer.run("gateway-tls/04-first-request.sh")
    claude_failed_with(result, "SELF_SIGNED_CERT_IN_CHAIN", within_s=30)
    assert not upstream_messages(api)


def test_node_extra_ca_certs_from_settings_json(inspecting, api, reader, certs):
    """The page says the settings file's env block works for it too (absolute path)."""
    ca = reader.home / "corp-ca.pem"
    ca.write_bytes(certs["corp_ca"].read_bytes())
    settings = reader.home / ".claude" / "settings.json"
    settings.write_text(json.dumps({"env": {"NODE_EXTRA_CA_CERTS": str(ca)}}))
    result = reader.run(f"{GUIDE}/01-proxy.sh", FIRST)
    replied_pong(result)
