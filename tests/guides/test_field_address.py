"""Field failures: the gateway's address and what it must answer besides /v1/messages
(docs/how-to/field-failures-address.md), with the real Claude Code and the quickstart's real
LiteLLM gateway in front of the provider stand-in."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied, upstream_messages
from tests.harness.start import components
from tests.harness.wire import front_door

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
ASK = "field-address/04-ask.sh"


@pytest.fixture
def gateway(gateways, provider):
    return gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


def _console(result) -> str:
    return captures.console(snippet(ASK).read_text(), result.output)


def test_base_url_ending_in_v1(gateway, upstream, terminal):
    with front_door.record(4000) as door:
        result = terminal.run("field-address/01-base-url-with-v1.sh", ASK)
    claude_failed_with(result, "There's an issue with the selected model")
    captures.check("field-address/base-url-v1.console", _console(result))
    print("front door:", door.lines())
    posts = [r.path for r in door.requests if r.method == "POST"]
    assert posts and all(p.startswith("/v1/v1/messages") for p in posts), door.lines()
    assert "/v1/v1/messages" in gateway.log(), "the gateway never saw the doubled path"
    assert re.search(r'"POST /v1/v1/messages\S* HTTP/1.1" 404', gateway.log()), \
        [line for line in gateway.log().splitlines() if "/v1/v1/" in line]
    assert not upstream_messages(upstream), "the request reached the provider"


def test_base_url_at_the_gateway_root(gateway, upstream, terminal):
    result = terminal.run("field-address/02-base-url-fixed.sh", ASK)
    claude_replied(result, "pong")
    assert upstream_messages(upstream)


def test_wrong_port(gateway, terminal):
    result = terminal.run("field-address/03-wrong-port.sh", ASK)
    claude_failed_with(result, "(ECONNREFUSED)")
    captures.check("field-address/wrong-port.console", _console(result))


def test_model_discovery_through_litellm(gateway, upstream, terminal):
    """LiteLLM answers GET /v1/models (OpenAI-shaped list of its model names); with discovery
    on, Claude Code still gets its answer."""
    with front_door.record(4000) as door:  # what Claude Code asked LiteLLM, in order
        result = terminal.run("field-address/02-base-url-fixed.sh",
                              "field-address/05-model-discovery.sh", ASK)
    claude_replied(result, "pong")
    sent = door.lines()
    assert "GET /v1/models?limit=1000" in sent, sent
    assert sent.index("GET /v1/models?limit=1000") < next(
        i for i, line in enumerate(sent) if line.startswith("POST /v1/messages")), sent
    listed = terminal.sh(
        "curl -s -H 'Authorization: Bearer sk-litellm-change-me' http://localhost:4000/v1/models"
        " | python3 -c 'import json,sys;"
        " print(*[m[\"id\"] for m in json.load(sys.stdin)[\"data\"]])'")
    assert listed.stdout.split() == ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]
    assert "/v1/models" in gateway.log()


def test_litellm_serves_count_tokens(gateway, upstream):
    """A gateway should answer the optional count_tokens route; LiteLLM passes it on."""
    import json
    import urllib.request
    body = json.dumps({"model": "claude-opus-5-5",
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(
        gateway.url + "/v1/messages/count_tokens", body,
        {"content-type": "application/json", "authorization": "Bearer sk-litellm-change-me"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        assert "input_tokens" in json.loads(answer.read())


# -- The Agent SDK -----------------------------------------------------------------------------

def test_agent_sdk_query_through_the_gateway(gateway, upstream, terminal):
    """The Python Agent SDK, installed by its snippet (before the tests: pip needs the
    network), runs one prompt through LiteLLM with the CLI's two variables."""
    (terminal.home / "agent-sdk").symlink_to(components.agent_sdk_venv())
    shutil.copyfile(snippet("agent-sdk/02-query.py"), terminal.project / "query.py")
    result = terminal.run("quickstart/06-connect-shell.sh", "agent-sdk/03-run.sh")
    ran("agent-sdk/02-query.py")  # copied byte for byte as query.py, run by 03-run.sh
    claude_replied(result, "pong")
    # The SDK runs the Claude Code its package carries, not the one on PATH.
    package = next(components.agent_sdk_venv().glob("lib/python*/site-packages/claude_agent_sdk"))
    bundled = re.search(r'__cli_version__ = "([^"]+)"',
                        (package / "_cli_version.py").read_text()).group(1)
    assert (package / "_bundled" / "claude").exists()
    sent = upstream_messages(upstream)
    assert sent, "the prompt did not reach the provider"
    body = sent[0].body.decode()
    # LiteLLM sends its own user-agent on; Claude Code's version is in its system prompt.
    assert f"cc_version={bundled}" in body, re.findall(r"cc_version=[^;\"]*", body)
    assert bundled == "2.1.332"  # as the page says
