"""How-to: Claude apps gateway with an upstream other than the Anthropic API
(docs/how-to/apps-gateway-upstreams.md): Amazon Bedrock as the only upstream, and the Anthropic
API first with Bedrock behind it. Real gateway (the pinned `claude gateway`), real PostgreSQL,
real IdP, real Claude Code signed in through the browser. The Bedrock provider fake speaks the
Bedrock runtime wire format and records what reaches it; here each Bedrock request's SigV4
signature is recomputed from the configured keys, so a request signed with anything else, for
another region or over other bytes fails the test. The front door on :8080 records what Claude
Code sent, so every request it sent is matched to one that reached a provider."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
from urllib.parse import quote

import yaml

from tests.harness.project import ROOT
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.start import apps_gateway
from tests.harness.wire import (
    anthropic_wire,
    aws_anthropic_wire,
    bedrock_wire,
    front_door,
    vertex_wire,
)
from tests.harness.wire.provider_fake import serving

BEDROCK = "apps-gateway-upstreams/01-gateway-bedrock.yaml"
BEDROCK_ENV = "apps-gateway-upstreams/02-bedrock-env.sh"
FAILOVER = "apps-gateway-upstreams/03-gateway-anthropic-then-bedrock.yaml"
FIRST_REQUEST = "apps-gateway/06-first-request.sh"
REGION = "us-east-1"
# Visibly fake AWS keys: the gateway signs with them, the test checks the signature with them.
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "fake-access-key-id-for-tests-only",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-access-key-for-tests-only"}
# The model Claude Code asks for by default, as Bedrock names its US inference profile. The
# shared Bedrock fake serves other models only; a model the AWS account cannot use is a test
# of its own below.
DEFAULT_MODEL = "claude-opus-4-7"
PROFILE = f"us.anthropic.{DEFAULT_MODEL}"
STREAM = f"/model/{PROFILE}/invoke-with-response-stream"


def with_default_model(fake):
    return bedrock_wire.install(fake, models=bedrock_wire.MODELS | {f"anthropic.{DEFAULT_MODEL}"})


def bedrock_world(world: dict, bedrock) -> dict:
    """The variables the Bedrock snippets reference: the region and keys of 02-bedrock-env.sh,
    the endpoint pointed at the Bedrock fake."""
    return {**world, "AWS_REGION": REGION, "BEDROCK_BASE_URL": bedrock.url, **FAKE_AWS}


def sigv4_ok(req, access_key: str, secret: str, region: str) -> bool:
    """Recompute the request's AWS Signature Version 4 (service bedrock) from the secret key
    and compare it with the one it carries."""
    m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/bedrock/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})",
                     req.header("authorization") or "")
    if not m or m[1] != access_key or m[3] != region:
        return False
    payload = hashlib.sha256(req.body).hexdigest()
    if req.header("x-amz-content-sha256") not in (None, payload):
        return False
    signed = m[4].split(";")
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                     for k in sorted(req.query) for v in sorted(req.query[k]))
    canonical = "\n".join([
        req.method, quote(req.path.split("?")[0], safe="/-_.~"), query,
        "".join(f"{h}:{' '.join((req.header(h) or '').split())}\n" for h in signed),
        m[4], payload])
    amz_date = req.header("x-amz-date")
    scope = f"{m[2]}/{region}/bedrock/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (m[2], region, "bedrock", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), m[5])


def sent_by_claude_code(door) -> list:
    return [r for r in door.requests if r.method == "POST" and r.path.startswith("/v1/messages")
            and not r.path.startswith("/v1/messages/count_tokens")]


def log_lines(gw, *words: str) -> str:
    """The gateway's log lines naming any of `words`, times and ids shown as `…`, each
    distinct line once (how many times Claude Code retries a refused turn varies)."""
    lines = [re.sub(r"^\[gateway\] \S+ ", "", line) for line in gw.log().splitlines()
             if any(w in line for w in words)]
    lines = [re.sub(r"request_id=[0-9a-f-]+", "request_id=…",
                    re.sub(r'"(ts|ms|request_id)":("[^"]*"|\d+)', r'"\1":"…"', line))
             for line in lines]
    return "\n".join(dict.fromkeys(lines)) + "\n"


def received_summary(req) -> str:
    """What one Bedrock request carried, as the page shows it."""
    auth = re.sub(r"/\d{8}/", "/YYYYMMDD/", req.header("authorization"))
    auth = re.sub(r"Signature=[0-9a-f]{64}", "Signature=…", auth)
    body = req.json
    return "\n".join([
        f"{req.method} {req.path}",
        f"authorization: {auth}",
        f"x-amz-date: {'present' if req.header('x-amz-date') else 'absent'}",
        f"body keys: {', '.join(sorted(body))}",
        f"body anthropic_version: {body['anthropic_version']}",
        f"body model: {body.get('model', '(absent: the model is in the path)')}",
    ]) + "\n"


def test_upstream_kinds_table_matches_the_pinned_schema():
    """The page's table of upstream kinds lists every `provider` the pinned binary's schema
    offers, and for each the keys of an upstream item the schema requires (besides
    `provider`), no more and no fewer."""
    from tests.harness.proof import apps_gateway_keys as keys
    required: dict[str, set[str]] = {}
    for k in keys.keys(keys.pinned()):
        if k.variant.startswith("provider: ") and k.path.count(".") == 1:
            kind = k.variant.removeprefix("provider: ")
            names = required.setdefault(kind, set())
            if keys.default_text(k.z) == "required" and not k.path.endswith(".provider"):
                names.add(k.path.removeprefix("upstreams[]."))
    page = (ROOT / "docs" / "how-to" / "apps-gateway-upstreams.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^\n]+) \|$", page, re.M)
    table = {kind: set(re.findall(r"`(\w+)`", re.sub(r"\(.*?\)", "", cell)))
             for kind, cell in rows if kind != "provider"}  # not the header row
    assert table == required, (table, required)


def test_bedrock_environment_snippet_sets_every_reference(terminal):
    """Sourced as the page says, 02-bedrock-env.sh sets every variable the Bedrock part of
    the gateway.yaml references, the endpoint being the region's own."""
    result = terminal.sh(f"source {snippet(BEDROCK_ENV)}\nenv")
    assert result.code == 0, result.output
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    referenced = set(re.findall(r"\$\{(\w+)\}", snippet(BEDROCK).read_text()))
    tutorial = set(re.findall(r"\$\{(\w+)\}", snippet("apps-gateway/01-gateway.yaml").read_text()))
    assert referenced - tutorial <= set(env), (referenced - tutorial) - set(env)
    assert env["BEDROCK_BASE_URL"] == f"https://bedrock-runtime.{env['AWS_REGION']}.amazonaws.com"
    # the failover file reads the tutorial's variables and these, nothing else
    failover = set(re.findall(r"\$\{(\w+)\}", snippet(FAILOVER).read_text()))
    assert failover <= tutorial | referenced, failover - tutorial - referenced


def test_bedrock_upstream_serves_a_first_request(apps_gateway_world, developers, upstream):
    """Bedrock as the only upstream: Claude Code, signed in to the gateway, gets its answer;
    every request it sent reached Bedrock (and nothing reached the Anthropic API), each
    SigV4-signed with the configured keys for the configured region, in Bedrock's own shape."""
    with serving(with_default_model) as bedrock:
        gw = apps_gateway.start({"gateway.yaml": BEDROCK},
                                bedrock_world(apps_gateway_world, bedrock))
        try:
            alice = developers.get("alice")
            with front_door.record(8080) as door:
                result = alice.run(FIRST_REQUEST)
            print(result.output, *door.lines(), sep="\n")
            claude_replied(result, "pong")
            sent = sent_by_claude_code(door)
            calls = bedrock.received("POST", r"^/model/")
            assert sent and len(calls) == len(sent), (door.lines(), [c.path for c in calls])
            for mine, call in zip(sent, calls):
                header = {b.strip() for b in (mine.header("anthropic-beta") or "").split(",")}
                print(sorted(header), call.json.get("anthropic_beta"))
                # the beta flags Claude Code sent as a header, in Bedrock's body field
                assert set(call.json["anthropic_beta"]) == header, (header, call.json)
                assert not call.header("anthropic-beta")
            assert not upstream.received(), "nothing may reach the Anthropic API"
            for call in calls:
                assert call.path == STREAM, call.path
                assert sigv4_ok(call, FAKE_AWS["AWS_ACCESS_KEY_ID"],
                                FAKE_AWS["AWS_SECRET_ACCESS_KEY"], REGION), call.headers
                assert call.json["anthropic_version"] == bedrock_wire.ANTHROPIC_VERSION
                assert "model" not in call.json
                # the developer's gateway session token goes no further than the gateway
                token = sent[0].header("authorization")
                assert token and token.split()[-1] not in str(call.headers)
                assert token.split()[-1].encode() not in call.body
            assert "x-api-key" not in calls[-1].headers
            events = apps_gateway.events(gw, "inference")
            assert len(events) == len(sent), events
            assert events[-1]["upstream"] == "bedrock" and events[-1]["status"] == 200, events
            assert all(e["model"] == DEFAULT_MODEL for e in events), events
            captures.check("apps-gateway-upstreams/bedrock-first-request.console",
                           captures.console(snippet(FIRST_REQUEST).read_text(), result.stdout))
            captures.check("apps-gateway-upstreams/bedrock-received.txt",
                           received_summary(calls[-1]))
            # each refusal is Bedrock's beta-flag refusal, logged by the gateway; Claude Code
            # sent the turn again with fewer flags until one was answered
            refused = [e for e in events if e["status"] == 400]
            assert len(refused) == len(events) - 1, events
            assert gw.log().count("bedrock: 400 invalid beta flag") == len(refused), gw.log()
            assert set(calls[-1].json["anthropic_beta"]) < set(calls[0].json["anthropic_beta"])
            captures.check("apps-gateway-upstreams/bedrock-log.txt", log_lines(
                gw, "upstreams 1:", "bedrock upstream 400", '"status":200'))
        finally:
            gw.stop()


def test_bedrock_model_the_account_cannot_use(apps_gateway_world, developers, bedrock,
                                              upstream):
    """Bedrock answers that the model id is invalid (this fake does not serve Claude Code's
    default model, as an AWS account or region without it): what the developer sees, and the
    gateway's log line naming the fix."""
    gw = apps_gateway.start({"gateway.yaml": BEDROCK}, bedrock_world(apps_gateway_world, bedrock))
    try:
        result = developers.get("alice").run(FIRST_REQUEST)
        print(result.output)
        assert result.code != 0
        calls = bedrock.received("POST", r"^/model/")
        assert calls and all(c.path == STREAM for c in calls), [c.path for c in calls]
        captures.check("apps-gateway-upstreams/bedrock-model-invalid.console",
                       captures.console(snippet(FIRST_REQUEST).read_text(), result.stdout))
        hint = log_lines(gw, "AWS says model id").splitlines()[0] + "\n"
        assert f"AWS says model id {PROFILE} (sent for {DEFAULT_MODEL}) is invalid" in hint, hint
        captures.check("apps-gateway-upstreams/bedrock-model-invalid-log.txt", hint)
    finally:
        gw.stop()


def test_failover_from_anthropic_to_bedrock(apps_gateway_world, developers, upstream):
    """The Anthropic API answers 529 (overloaded) to everything: each request Claude Code
    sends is tried at the Anthropic API first, then served by Bedrock, signed with the AWS
    keys; the Anthropic API saw the Anthropic key only."""
    with serving(with_default_model) as bedrock:
        upstream.fail(529, {"type": "error", "error": {"type": "overloaded_error",
                                                      "message": "Overloaded"}}, times=1000)
        gw = apps_gateway.start({"gateway.yaml": FAILOVER},
                                bedrock_world(apps_gateway_world, bedrock))
        try:
            alice = developers.get("alice")
            with front_door.record(8080) as door:
                result = alice.run(FIRST_REQUEST)
            print(result.output, *door.lines(), sep="\n")
            print(gw.log())
            claude_replied(result, "pong")
            sent = sent_by_claude_code(door)
            tried = upstream_messages(upstream)
            calls = bedrock.received("POST", r"^/model/")
            print("anthropic:", [(r.path, r.at) for r in tried])
            print("bedrock:", [(r.path, r.at) for r in calls])
            assert sent and len(calls) == len(sent) == len(tried), (
                door.lines(), [c.path for c in calls], [r.path for r in tried])
            # one attempt at the Anthropic API, then Bedrock, for every request in turn
            times = [t for pair in zip(tried, calls) for t in (pair[0].at, pair[1].at)]
            assert times == sorted(times), times
            assert all(r.header("x-api-key") == apps_gateway.UPSTREAM_KEY for r in tried)
            assert all("AWS4-HMAC-SHA256" not in (r.header("authorization") or "")
                       for r in tried)
            for call in calls:
                assert call.path == STREAM
                assert sigv4_ok(call, FAKE_AWS["AWS_ACCESS_KEY_ID"],
                                FAKE_AWS["AWS_SECRET_ACCESS_KEY"], REGION), call.headers
                assert "x-api-key" not in call.headers
            events = apps_gateway.events(gw, "inference")
            assert events[-1]["upstream"] == "bedrock" and events[-1]["status"] == 200, events
            assert all(e["upstream"] == "bedrock" for e in events), events
            # the 529s leave no line of their own in the log: only the boot line names the
            # Anthropic upstream (529 as a word: a config line's sha256 can hold the digits)
            assert [line for line in gw.log().splitlines()
                    if "anthropic(" in line or re.search(r"\b529\b", line)
                    or "verloaded" in line] == [
                        next(line for line in gw.log().splitlines() if "upstreams 2:" in line)]
            captures.check("apps-gateway-upstreams/failover-log.txt", log_lines(
                gw, "upstreams 2:", '"status":200'))
        finally:
            gw.stop()



def test_without_base_url_the_gateway_calls_the_regions_endpoint(apps_gateway_world, developers,
                                                                 tmp_path, upstream):
    """The Bedrock gateway.yaml without `base_url`: the gateway looks up the region's public
    Bedrock runtime host (which does not resolve in the test's network namespace), and sends
    nothing anywhere else; the developer gets the gateway's 502."""
    config = yaml.safe_load(snippet(BEDROCK).read_text())
    del config["upstreams"][0]["base_url"]
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    with serving(with_default_model) as bedrock:
        gw = apps_gateway.start({"gateway.yaml": path},
                                bedrock_world(apps_gateway_world, bedrock))
        try:
            result = developers.get("alice").run(FIRST_REQUEST)
            print(result.output, gw.log()[-3000:], sep="\n")
            assert result.code != 0 and "all upstreams failed" in result.output, result.output
            assert not bedrock.received() and not upstream.received()
            failed = [line for line in gw.log().splitlines() if "bedrock upstream 500" in line]
            assert failed and all(re.search(
                rf"getaddrinfo \w+ bedrock-runtime\.{REGION}\.amazonaws\.com", line)
                for line in failed), failed
        finally:
            gw.stop()



# -- Google Cloud's Agent Platform (Vertex AI) -------------------------------------------------

VERTEX = "apps-gateway-upstreams/04-gateway-vertex.yaml"
VERTEX_ENV = "apps-gateway-upstreams/05-vertex-env.sh"
VERTEX_REGION, PROJECT = "us-east5", "my-gcp-project"
VERTEX_PATH = (f"/v1/projects/{PROJECT}/locations/{VERTEX_REGION}/publishers/anthropic/models/"
               f"{DEFAULT_MODEL}:streamRawPredict")


def vertex_with_default_model(fake):
    return vertex_wire.install(fake, models=vertex_wire.MODELS | {DEFAULT_MODEL})


def vertex_world(world: dict, vertex, **extra) -> dict:
    """The variables 05-vertex-env.sh sets, the endpoint being the Vertex fake's /v1."""
    return {**world, "VERTEX_REGION": VERTEX_REGION, "VERTEX_PROJECT_ID": PROJECT,
            "VERTEX_BASE_URL": vertex.url + "/v1", "VERTEX_ACCESS_TOKEN": vertex_wire.ACCESS_TOKEN,
            **extra}


def test_vertex_environment_snippet_sets_every_reference(terminal):
    result = terminal.sh(f"source {snippet(VERTEX_ENV)}\nenv")
    assert result.code == 0, result.output
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    referenced = set(re.findall(r"\$\{(\w+)\}", snippet(VERTEX).read_text()))
    tutorial = set(re.findall(r"\$\{(\w+)\}", snippet("apps-gateway/01-gateway.yaml").read_text()))
    assert referenced - tutorial <= set(env), (referenced - tutorial) - set(env)
    assert env["VERTEX_BASE_URL"] == \
        f"https://{env['VERTEX_REGION']}-aiplatform.googleapis.com/v1", env


def test_vertex_upstream_serves_a_first_request(apps_gateway_world, developers, upstream):
    """Agent Platform (Vertex AI) as the only upstream, with an OAuth access token: every
    request Claude Code sent reached Vertex under the project and region configured, with the
    token, in Vertex's shape (the model in the path, Vertex's anthropic_version)."""
    with serving(vertex_with_default_model) as vertex:
        gw = apps_gateway.start({"gateway.yaml": VERTEX}, vertex_world(apps_gateway_world, vertex))
        try:
            with front_door.record(8080) as door:
                result = developers.get("alice").run(FIRST_REQUEST)
            print(result.output, *door.lines(), sep="\n")
            claude_replied(result, "pong")
            sent = sent_by_claude_code(door)
            calls = vertex.received("POST", r"/publishers/anthropic/models/")
            assert sent and len(calls) == len(sent), (door.lines(), [c.path for c in calls])
            assert not upstream.received(), "nothing may reach the Anthropic API"
            token = sent[0].header("authorization").split()[-1]
            for mine, call in zip(sent, calls):
                # Claude Code's beta flags reach Vertex as the same header, all of them
                flags = [{b.strip() for b in (r.header("anthropic-beta") or "").split(",")}
                         for r in (mine, call)]
                assert flags[0] == flags[1] and "anthropic_beta" not in call.json, flags
                assert call.path == VERTEX_PATH, call.path
                assert call.header("authorization") == f"Bearer {vertex_wire.ACCESS_TOKEN}"
                assert call.json["anthropic_version"] == vertex_wire.ANTHROPIC_VERSION
                assert "model" not in call.json and "x-api-key" not in call.headers
                assert token not in str(call.headers) and token.encode() not in call.body
            events = apps_gateway.events(gw, "inference")
            assert len(events) == len(sent), events
            assert events[-1]["upstream"] == "vertex" and events[-1]["status"] == 200, events
            body = calls[-1].json
            captures.check("apps-gateway-upstreams/vertex-received.txt", "\n".join([
                f"{calls[-1].method} {calls[-1].path}",
                "authorization: Bearer <the configured access token>",
                "anthropic-beta: <the flags Claude Code sent, unchanged>",
                f"body keys: {', '.join(sorted(body))}",
                f"body anthropic_version: {body['anthropic_version']}",
            ]) + "\n")
            captures.check("apps-gateway-upstreams/vertex-log.txt", log_lines(
                gw, "upstreams 1:", "auto_include_builtin_models", '"status":200'))
        finally:
            gw.stop()


def test_vertex_defaults_and_key_file_reach_google(apps_gateway_world, developers, tmp_path,
                                                   upstream):
    """Without `base_url` the gateway looks up the region's Agent Platform host; with
    `auth.service_account_json` naming a key file, it asks Google's token host for a token,
    although the key file's token_uri names the Vertex fake. Neither host resolves in the
    test's network namespace; nothing reaches the fake."""
    key = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, text=True,
                         check=True).stdout
    with serving(vertex_with_default_model) as vertex:
        key_file = tmp_path / "gateway-sa.json"
        key_file.write_text(json.dumps({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "fake-key-id",
            "private_key": key, "client_email": f"gateway@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "000000000000000000000", "token_uri": vertex.url + "/token"}))
        for change, host in (
                (lambda u: u.pop("base_url"), f"{VERTEX_REGION}-aiplatform.googleapis.com"),
                (lambda u: u.update(auth={"service_account_json": str(key_file)}),
                 "oauth2.googleapis.com")):
            config = yaml.safe_load(snippet(VERTEX).read_text())
            change(config["upstreams"][0])
            path = tmp_path / "gateway.yaml"
            path.write_text(yaml.safe_dump(config, sort_keys=False))
            gw = apps_gateway.start({"gateway.yaml": path},
                                    vertex_world(apps_gateway_world, vertex))
            try:
                result = developers.get("alice").run(FIRST_REQUEST)
                print(result.output, gw.log()[-2000:], sep="\n")
                assert result.code != 0 and "all upstreams failed" in result.output
                failed = [line for line in gw.log().splitlines() if "vertex upstream 500" in line]
                assert failed and all(re.search(rf"getaddrinfo \w+ {re.escape(host)}\)?$", line)
                                      for line in failed), failed
            finally:
                gw.stop()
        assert not vertex.received() and not upstream.received()


# -- Claude Platform on AWS, Bedrock Mantle and Microsoft Foundry -------------------------------
# Each speaks the Anthropic Messages API; what differs is the door in front of it
# (aws_anthropic_wire checks a SigV4 signature in full against the secret key the gateway was
# given, and the workspace header; Foundry's key is compared here). Every request Claude Code
# sent to the gateway is matched to one that arrived, and each one that arrived is checked.

PLATFORM = "apps-gateway-upstreams/06-gateway-anthropic-aws.yaml"
PLATFORM_ENV = "apps-gateway-upstreams/07-anthropic-aws-env.sh"
MANTLE = "apps-gateway-upstreams/08-gateway-mantle.yaml"
MANTLE_ENV = "apps-gateway-upstreams/09-mantle-env.sh"
FOUNDRY = "apps-gateway-upstreams/10-gateway-foundry.yaml"
FOUNDRY_ENV = "apps-gateway-upstreams/11-foundry-env.sh"
WORKSPACE = "wrkspc_your-workspace-id"  # 07-anthropic-aws-env.sh's value
PLATFORM_SERVICE = "aws-external-anthropic"
# The service the gateway signs Mantle requests for: the pinned binary's Mantle client names
# `bedrock-mantle` (LiteLLM's names `bedrock`, the name aws_anthropic_wire.install_mantle
# checks), so the Mantle stand-in here is gated on the name the gateway uses, in full.
MANTLE_SERVICE = "bedrock-mantle"
MANTLE_MODEL = f"anthropic.{DEFAULT_MODEL}"
FOUNDRY_RESOURCE = "your-foundry-resource"  # 11-foundry-env.sh's value: never resolved here
FOUNDRY_KEY = "foundry-api-key-for-tests-only"


def env_of(env_snippet: str, config: str, terminal) -> dict:
    """Source `env_snippet` as the page says; it must set every variable `config` references
    beyond the tutorial's."""
    result = terminal.sh(f"source {snippet(env_snippet)}\nenv")
    assert result.code == 0, result.output
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    referenced = set(re.findall(r"\$\{(\w+)\}", snippet(config).read_text()))
    tutorial = set(re.findall(r"\$\{(\w+)\}", snippet("apps-gateway/01-gateway.yaml").read_text()))
    assert referenced - tutorial <= set(env), (referenced - tutorial) - set(env)
    return env


def test_platform_mantle_foundry_environment_snippets_set_every_reference(terminal):
    """Each environment snippet sets every variable its gateway.yaml references, with the
    provider's own endpoint as Anthropic's and AWS's documentation name it."""
    env = env_of(PLATFORM_ENV, PLATFORM, terminal)
    assert env["CLAUDE_PLATFORM_BASE_URL"] == \
        f"https://aws-external-anthropic.{env['AWS_REGION']}.api.aws", env
    env = env_of(MANTLE_ENV, MANTLE, terminal)
    assert env["MANTLE_BASE_URL"] == \
        f"https://bedrock-mantle.{env['AWS_REGION']}.api.aws/anthropic", env
    env = env_of(FOUNDRY_ENV, FOUNDRY, terminal)
    assert env["FOUNDRY_BASE_URL"] == \
        f"https://{env['FOUNDRY_RESOURCE']}.services.ai.azure.com/anthropic", env


def _first_request(gw, developers, fake):
    """The signed-in developer asks for the first answer through `gw`: (result, what Claude
    Code sent to the gateway, every request that reached `fake`)."""
    with front_door.record(8080) as door:
        result = developers.get("alice").run(FIRST_REQUEST)
    print(result.output, *door.lines(), sep="\n")
    print(gw.log()[-3000:])
    sent = sent_by_claude_code(door)
    calls = fake.received()
    print("arrived:", [(c.path, c.header("authorization"), c.header("x-api-key")) for c in calls])
    return result, sent, calls


def _not_passed_on(sent, call) -> None:
    """The developer's gateway token is nowhere in what reached the provider."""
    token = sent[0].header("authorization")
    assert token and token.split()[-1] not in str(call.headers), call.headers
    assert token.split()[-1].encode() not in call.body


def _summary(call, auth: str, *extra: str) -> str:
    body = call.json
    return "\n".join([f"{call.method} {call.path}", auth, *extra,
                      f"body model: {body.get('model')}",
                      f"body stream: {str(body.get('stream')).lower()}"]) + "\n"


def test_claude_platform_aws_upstream_serves_a_first_request(apps_gateway_world, developers,
                                                            upstream):
    """Claude Platform on AWS as the only upstream: every request Claude Code sent reached
    `POST /v1/messages`, SigV4-signed for aws-external-anthropic in the configured region with
    the configured keys (the stand-in recomputes the signature), naming the configured
    workspace, with the model's Claude Platform id; no x-api-key, no gateway token."""
    with serving(lambda fake: aws_anthropic_wire.install_claude_platform(
            fake, WORKSPACE, FAKE_AWS["AWS_SECRET_ACCESS_KEY"], REGION)) as platform:
        world = {**apps_gateway_world, "AWS_REGION": REGION, **FAKE_AWS,
                 "CLAUDE_PLATFORM_WORKSPACE_ID": WORKSPACE,
                 "CLAUDE_PLATFORM_BASE_URL": platform.url}
        gw = apps_gateway.start({"gateway.yaml": PLATFORM}, world)
        try:
            result, sent, calls = _first_request(gw, developers, platform)
            claude_replied(result, "pong")
            assert sent and len(calls) == len(sent), ([r.path for r in sent],
                                                      [c.path for c in calls])
            assert not upstream.received(), "nothing may reach the Anthropic API"
            for call in calls:
                assert (call.method, call.path) == ("POST", "/v1/messages"), call.path
                signature = aws_anthropic_wire.sigv4(call, FAKE_AWS["AWS_SECRET_ACCESS_KEY"])
                assert signature and signature["service"] == PLATFORM_SERVICE \
                    and signature["region"] == REGION \
                    and signature["access_key_id"] == FAKE_AWS["AWS_ACCESS_KEY_ID"], call.headers
                assert call.header("anthropic-workspace-id") == WORKSPACE
                assert call.header("x-api-key") is None
                assert call.json["model"] == DEFAULT_MODEL, call.json.get("model")
                _not_passed_on(sent, call)
            events = apps_gateway.events(gw, "inference")
            assert len(events) == len(sent), events
            assert events[-1]["upstream"] == "claude-platform-aws" and \
                events[-1]["status"] == 200, events
            captures.check("apps-gateway-upstreams/anthropic-aws-first-request.console",
                           captures.console(snippet(FIRST_REQUEST).read_text(), result.stdout))
            auth = re.sub(r"Signature=[0-9a-f]{64}", "Signature=…",
                          re.sub(r"/\d{8}/", "/YYYYMMDD/", calls[-1].header("authorization")))
            captures.check("apps-gateway-upstreams/anthropic-aws-received.txt", _summary(
                calls[-1], f"authorization: {auth}",
                f"anthropic-workspace-id: {calls[-1].header('anthropic-workspace-id')}",
                "x-api-key: absent"))
        finally:
            gw.stop()


def _mantle_wire(fake):
    """Bedrock Mantle: the Messages API at /anthropic/v1/messages, for requests SigV4-signed
    for bedrock-mantle in REGION with the configured secret key, naming the model's Bedrock id."""
    anthropic_wire.install(fake, prefix="/anthropic")

    def check(req):
        signature = aws_anthropic_wire.sigv4(req, FAKE_AWS["AWS_SECRET_ACCESS_KEY"])
        if not signature or signature["service"] != MANTLE_SERVICE \
                or signature["region"] != REGION:
            return 403, "signature refused"
        if (req.json or {}).get("model") != MANTLE_MODEL:
            return 404, f"model {(req.json or {}).get('model')} not found"
        return None

    aws_anthropic_wire._gate(fake, check)
    return fake


def test_mantle_upstream_serves_a_first_request(apps_gateway_world, developers, upstream):
    """Bedrock Mantle as the only upstream: every request Claude Code sent reached
    `POST /anthropic/v1/messages`, SigV4-signed for bedrock-mantle in the configured region with
    the configured keys, the model in Bedrock's form in the body; no gateway token."""
    with serving(_mantle_wire) as mantle:
        world = {**apps_gateway_world, "AWS_REGION": REGION, **FAKE_AWS,
                 "MANTLE_BASE_URL": mantle.url + "/anthropic"}
        gw = apps_gateway.start({"gateway.yaml": MANTLE}, world)
        try:
            result, sent, calls = _first_request(gw, developers, mantle)
            claude_replied(result, "pong")
            assert sent and len(calls) == len(sent), ([r.path for r in sent],
                                                      [c.path for c in calls])
            assert not upstream.received(), "nothing may reach the Anthropic API"
            for call in calls:
                assert (call.method, call.path) == ("POST", "/anthropic/v1/messages"), call.path
                signature = aws_anthropic_wire.sigv4(call, FAKE_AWS["AWS_SECRET_ACCESS_KEY"])
                assert signature and signature["service"] == MANTLE_SERVICE \
                    and signature["region"] == REGION \
                    and signature["access_key_id"] == FAKE_AWS["AWS_ACCESS_KEY_ID"], call.headers
                assert call.json["model"] == MANTLE_MODEL, call.json.get("model")
                assert call.header("x-api-key") is None
                _not_passed_on(sent, call)
            events = apps_gateway.events(gw, "inference")
            assert len(events) == len(sent), events
            assert events[-1]["upstream"] == "mantle" and events[-1]["status"] == 200, events
            captures.check("apps-gateway-upstreams/mantle-first-request.console",
                           captures.console(snippet(FIRST_REQUEST).read_text(), result.stdout))
            auth = re.sub(r"Signature=[0-9a-f]{64}", "Signature=…",
                          re.sub(r"/\d{8}/", "/YYYYMMDD/", calls[-1].header("authorization")))
            captures.check("apps-gateway-upstreams/mantle-received.txt", _summary(
                calls[-1], f"authorization: {auth}", "x-api-key: absent"))
        finally:
            gw.stop()


def test_foundry_upstream_serves_a_first_request(apps_gateway_world, developers, upstream):
    """Microsoft Foundry as the only upstream, with an API key and `base_url`: every request
    Claude Code sent reached `POST <base_url>/v1/messages` with the Foundry key in x-api-key,
    no Authorization header, the model's Foundry id (the resource's own host, which does not
    resolve here, is never called: every request arrived at base_url)."""
    with serving(lambda fake: anthropic_wire.install(fake, prefix="/anthropic")) as foundry:
        world = {**apps_gateway_world, "FOUNDRY_RESOURCE": FOUNDRY_RESOURCE,
                 "FOUNDRY_BASE_URL": foundry.url + "/anthropic", "FOUNDRY_API_KEY": FOUNDRY_KEY}
        gw = apps_gateway.start({"gateway.yaml": FOUNDRY}, world)
        try:
            result, sent, calls = _first_request(gw, developers, foundry)
            claude_replied(result, "pong")
            assert sent and len(calls) == len(sent), ([r.path for r in sent],
                                                      [c.path for c in calls])
            assert not upstream.received(), "nothing may reach the Anthropic API"
            for call in calls:
                assert (call.method, call.path) == ("POST", "/anthropic/v1/messages"), call.path
                assert call.header("x-api-key") == FOUNDRY_KEY, call.headers
                assert call.header("authorization") is None, call.headers
                assert call.json["model"] == DEFAULT_MODEL, call.json.get("model")
                _not_passed_on(sent, call)
            events = apps_gateway.events(gw, "inference")
            assert len(events) == len(sent), events
            assert events[-1]["upstream"] == "foundry" and events[-1]["status"] == 200, events
            captures.check("apps-gateway-upstreams/foundry-first-request.console",
                           captures.console(snippet(FIRST_REQUEST).read_text(), result.stdout))
            captures.check("apps-gateway-upstreams/foundry-received.txt", _summary(
                calls[-1], "x-api-key: <the configured Foundry key>", "authorization: absent"))
        finally:
            gw.stop()
