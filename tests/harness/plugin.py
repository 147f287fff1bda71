"""pytest wiring for the harness: isolation first, then the shared fixtures every guide uses.
Loaded for every run through `-p tests.harness.plugin` in pyproject.toml."""

from __future__ import annotations

import os

import pytest

from tests.harness import background, isolation
from tests.harness.project import CACHE, CLAUDE_CODE_VERSION, LITELLM_VERSION
from tests.harness.proof import records
from tests.harness.reader.terminal import Terminal
from tests.harness.start import gateway, releases
from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import ProviderFake, serving

NO_ISOLATION: str | None = "not entered"


def pytest_configure(config):
    global NO_ISOLATION
    # Before any thread or server exists: everything the tests start inherits the namespace.
    NO_ISOLATION = isolation.enter_private_network()
    if NO_ISOLATION is None:
        for line in isolation.leave_nothing_behind(CACHE / "runs"):
            print(line)


def pytest_unconfigure(config):
    if NO_ISOLATION is None:
        left = isolation.forget_run(CACHE / "runs")
        if left:
            print(f"stopped {len(left)} process{'es' * (len(left) != 1)} still running at the "
                  "end: "
                  + ", ".join(sorted(set(left))))


def pytest_report_header(config):
    where = NO_ISOLATION or "private network namespace, loopback only (no route out)"
    return [f"isolation: {where}",
            f"pinned: LiteLLM {LITELLM_VERSION}, Claude Code {CLAUDE_CODE_VERSION}",
            "running: LiteLLM {}, Claude Code {}".format(
                releases.under_test("litellm") or LITELLM_VERSION,
                releases.under_test("claude-code") or CLAUDE_CODE_VERSION),
            gateway.backend_report()]


def pytest_collection_modifyitems(items):
    # The guards judge what the rest of the run exercised, so they run last; tests that join
    # background scenarios run just before them, so the scenarios had the whole run to finish.
    # The claims guard runs after the other guards: a page may cite one of them as its proof.
    items.sort(key=lambda item: (3 if item.nodeid.startswith("tests/test_claims_guard.py")
                                 else 2) if item.get_closest_marker("guard")
               else 1 if item.get_closest_marker("background") else 0)
    records.COLLECTED.update(item.nodeid for item in items)


def pytest_collection_finish(session):
    # Once the selection is final (-k, -m applied): start what the selected tests will join
    # (not for --collect-only: nothing would join them).
    if session.config.option.collectonly:
        return
    background.start(s for item in session.items
                     for mark in item.iter_markers("background")
                     for s in mark.kwargs["scenarios"])


_SECONDS_BY_FILE: dict[str, float] = {}


def pytest_runtest_logreport(report):
    records.record(report)
    where = report.nodeid.split("::", 1)[0]
    _SECONDS_BY_FILE[where] = _SECONDS_BY_FILE.get(where, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    # Where this process's time went, per test file (setup, call and teardown): what a lane
    # is balanced by (lanes.EVEN_OUT) and where a faster proof has to start.
    if len(_SECONDS_BY_FILE) > 1:
        top = sorted(_SECONDS_BY_FILE.items(), key=lambda kv: -kv[1])[:15]
        terminalreporter.write_line("seconds per test file (the 15 longest): " + ", ".join(
            f"{where.removeprefix('tests/')} {seconds:.0f}" for where, seconds in top))


@pytest.fixture(scope="session")
def isolated():
    if NO_ISOLATION:
        pytest.skip(f"needs a private network namespace for the published ports: {NO_ISOLATION}")


@pytest.fixture(scope="session")
def provider(isolated):
    """The Anthropic API stand-in every gateway in the session forwards to."""
    with serving(anthropic_wire.install) as fake:
        yield fake


def _fresh(fake: ProviderFake):
    """A shared fake with an empty request log and no pending faults; whatever a test
    changes on it (faults, reply, pacing, wire state) is undone afterwards too."""
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def upstream(provider):
    yield from _fresh(provider)


@pytest.fixture(scope="session")
def gateways(isolated, request):
    engine = request.getfixturevalue("docker_engine") if gateway.BACKEND == "container" else None
    pool = gateway.GatewayPool(engine)
    yield pool
    pool.stop_all()


@pytest.fixture
def terminal(tmp_path, isolated):
    return Terminal(tmp_path)


# -- Bedrock and Vertex AI stand-ins (multi-provider guides) ------------------------------

# Visibly fake AWS credentials for the gateway: LiteLLM signs with them; the fake only
# checks that a SigV4 signature is there.
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "fake-access-key-id-for-tests-only",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-access-key-for-tests-only"}


@pytest.fixture(scope="session")
def bedrock_provider(isolated):
    """Amazon Bedrock runtime stand-in (its own server, like its own host)."""
    from tests.harness.wire import bedrock_wire
    with serving(bedrock_wire.install) as fake:
        yield fake


@pytest.fixture
def bedrock(bedrock_provider):
    yield from _fresh(bedrock_provider)


@pytest.fixture(scope="session")
def vertex_provider(isolated):
    """Vertex AI stand-in, with the Google token endpoint a key file can point at."""
    from tests.harness.wire import vertex_wire
    with serving(vertex_wire.install) as fake:
        yield fake


@pytest.fixture
def vertex(vertex_provider):
    yield from _fresh(vertex_provider)


@pytest.fixture(scope="session")
def aws_gateway_env(bedrock_provider):
    """Where LiteLLM finds Bedrock (AWS_BEDROCK_RUNTIME_ENDPOINT) and fake credentials."""
    return {"AWS_BEDROCK_RUNTIME_ENDPOINT": bedrock_provider.url, **FAKE_AWS}


@pytest.fixture(scope="session")
def google_gateway_env(vertex_provider, tmp_path_factory):
    """Where LiteLLM finds Vertex AI (VERTEX_API_BASE, which the published start script
    keeps) and a service-account key file whose token_uri is the fake's token endpoint:
    LiteLLM's real google-auth flow, signed with a throwaway key, answered by the stand-in
    instead of Google."""
    import json
    import subprocess
    home = tmp_path_factory.mktemp("google")
    key = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, text=True,
                         check=True).stdout
    (home / "keys").mkdir()
    (home / "keys" / "litellm-vertex.json").write_text(json.dumps({
        "type": "service_account", "project_id": "my-gcp-project",
        "private_key_id": "fake-key-id", "private_key": key,
        "client_email": "litellm@my-gcp-project.iam.gserviceaccount.com",
        "client_id": "000000000000000000000",
        "token_uri": vertex_provider.url + "/token"}))
    return {"VERTEX_API_BASE": vertex_provider.url, "HOME": str(home)}


# -- Claude apps gateway's world: PostgreSQL, the company IdP (apps-gateway guides) ------------

@pytest.fixture(scope="session")
def postgres_server(isolated):
    """A throwaway PostgreSQL 15 cluster on 127.0.0.1:5432 for the whole session."""
    from tests.harness.start import postgres
    why = postgres.why_unavailable()
    if why:
        pytest.skip(why)
    pg = postgres.Postgres().start()
    yield pg
    pg.remove()


@pytest.fixture(scope="session")
def idp(isolated):
    """The company IdP stand-in (oidc-provider) on localhost:9000, users alice and bob."""
    from tests.harness.start import oidc_idp
    why = oidc_idp.why_unavailable()
    if why:
        pytest.skip(why)
    server = oidc_idp.IdP().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def apps_gateway_world(postgres_server, idp, provider):
    """The environment a published gateway.yaml resolves its ${VAR}s from, here."""
    from tests.harness.start import apps_gateway
    return apps_gateway.world(idp, postgres_server, provider.url)


@pytest.fixture
def apps_gw(apps_gateway_world, upstream):
    """The tutorial's gateway (apps-gateway/01-gateway.yaml) on localhost:8080, per test
    (it boots in well under a second)."""
    from tests.harness.start import apps_gateway
    gw = apps_gateway.start({"gateway.yaml": "apps-gateway/01-gateway.yaml"},
                            apps_gateway_world)
    yield gw
    gw.stop()


@pytest.fixture(scope="session")
def developers(tmp_path_factory, isolated):
    """Signed-in developers, one terminal (HOME) each, signed in once per session through
    the real browser against whichever gateway is running on localhost:8080:
    `developers.get("alice")` returns the Terminal; `.sign_ins[user]` what it showed."""
    from tests.harness.start import apps_gateway

    class Developers:
        def __init__(self):
            self.terminals, self.sign_ins = {}, {}

        def get(self, user: str) -> Terminal:
            if user not in self.terminals:
                t = Terminal(tmp_path_factory.mktemp(f"dev-{user}"))
                t.settings("user", "apps-gateway/04-developer-settings.json")
                t.seed_first_run()
                self.sign_ins[user] = apps_gateway.sign_in(t, user)
                self.terminals[user] = t
            return self.terminals[user]

        def forget(self, user: str) -> None:
            """After a test ended this developer's session: the next get() signs in again."""
            self.terminals.pop(user, None)

    return Developers()


# -- A real Redis on localhost:6379 (LiteLLM's Redis response cache) ----------------------

@pytest.fixture
def redis_server(isolated):
    """Debian's redis-server on 127.0.0.1:6379 for one test (it starts in milliseconds), so
    the port is free again for the production guide's own Redis."""
    from tests.harness.start import redis_server as redis
    why = redis.why_unavailable()
    if why:
        pytest.skip(why)
    server = redis.Redis().start()
    yield server
    server.stop()


# -- A Docker engine and the images built offline (container backend, production guide) ----

@pytest.fixture(scope="session")
def docker_engine(isolated):
    """dockerd in this test namespace, its images built (or found built) from the cache."""
    from tests.harness.start import docker_engine as engines
    from tests.harness.start import images
    why = engines.why_not()
    if why:
        pytest.skip(f"no Docker engine can run here: {why}")
    engine = engines.Engine().start()
    os.environ["DOCKER_HOST"] = engine.host  # for testcontainers in this process only
    try:
        images.ensure(engine)
        yield engine
    finally:
        os.environ.pop("DOCKER_HOST", None)
        engine.stop()
