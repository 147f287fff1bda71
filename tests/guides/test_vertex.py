"""How-to: Claude Code and Vertex AI through LiteLLM (docs/how-to/vertex.md)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.harness import captures, components, tls, vertex_wire
from tests.harness.expect import claude_failed_with, claude_replied
from tests.harness.provider_fake import serving
from tests.harness.snippets import snippet

START = ("vertex/04-service-account.sh", "vertex/03-start-gateway.sh")
CONFIG = {"config.yaml": "vertex/02-config.yaml"}
PREDICT = ("/v1/projects/my-gcp-project/locations/us-east5/publishers/anthropic/models/"
           "claude-opus-5-5:streamRawPredict")


def test_google_auth_install_is_what_the_gateway_runs():
    """The install step is run into the gateway's environment before the tests (see
    harness/components.py); the version it pins is the one installed there."""
    (pin,) = re.findall(r"google-auth==([\w.]+)",
                        snippet("vertex/01-install-google-auth.sh").read_text())
    installed = subprocess.run(
        [components.litellm_bin() / "python", "-c",
         "import importlib.metadata as m; print(m.version('google-auth'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert installed == pin


@pytest.fixture
def gateway(gateways, google_gateway_env):
    return gateways.get(START, CONFIG, env=google_gateway_env)


def test_gateway_mode_reaches_vertex(gateway, vertex, terminal):
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    claude_replied(result, "pong")
    calls = vertex.received("POST", r"Predict$")
    assert {c.path for c in calls} == {PREDICT}
    call = calls[-1]  # earlier ones carried beta flags Vertex refused (see the beta trap)
    assert call.json["anthropic_version"] == vertex_wire.ANTHROPIC_VERSION
    assert "model" not in call.json, "Vertex AI names the model in the path, not the body"
    # The token the gateway minted from its key file, never the reader's gateway key.
    assert call.header("authorization") == f"Bearer {vertex_wire.ACCESS_TOKEN}"
    assert vertex.received("POST", r"^/token$"), "google-auth exchanged the key for a token"


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
PASS_THROUGH_START = ("vertex/04-service-account.sh", "vertex/06-pass-through-credentials.sh",
                      "vertex/03-start-gateway.sh")


@pytest.fixture(scope="module")
def vertex_at_google(isolated, tmp_path_factory):
    d = tmp_path_factory.mktemp("vertex-tls")
    context = tls.public().server_context(d, GOOGLE_HOST)
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
    captures.check("vertex/vertex-mode-through-gateway.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))
