"""Claude apps gateway in a locked-down network: "The IdP through the company proxy"
(docs/how-to/apps-gateway-deploy.md) and "Groups sent as objects"
(docs/how-to/apps-gateway-policy.md).

The proxy's world: the gateway's network resolves no outside name. The IdP is
`https://idp.corp.example:9443`, a name only the real Squid resolves (its hosts_file), served
over TLS by the real IdP (oidc-provider) with a certificate from the stand-in for the public
web PKI, which the gateway trusts through NODE_EXTRA_CA_CERTS. The developer's browser reaches
the IdP directly (Chromium maps the name to 127.0.0.1, as DNS would on a laptop, and accepts
the stand-in's certificate), so every line in Squid's access log is the gateway's.

The groups' world: the session's IdP with two more users whose groups claim is a list of
objects (carol: `id` and `displayName`; dave: the group's email under `groupKey.id`, with a
`relationType`), each signed in through the real browser against the published config."""

from __future__ import annotations

import json
import re
import time

import pytest
import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader import browser
from tests.harness.reader.terminal import Terminal
from tests.harness.start import apps_gateway, oidc_idp, tls
from tests.harness.start.forward_proxy import ForwardProxy

IDP_HOST = "idp.corp.example"
IDP_PORT = 9443
PLAIN_IDP_PORT = 9001
PROXY_CONFIG = {"gateway.yaml": "apps-gateway/40-gateway-idp-proxy.yaml"}
TUTORIAL_CONFIG = {"gateway.yaml": "apps-gateway/01-gateway.yaml"}
PROXY_ENV = "apps-gateway/41-gateway-proxy-env.sh"
BEHIND_PROXY = (PROXY_ENV, *apps_gateway.START)
TUNNEL = f"CONNECT {IDP_HOST}:{IDP_PORT} 200 -"  # Squid's line for one tunnel to the IdP
# the developer's laptop resolves the IdP's name and trusts its certificate
LAPTOP = [f"--host-resolver-rules=MAP {IDP_HOST} 127.0.0.1", "--ignore-certificate-errors"]
ADMIN_KEY = "gateway-admin-key-change-me-0123456789ab"

USING_PROXY = "oidc: IdP requests use proxy 127.0.0.1:3128; hosts in NO_PROXY go direct"
BY_HOSTNAME_ON = "oidc: CLAUDE_GATEWAY_IDP_CONNECT_BY_HOSTNAME is on"
RESOLVED_HERE = f"claude gateway: getaddrinfo EAI_AGAIN {IDP_HOST}"
PROXY_NOT_USED = ("oidc: a proxy is set (HTTPS_PROXY/HTTP_PROXY) but IdP requests currently"
                  " go direct")
NO_EFFECT = "oidc: CLAUDE_GATEWAY_IDP_CONNECT_BY_HOSTNAME is set but has no effect"
PLAIN_HTTP_REFUSED = (f"claude gateway: ECONNREFUSED_SSRF: blocked http://{IDP_HOST}:{PLAIN_IDP_PORT}"
                      " via proxy. With CLAUDE_GATEWAY_IDP_CONNECT_BY_HOSTNAME on, IdP URLs that"
                      " go through the proxy (issuer, discovery_url, JWKS, token, userinfo) must"
                      " be https.")


def gateway_lines(log: str, *marks: str) -> str:
    """The gateway's log lines that carry one of `marks`, without their timestamps."""
    return "\n".join(re.sub(r"^\[gateway\] \S+ ", "", line) for line in log.splitlines()
                     if any(m in line for m in marks))


def from_failure(log: str) -> str:
    """A failed boot's log from its `claude gateway:` line on."""
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("claude gateway:"))
    return "\n".join(lines[start:])


@pytest.fixture
def squid():
    """The company's forward proxy: it alone resolves the IdP's name."""
    proxy = ForwardProxy(hosts={IDP_HOST: "127.0.0.1"},
                         connect_ports=(443, IDP_PORT, PLAIN_IDP_PORT)).start()
    squid_lines(proxy, 1, wait_s=5)  # its own start check's empty connection, logged late
    proxy.clear_log()  # from here on, every line counts
    yield proxy
    proxy.stop()


@pytest.fixture
def corp_idp(tmp_path_factory):
    server = oidc_idp.IdP(port=IDP_PORT, host=IDP_HOST, tls=tls.public().issue(
        tmp_path_factory.mktemp("idp-tls"), IDP_HOST)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_database(postgres_server) -> str:
    """A database of this module's own: the gateway counts device sign-ins per network in its
    store (rate_limits.device_verify), and the sign-ins of the pages run before this one,
    all from 127.0.0.1 into the shared database, would otherwise be counted against these."""
    postgres_server.sql("DROP DATABASE IF EXISTS network", database="postgres")
    postgres_server.sql("CREATE DATABASE network", database="postgres")
    return postgres_server.url.rsplit("/", 1)[0] + "/network"


@pytest.fixture
def corp_world(corp_idp, postgres_server, own_database, tmp_path_factory):
    """The published config's variables as on a company network: no loopback exception (the
    IdP is reached by name; PostgreSQL on loopback the gateway accepts), the upstream at its
    real address (nothing here is sent to it: only sign-in is proven)."""
    ca = tls.public().write_ca(tmp_path_factory.mktemp("ca") / "public-ca.pem")
    world = apps_gateway.world(corp_idp, postgres_server, "https://api.anthropic.com",
                               NODE_EXTRA_CA_CERTS=str(ca), DATABASE_URL=own_database)
    del world["CLAUDE_GATEWAY_ALLOW_LOOPBACK"]
    return world


@pytest.fixture
def laptop(monkeypatch):
    monkeypatch.setattr(browser, "FLAGS", [*browser.FLAGS, *LAPTOP])


def squid_lines(squid: ForwardProxy, at_least: int, wait_s: float = 10) -> list[str]:
    """Squid's whole access log, once it has `at_least` lines (a tunnel is logged when it
    closes) or after `wait_s`."""
    deadline = time.monotonic() + wait_s
    while len(squid.log()) < at_least and time.monotonic() < deadline:
        time.sleep(0.2)
    return [str(e) for e in squid.log()]


def test_developer_signs_in_with_the_idp_behind_the_proxy(corp_world, squid, laptop, tmp_path):
    """The proxy config and environment, the IdP reachable only through Squid: the gateway
    boots and alice signs in; every line of Squid's access log is a tunnel to the IdP, one at
    boot (discovery) and more at sign-in."""
    gw = apps_gateway.start(PROXY_CONFIG, corp_world, start=BEHIND_PROXY)
    try:
        boot = gateway_lines(gw.log(), "oidc: ")
        at_boot = squid_lines(squid, 1)
        alice = Terminal(tmp_path)
        alice.settings("user", "apps-gateway/04-developer-settings.json")
        alice.seed_first_run()
        seen = apps_gateway.sign_in(alice, "alice")
        minted = [e for e in apps_gateway.events(gw, "session.mint") if e.get("sub") == "alice"]
    finally:
        gw.stop()
    every = squid_lines(squid, len(at_boot) + 2)
    print(boot, at_boot, every, sep="\n")
    assert USING_PROXY in boot and BY_HOSTNAME_ON in boot, boot
    assert at_boot == [TUNNEL], at_boot  # discovery at boot, by name, through the proxy
    assert "Connected to Cloud gateway" in seen.screens["connected"], seen.screens
    assert len(minted) == 1, apps_gateway.events(gw)
    assert apps_gateway.credentials(alice).exists()
    # every line: the gateway's tunnels to the IdP by name, nothing else (the browser goes
    # direct); at least one more after boot, for the sign-in
    assert set(every) == {TUNNEL} and len(every) >= 2, every
    captures.check("apps-gateway/idp-proxy-boot.txt", boot)
    captures.check("apps-gateway/idp-proxy-squid-access.log", "\n".join(sorted(set(every))))


def test_without_the_settings_the_gateway_resolves_the_idp_itself(corp_world, squid):
    """The same IdP, reachable only through Squid. (a) The proxy config and proxy variables but
    no CLAUDE_GATEWAY_IDP_CONNECT_BY_HOSTNAME: the gateway looks the IdP's name up itself and
    refuses to boot. (b) The proxy environment snippet with the tutorial's config (no
    `oidc.use_proxy`): it warns that IdP requests go direct, and fails the same way. Squid
    sees nothing either time."""
    proxy_only = {"HTTPS_PROXY": squid.url, "NO_PROXY": "localhost,127.0.0.1"}
    resolved_here = apps_gateway.boot_failure(PROXY_CONFIG, {**corp_world, **proxy_only})
    direct = apps_gateway.boot_failure(TUTORIAL_CONFIG, corp_world, start=BEHIND_PROXY)
    print(resolved_here, direct, sep="\n")
    assert USING_PROXY in resolved_here and BY_HOSTNAME_ON not in resolved_here
    assert from_failure(resolved_here) == RESOLVED_HERE, resolved_here
    assert PROXY_NOT_USED in direct and NO_EFFECT in direct, direct
    assert from_failure(direct) == RESOLVED_HERE, direct
    # not one request of either gateway reached it (Squid writes a tunnel's line late: wait)
    assert squid_lines(squid, 1, wait_s=5) == [], squid.log()
    captures.check("apps-gateway/idp-proxy-resolved-locally.txt", from_failure(resolved_here))
    captures.check("apps-gateway/idp-proxy-not-used.txt",
                   gateway_lines(direct, PROXY_NOT_USED, NO_EFFECT) + "\n" + from_failure(direct))


def test_plain_http_idp_is_refused_behind_the_proxy(postgres_server, squid):
    """An IdP whose issuer is http://, reachable only through Squid, with everything else as
    published: the gateway refuses to send it through the proxy and does not boot."""
    plain = oidc_idp.IdP(port=PLAIN_IDP_PORT, host=IDP_HOST).start()
    try:
        world = apps_gateway.world(plain, postgres_server, "https://api.anthropic.com")
        del world["CLAUDE_GATEWAY_ALLOW_LOOPBACK"]
        log = apps_gateway.boot_failure(PROXY_CONFIG, world, start=BEHIND_PROXY)
    finally:
        plain.stop()
    print(log)
    assert from_failure(log).startswith(PLAIN_HTTP_REFUSED), log
    assert "ECONNREFUSED_SSRF" in from_failure(log)
    assert squid_lines(squid, 1, wait_s=5) == [], squid.log()  # a tunnel's line comes late
    captures.check("apps-gateway/idp-proxy-plain-http.txt", from_failure(log))


# -- groups sent as objects ---------------------------------------------------------------

CAROL = {"password": "carol-password", "email": "carol@example.com", "name": "Carol",
         "groups": [{"id": "3f2a6c1e-5b7d-4e8f-9a01-23456789c0de", "displayName": "contractors"},
                    {"id": "9b7d0e55-1c2d-4e3f-8a4b-56789012a11d", "displayName": "all-staff"}]}
DAVE = {"password": "dave-password", "email": "dave@example.com", "name": "Dave",
        "groups": [{"groupKey": {"id": "engineering@example.com"}, "relationType": "DIRECT"},
                   {"groupKey": {"id": "contractors@example.com"}, "relationType": "INDIRECT"}]}
OBJECTS = {"gateway.yaml": "apps-gateway/42-gateway-groups-objects.yaml"}
NESTED = {"gateway.yaml": "apps-gateway/43-gateway-groups-nested.yaml"}
POLICY = {"gateway.yaml": "apps-gateway/10-gateway-policy.yaml"}
NO_POLICY = "no policy matched"
BOTH_KEYS = "oidc.groups_jsonpath is read in place of oidc.groups_claim: remove one of the two"
NOT_READ = "is not a JSONPath that the gateway reads"


@pytest.fixture
def object_groups(idp):
    """carol and dave at the session's IdP, each with groups as a list of objects."""
    idp.users.update(carol=CAROL, dave=DAVE)
    idp._write_users()
    yield idp
    idp.restore()


def settings_for(gw, user, home) -> tuple[int, str]:
    """Sign `user` in through the browser to the running gateway `gw`, then stop it; what
    their token got from GET /managed/settings: (status, body)."""
    try:
        t = Terminal(home)
        t.settings("user", "apps-gateway/04-developer-settings.json")
        t.seed_first_run()
        apps_gateway.sign_in(t, user, {"carol": CAROL, "dave": DAVE}[user]["password"])
        token = json.loads(apps_gateway.credentials(t).read_text())["enterpriseGateway"]["jwt"]
        return apps_gateway.get(gw, "/managed/settings", token)
    finally:
        gw.stop()


def policies(files) -> list[dict]:
    return yaml.safe_load(snippet(files["gateway.yaml"]).read_text())["managed"]["policies"]


def test_groups_as_objects_need_groups_jsonpath(apps_gateway_world, own_database,
                                                object_groups, upstream, tmp_path):
    """carol's groups claim is a list of objects ({id, displayName}). Under the published policy
    config (groups read as a list of strings) no policy matches her; with
    `groups_jsonpath: $.groups[*].displayName` she gets the contractors' policy."""
    world = {**apps_gateway_world, "GATEWAY_ADMIN_KEY": ADMIN_KEY, "DATABASE_URL": own_database}
    # (started as AppsGateway: the policy page's own tests are the ones the key reference names)
    policy_gw = apps_gateway.AppsGateway(apps_gateway.START, POLICY, 8080, world).launch()
    plain = settings_for(policy_gw, "carol", tmp_path / "plain")
    objects = settings_for(apps_gateway.start(OBJECTS, world), "carol", tmp_path / "objects")
    print(plain, objects, sep="\n")
    assert plain[0] == 404 and plain[1] == NO_POLICY, plain
    assert objects[0] == 200, objects
    assert policies(OBJECTS)[0]["match"]["groups"] == ["contractors"]
    assert json.loads(objects[1])["settings"] == policies(OBJECTS)[0]["cli"], objects


def test_filtered_jsonpath_keeps_only_the_matching_entries(apps_gateway_world, own_database,
                                                           object_groups, upstream, tmp_path):
    """dave: engineering@example.com directly, contractors@example.com indirectly. With
    `$.groups[?@.relationType=='DIRECT'].groupKey.id` he gets the engineering policy, though
    the contractors' policy comes first in the file."""
    world = {**apps_gateway_world, "GATEWAY_ADMIN_KEY": ADMIN_KEY, "DATABASE_URL": own_database}
    status, body = settings_for(apps_gateway.start(NESTED, world), "dave", tmp_path)
    print(status, body)
    rules = policies(NESTED)
    assert rules[0]["match"]["groups"] == ["contractors@example.com"]
    assert rules[1]["match"]["groups"] == ["engineering@example.com"]
    assert status == 200 and json.loads(body)["settings"] == rules[1]["cli"], body


ACCEPTED = ["$.groups[*].displayName", "$['groups'][*]['displayName']",
            "$.groups[?@.relationType=='DIRECT'].groupKey.id"]
REFUSED = ["groups[*].displayName", "$.groups[0].displayName", "$..displayName",
           '$.groups[?@.relationType=="DIRECT"].groupKey.id']


def test_groups_jsonpath_syntax_the_gateway_reads(apps_gateway_world, tmp_path):
    """The gateway checks the path at boot: the forms its message names boot; an index, a
    recursive descent, a path without `$` and a filter in double quotes are refused, each
    with the same message; groups_jsonpath beside a groups_claim is refused too."""
    config = yaml.safe_load(snippet(OBJECTS["gateway.yaml"]).read_text())
    world = {**apps_gateway_world, "GATEWAY_ADMIN_KEY": ADMIN_KEY}

    def written(name: str, **oidc) -> dict:
        changed = json.loads(json.dumps(config))
        changed["oidc"].update(oidc)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(changed, sort_keys=False))
        return {"gateway.yaml": path}

    for i, path in enumerate(ACCEPTED):
        apps_gateway.start(written(f"ok{i}", groups_jsonpath=path), world).stop()
    refusals = [from_failure(apps_gateway.boot_failure(
        written(f"no{i}", groups_jsonpath=path), world)) for i, path in enumerate(REFUSED)]
    both = from_failure(apps_gateway.boot_failure(written("both", groups_claim="roles"), world))
    print(*refusals, both, sep="\n")
    for path, refusal in zip(REFUSED, refusals):
        (issue,) = json.loads(refusal.removeprefix("claude gateway: "))
        assert issue["path"] == ["oidc", "groups_jsonpath"], refusal
        assert issue["message"].startswith(
            f"oidc.groups_jsonpath {json.dumps(path)} {NOT_READ}"), (path, refusal)
    assert BOTH_KEYS in both, both
    captures.check("apps-gateway/groups-jsonpath-refused.txt", refusals[2])
