"""How-to: Claude Code and Vertex AI through LiteLLM (docs/how-to/vertex.md)."""

from __future__ import annotations

import ast
import re
import subprocess

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.start import components, tls
from tests.harness.wire import front_door, vertex_wire
from tests.harness.wire.provider_fake import serving

START = ("vertex/04-service-account.sh", "vertex/03-start-gateway.sh")
CONFIG = {"config.yaml": "vertex/02-config.yaml"}
PREDICT = ("/v1/projects/my-gcp-project/locations/us-east5/publishers/anthropic/models/"
           "claude-opus-5-5:streamRawPredict")


def test_google_auth_install_is_what_the_gateway_runs():
    """The install step is run into the gateway's environment before the tests (see
    harness/start/components.py); the version it pins is the one installed there."""
    (pin,) = re.findall(r"google-auth==([\w.]+)",
                        snippet("vertex/01-install-google-auth.sh").read_text())
    installed = subprocess.run(
        [components.litellm_bin() / "python", "-c",
         "import importlib.metadata as m; print(m.version('google-auth'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert installed == pin
    # ... and litellm[proxy] does not bring it: no google-* requirement of the `proxy` extra.
    (metadata,) = (components.litellm_bin().parent / "lib").glob(
        "python3*/site-packages/litellm-*.dist-info/METADATA")
    proxy_needs = re.findall(r"^Requires-Dist: (\S+).*; extra == 'proxy'$",
                             metadata.read_text(), re.M)
    assert proxy_needs and not [r for r in proxy_needs if r.startswith("google")], proxy_needs


@pytest.fixture
def gateway(gateways, google_gateway_env):
    return gateways.get(START, CONFIG, env=google_gateway_env)


def test_gateway_mode_reaches_vertex(gateway, vertex, terminal):
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    calls = vertex.received("POST", r"Predict$")
    assert {c.path for c in calls} == {PREDICT}
    assert len(calls) > 1, "the first request carried beta flags the stand-in refuses"
    call = calls[-1]  # earlier ones carried beta flags Vertex refused (see the beta trap)
    assert call.json["anthropic_version"] == vertex_wire.ANTHROPIC_VERSION
    assert "model" not in call.json, "Vertex AI names the model in the path, not the body"
    # The token the gateway minted from its key file, never the reader's gateway key.
    assert call.header("authorization") == f"Bearer {vertex_wire.ACCESS_TOKEN}"
    assert vertex.received("POST", r"^/token$"), "google-auth exchanged the key for a token"
    # Never the gateway key: in no header and no body of any request Vertex AI received.
    assert not [r for r in vertex.requests
                if "sk-litellm-change-me" in str(r.headers) or b"sk-litellm-change-me" in r.body]


def test_vertex_mode_pass_through_needs_credentials_for_the_route(gateway, vertex, terminal):
    """Claude Code in Vertex mode calls LiteLLM's /vertex_ai pass-through, which uses only
    credentials registered for pass-through; the model_list entries above are not."""
    result = terminal.run("vertex/05-vertex-mode.sh", "quickstart/07-first-request.sh")
    claude_failed_with(result, "No Vertex AI credential is configured on this proxy",
                       within_s=60)
    assert not vertex.received("POST", r"Predict$")
    captures.check("vertex/vertex-mode-pass-through.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))


# -- Claude Code's Vertex mode through the /vertex_ai pass-through -------------------------
# The pass-through calls https://<region>-aiplatform.googleapis.com/ and no setting changes
# that host (llm_passthrough_endpoints.get_vertex_base_url). So, world shaping: that name
# resolves to 127.0.0.1 for the gateway only (its own /etc/hosts) and the Vertex stand-in
# answers there on 443 with a certificate from the stand-in public CA the gateway trusts.
GOOGLE_HOST = "us-east5-aiplatform.googleapis.com"
EUROPE_HOST = "europe-west1-aiplatform.googleapis.com"  # the region the fix below moves Opus to
PASS_THROUGH_START = ("vertex/04-service-account.sh", "vertex/06-pass-through-credentials.sh",
                      "vertex/03-start-gateway.sh")


@pytest.fixture(scope="module")
def vertex_at_google(isolated, tmp_path_factory):
    d = tmp_path_factory.mktemp("vertex-tls")
    context = tls.public().server_context(d, GOOGLE_HOST, EUROPE_HOST)
    with serving(vertex_wire.install, port=443, tls=context) as fake:
        yield fake, tls.public().write_ca(d / "public-ca.pem")


def test_vertex_mode_through_the_pass_through(gateways, google_gateway_env, vertex_at_google,
                                              terminal):
    google, ca = vertex_at_google
    google.reset()
    gateways.get(PASS_THROUGH_START, CONFIG, env={**google_gateway_env, "SSL_CERT_FILE": str(ca)},
                 hosts={GOOGLE_HOST: "127.0.0.1"})
    result = terminal.run("vertex/05-vertex-mode.sh", "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    calls = google.received("POST", r"Predict$")
    assert calls, "nothing reached the Vertex stand-in"
    call = calls[-1]
    assert call.path == PREDICT
    assert call.json["anthropic_version"] == vertex_wire.ANTHROPIC_VERSION
    assert call.header("authorization") == f"Bearer {vertex_wire.ACCESS_TOKEN}"
    # Claude Code's gateway key is not forwarded: in no header and no body Google received.
    assert not [r for r in google.requests
                if "sk-litellm-change-me" in str(r.headers) or b"sk-litellm-change-me" in r.body]
    captures.check("vertex/vertex-mode-through-gateway.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))


def test_pass_through_ignores_the_region_and_project_in_the_path(gateways, google_gateway_env,
                                                                  vertex_at_google, terminal):
    """With only DEFAULT_VERTEXAI_PROJECT/_LOCATION configured, a Vertex-mode request for
    another project and region still goes to that project and region (and its host)."""
    google, ca = vertex_at_google
    google.reset()
    gateways.get(PASS_THROUGH_START, CONFIG, env={**google_gateway_env, "SSL_CERT_FILE": str(ca)},
                 hosts={GOOGLE_HOST: "127.0.0.1"})
    result = terminal.sh("\n".join([
        f"source {snippet('vertex/05-vertex-mode.sh')}",
        'export CLOUD_ML_REGION="europe-west1" ANTHROPIC_VERTEX_PROJECT_ID="other-project"',
        f"source {snippet('quickstart/07-first-request.sh')}"]))
    claude_replied(result, "pong")
    assert {c.path for c in google.received("POST", r"Predict$")} == {PREDICT}


# Where the pass-through sends a request, region by region: LiteLLM's own function, run in the
# pinned LiteLLM, and the route that uses it (no setting such as api_base is consulted).
HOSTS = {"us-east5": "https://us-east5-aiplatform.googleapis.com/",
         "europe-west1": "https://europe-west1-aiplatform.googleapis.com/",
         "global": "https://aiplatform.googleapis.com/",
         "us": "https://aiplatform.us.rep.googleapis.com/",
         "eu": "https://aiplatform.eu.rep.googleapis.com/"}


ROUTE_LINE = ("base_target_url: Final = get_vertex_pass_through_handler"
              ".get_default_base_target_url(vertex_location)")


def test_pass_through_host_per_region():
    """LiteLLM's own get_vertex_base_url, taken from the pinned source and run as it is (the
    module itself takes half a minute to import), and the one line of the route that uses it."""
    source = (components.litellm_bin().parent / "lib" / "python3.11" / "site-packages" /
              "litellm" / "proxy" / "pass_through_endpoints" / "llm_passthrough_endpoints.py")
    tree = ast.parse(source.read_text())
    (function,) = [n for n in tree.body
                   if isinstance(n, ast.FunctionDef) and n.name == "get_vertex_base_url"]
    (handler,) = [n for n in tree.body
                  if isinstance(n, ast.ClassDef) and n.name == "VertexAIPassThroughHandler"]
    (route,) = [n for n in tree.body if isinstance(n, ast.AsyncFunctionDef)
                and n.name == "_base_vertex_proxy_route"]
    assert "return get_vertex_base_url(vertex_location)" in ast.unparse(handler)
    assert ROUTE_LINE in ast.get_source_segment(source.read_text(), route)
    namespace = {"re": re}
    exec(compile(ast.Module([function], []), str(source), "exec"), namespace)
    assert {r: namespace["get_vertex_base_url"](r) for r in HOSTS} == HOSTS


# -- When Vertex AI refuses: each refusal with what Claude Code shows ----------------------
# Google's own bodies (vertex_wire), on the Predict calls only: the token endpoint answers,
# as it does when the key is valid and the project refuses.

REFUSALS = {  # name: (how Vertex AI refuses, what Claude Code then shows)
    "permission-denied": (
        lambda v: v.fail(403, vertex_wire.permission_denied(), times=20, path="Predict$"),
        "Failed to authenticate. API Error: 403 litellm.BadRequestError: Vertex_aiException "
        "BadRequestError - {\"error\": {\"code\": 403, \"message\": \"Permission "
        "'aiplatform.endpoints.predict' denied on resource"),
    "quota": (
        lambda v: v.fail(429, vertex_wire.quota_exceeded(), times=20, path="Predict$"),
        "API Error: Request rejected (429) · litellm.RateLimitError: litellm.RateLimitError: "
        "vertex_aiException - {\"error\": {\"code\": 429, \"message\": \"Quota exceeded for "
        "aiplatform.googleapis.com/online_prediction_requests_per_base_model"),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_vertex_refusals_through_the_gateway(name, gateway, vertex, terminal):
    refuse, shown = REFUSALS[name]
    refuse(vertex)
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    claude_failed_with(result, shown, within_s=60)
    calls = vertex.received("POST", r"Predict$")
    print(name, "door:", door.lines(), "vertex:", [(c.method, c.path) for c in vertex.received()])
    assert calls and {c.path for c in calls} == {PREDICT}, "the refusal came from Vertex AI"
    if name == "quota":
        # Every try, counted at both ends: Claude Code sends the request and retries the 429
        # (once, as the terminal allows: CLAUDE_CODE_MAX_RETRIES=1), and LiteLLM tries each
        # of those three times at Vertex AI before it passes the 429 on.
        posts = [r for r in door.requests if r.method == "POST"]
        assert door.lines() == ["HEAD /api/hello"] + ["POST /v1/messages?beta=true"] * 2
        assert len(calls) == 3 * len(posts) == 6, (door.lines(), len(calls))
        # Nothing else reached Vertex AI but the service account's token request, if LiteLLM
        # had none cached yet.
        assert [c.path for c in vertex.received() if c.path != "/token"] == [PREDICT] * 6
    captures.check(f"vertex/fails-{name}.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))


NOT_IN_REGION = ("litellm.exceptions.NotFoundError: litellm.NotFoundError: Vertex_aiException - "
                 "{\"error\": {\"code\": 404, \"message\": \"Publisher Model `projects/"
                 "my-gcp-project/locations/us-east5/publishers/anthropic/models/claude-opus-5-5` "
                 "was not found or your project does not have access to it.")
# LiteLLM's id of the deployment: a hash of its settings, which hold the stand-in's port, so
# it differs from run to run (and reads as a secret to the secret scan): shown as `…`.
DEPLOYMENT_ID = r"(?<=cooldown_list=\[')[0-9a-f]{64}(?='\])"
RESTING = ("API Error: Request rejected (429) · No deployments available for selected model, "
           "Try again in 5 seconds. All deployments for selected model are in cooldown.")


def test_model_not_in_the_region_through_the_gateway(gateways, gateway, vertex, terminal):
    """Vertex AI does not offer Opus in us-east5. Claude Code asks twice after a 404; LiteLLM
    rests the model's only deployment after Vertex AI's 404 (a 404 is not retried, and rests
    a deployment at once), so it refuses the second request itself, and that refusal is what
    Claude Code shows. Vertex AI's message is in the gateway's log."""
    vertex.unavailable.add(("us-east5", "claude-opus-5-5"))
    start = len(gateway.log())
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    log = gateway.log()[start:]
    gateways.free_port(gateway.port)  # its only Opus deployment rests: later tests start anew
    claude_failed_with(result, RESTING, within_s=60)
    posts = [r for r in door.requests if r.method == "POST"]
    calls = vertex.received("POST", r"Predict$")
    # Two requests from Claude Code, one reached Vertex AI (the 404); the gateway refused the
    # other without asking Vertex AI.
    assert len(posts) == 2 and len(calls) == 1 and calls[0].path == PREDICT, \
        (door.lines(), [c.path for c in calls])
    (line,) = {line for line in log.splitlines() if line.startswith(NOT_IN_REGION)}
    captures.check("vertex/fails-model-not-in-region.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(),
        re.sub(DEPLOYMENT_ID, "…", result.output)))
    captures.check("vertex/fails-model-not-in-region-gateway-log.txt", line + "\n")


def test_model_served_from_a_region_that_offers_it(gateways, google_gateway_env, vertex,
                                                   vertex_at_google, terminal):
    """The fix for the 404 above: Opus's entry names a region that offers it and no api_base,
    so LiteLLM calls Google's endpoint for that region (resolved to the stand-in for the
    gateway only, as for the pass-through above)."""
    google, ca = vertex_at_google
    google.reset()
    for fake in (vertex, google):  # us-east5 still does not offer Opus
        fake.unavailable.add(("us-east5", "claude-opus-5-5"))
    gateways.get(START, {"config.yaml": "vertex/07-config-opus-in-another-region.yaml"},
                 env={**google_gateway_env, "SSL_CERT_FILE": str(ca)},
                 hosts={EUROPE_HOST: "127.0.0.1"})
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    calls = google.received("POST", r"Predict$")
    assert calls and {c.path for c in calls} == {PREDICT.replace("us-east5", "europe-west1")}
    assert {c.header("host") for c in calls} == {EUROPE_HOST}, [c.headers for c in calls]
    assert not vertex.received("POST", r"Predict$"), "nothing went to us-east5"
