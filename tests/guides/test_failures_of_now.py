"""Failures readers report through gateways, each reproduced with the pinned Claude Code and
the component where it lives (docs/troubleshooting/index.md: "A model that takes fewer output
tokens", "A claude.ai subscription login beside a gateway credential").

- Output limit: the provider stand-in refuses a Messages request that asks for more output
  tokens than LIMIT, with the Anthropic API's own words (`max_tokens: N > M, which is the
  maximum allowed number of output tokens for <model>`; the pinned binary matches the same
  words, `strings claude.exe | grep 'maximum allowed number of output tokens'`). It stands for
  a provider model, or a gateway route, with a lower output limit than Claude Code asks for.
  Through the quickstart's LiteLLM, and straight at an Anthropic-shaped gateway that passes
  the provider's answer on unchanged (the stand-in itself at ANTHROPIC_BASE_URL). What Claude
  Code sent is read at the address it was given (front_door), every request.
- Subscription login: the credentials file Claude Code writes after a claude.ai sign-in on
  Linux (~/.claude/.credentials.json), holding a made-up token, beside gateway credentials;
  the start-up notice read from an interactive session's screen, and which credential
  reached the gateway read at its door."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.start import releases
from tests.harness.wire import anthropic_tools, anthropic_wire, front_door
from tests.harness.wire.provider_fake import ProviderFake

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
CONNECT = "quickstart/06-connect-shell.sh"
FIRST_REQUEST = "quickstart/07-first-request.sh"
FIX = "troubleshooting/01-max-output-tokens.sh"
STATUS = "quickstart/09-status.sh"  # `claude`: an interactive session
GATEWAY_TOKEN = "enterprise/01-auth-token.sh"
GATEWAY_KEY = "enterprise/02-auth-api-key.sh"
UNSET_OWN_KEY = "connect/04-unset-own-key.sh"
SIGN_OUT = "connect/03-sign-out-subscription.sh"

LIMIT = 64000  # the gateway model's output limit here; Claude Code asks Opus for 128000
ASKED = 128000
ALICE = "sk-gw-alice-change-me"
SUBSCRIPTION = "sk-ant-oat01-subscription-token-change-me"  # made up; never valid anywhere
OWN_KEY = "sk-ant-alice-own-change-me"


# -- A model that takes fewer output tokens ---------------------------------------------------

def refuse_max_tokens_above(fake: ProviderFake, limit: int) -> None:
    """Until the fake's next reset, answer a Messages request whose max_tokens is above
    `limit` with 400 and the Anthropic API's message; the others as before."""
    routes = fake._routes
    method, pattern, served = next(r for r in routes if r[1].pattern.endswith("/v1/messages"))

    def messages(req, resp, m):
        asked = (req.json or {}).get("max_tokens", 0)
        if asked > limit:
            resp.json(400, anthropic_wire.error_body(400, (
                f"max_tokens: {asked} > {limit}, which is the maximum allowed number of output "
                f"tokens for {(req.json or {}).get('model')}")))
        else:
            served(req, resp, m)

    refusing = (method, pattern, messages)
    routes.insert(0, refusing)

    def undo() -> None:
        routes.remove(refusing)
        fake.on_reset.remove(undo)

    fake.on_reset.append(undo)


MESSAGES = re.compile(r"/v1/messages(\?|$)")


def max_tokens_sent(door) -> list[int]:
    """max_tokens of every Messages request at the door, in order."""
    return [json.loads(r.body)["max_tokens"] for r in door.requests
            if r.method == "POST" and MESSAGES.match(r.path)]


def not_messages(door) -> list[str]:
    """Every other request at the door but Claude Code's connection check (no body)."""
    return [str(r) for r in door.requests
            if not (r.method == "POST" and MESSAGES.match(r.path))
            and (r.method, r.path) != ("HEAD", "/api/hello")]


@pytest.fixture
def quickstart_gateway(gateways, provider):
    """The quickstart's LiteLLM (shared with the quickstart's tests), in front of the fake."""
    return gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


def test_output_limit_through_litellm_fails_with_the_providers_message(
        quickstart_gateway, upstream, terminal):
    refuse_max_tokens_above(upstream, LIMIT)
    with front_door.record(4000) as door:  # everything Claude Code sent to the gateway
        result = terminal.run(CONNECT, FIRST_REQUEST)
    print("front door:", door.lines(), max_tokens_sent(door))
    claude_failed_with(result, f"max_tokens: {ASKED} > {LIMIT}, which is the maximum allowed "
                               "number of output tokens for claude-opus-5-5")
    assert "API Error: 400 litellm.BadRequestError: AnthropicException" in result.output
    # Claude Code never lowered it: every Messages request asked for the same 128000.
    sent = max_tokens_sent(door)
    assert sent and set(sent) == {ASKED}, sent
    assert not not_messages(door), door.lines()
    # LiteLLM passed Claude Code's max_tokens on unchanged.
    assert [r.json["max_tokens"] for r in upstream.received("POST", r"^/v1/messages$")] == \
        [ASKED] * len(upstream.received("POST", r"^/v1/messages$"))
    captures.check("troubleshooting/max-tokens-refused.console", captures.console(
        snippet(FIRST_REQUEST).read_text(), result.output))


def test_max_output_tokens_sends_the_lower_limit(quickstart_gateway, upstream, terminal):
    refuse_max_tokens_above(upstream, LIMIT)
    with front_door.record(4000) as door:
        result = terminal.run(CONNECT, FIX, FIRST_REQUEST)
    print("front door:", door.lines(), max_tokens_sent(door))
    claude_replied(result, "pong")
    sent = max_tokens_sent(door)
    assert sent and set(sent) == {LIMIT}, sent  # every Messages request, the first one too
    assert not not_messages(door), door.lines()
    upstream_sent = [r.json["max_tokens"] for r in upstream.received("POST", r"^/v1/messages$")]
    assert upstream_sent and set(upstream_sent) == {LIMIT}, upstream_sent
    captures.check("troubleshooting/max-tokens-fixed.console", captures.console(
        snippet(FIRST_REQUEST).read_text(), result.output))  # the fix is the block above it


def test_a_gateway_passing_the_message_on_gets_the_lower_limit_by_itself(upstream, terminal):
    """A gateway that hands the provider's 400 on unchanged (the Anthropic API's own words in
    error.message): Claude Code sends the same request again with the limit the message
    names, and the answer comes."""
    refuse_max_tokens_above(upstream, LIMIT)
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url)
    with front_door.record(upstream.port) as door:
        result = terminal.run(GATEWAY_TOKEN, FIRST_REQUEST)
    print("front door:", door.lines(), max_tokens_sent(door))
    claude_replied(result, "pong")
    assert max_tokens_sent(door) == [ASKED, LIMIT], door.lines()
    assert not not_messages(door), door.lines()


# -- A claude.ai subscription login beside a gateway credential -------------------------------


def everything(door) -> str:
    return "\n".join(f"{r.method} {r.path} {r.headers} {r.body!r}" for r in door.requests)


def credentials(door) -> list[tuple[str, str | None, str | None]]:
    """Every request at the door, of any method and path: (what, x-api-key, authorization)."""
    return [(str(r), r.header("x-api-key"), r.header("authorization")) for r in door.requests]


def notice(screen: str) -> str:
    """The start-up notice about credentials, as the screen shows it: its line and the lines
    under it that start with `·`."""
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if "set · auth may not work" in line)
    out = [lines[start]]
    for line in lines[start + 1:]:
        if not line.strip().startswith("·"):
            break
        out.append(line)
    return "\n".join(line.rstrip() for line in out)


REPLY = "answered-by-the-gateway"  # not in the prompt typed, so the screen shows the answer


def ask(screen) -> str:
    return screen.type("Reply with the word pong", until=REPLY)


def session_at(terminal, gateway_url: str, *snippets: str, api_key: str | None = None):
    terminal.env.update(ANTHROPIC_BASE_URL=gateway_url,
                        CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL="1")
    terminal.seed_first_run(api_key=api_key)
    return terminal.session(*snippets, STATUS, timeout=60)


BOTH_SET = "⚠ Both claude.ai and ANTHROPIC_API_KEY set · auth may not work as expected"


def test_subscription_login_beside_a_gateway_key_warns_and_the_key_wins(upstream, terminal):
    upstream.reply_text = REPLY
    terminal.seed_subscription_login(SUBSCRIPTION)
    with front_door.record(upstream.port) as door:
        with session_at(terminal, upstream.url, GATEWAY_KEY, api_key=ALICE) as screen:
            shown = screen.wait(re.escape(BOTH_SET))
            ask(screen)
    print("front door:", door.lines())
    print(shown)
    text = notice(shown)
    assert text.startswith(BOTH_SET), text
    captures.check("troubleshooting/two-credentials-mistake-subscription.txt", text)
    print("credentials:", credentials(door))
    models = [r for r in door.requests if r.method == "POST"]
    assert models and all(r.header("x-api-key") == ALICE for r in models), door.lines()
    # Every request, whatever its method: the gateway key or no credential, never another.
    assert {(key, auth) for _, key, auth in credentials(door)} <= {(ALICE, None), (None, None)}, \
        credentials(door)
    assert SUBSCRIPTION not in everything(door), door.lines()


def test_subscription_login_beside_a_gateway_token_gives_no_notice(upstream, terminal):
    """ANTHROPIC_AUTH_TOKEN: the token goes to the gateway and the start screen says nothing
    about the login."""
    upstream.reply_text = REPLY
    terminal.seed_subscription_login(SUBSCRIPTION)
    with front_door.record(upstream.port) as door:
        with session_at(terminal, upstream.url, GATEWAY_TOKEN) as screen:
            shown = ask(screen)
    print(shown)
    assert "auth may not work as expected" not in shown and "overriding" not in shown, shown
    print("credentials:", credentials(door))
    models = [r for r in door.requests if r.method == "POST"]
    assert models and all(r.header("authorization") == f"Bearer {ALICE}" for r in models), \
        door.lines()
    # Every request, whatever its method: the gateway token or no credential, never another.
    assert {(key, auth) for _, key, auth in credentials(door)} <= {
        (None, f"Bearer {ALICE}"), (None, None)}, credentials(door)
    assert SUBSCRIPTION not in everything(door), door.lines()


def test_gateway_token_beside_your_own_key_warns(upstream, terminal):
    """ANTHROPIC_AUTH_TOKEN and an own ANTHROPIC_API_KEY: the same notice, and both go to the
    gateway; unset the key and the notice is gone."""
    upstream.reply_text = REPLY
    terminal.env["ANTHROPIC_API_KEY"] = OWN_KEY
    with front_door.record(upstream.port) as door:
        with session_at(terminal, upstream.url, GATEWAY_TOKEN, api_key=OWN_KEY) as screen:
            shown = screen.wait(r"Both ANTHROPIC_AUTH_TOKEN and ANTHROPIC_API_KEY set")
            ask(screen)
    print("front door:", door.lines())
    print(shown)
    text = notice(shown)
    assert text.startswith("⚠ Both ANTHROPIC_AUTH_TOKEN and ANTHROPIC_API_KEY set · auth may "
                           "not work as expected"), text
    models = [r for r in door.requests if r.method == "POST"]
    assert models and all(r.header("authorization") == f"Bearer {ALICE}"
                          and r.header("x-api-key") == OWN_KEY for r in models), door.lines()
    # Every request, whatever its method: both credentials together, or none.
    assert {(key, auth) for _, key, auth in credentials(door)} <= {
        (OWN_KEY, f"Bearer {ALICE}"), (None, None)}, credentials(door)
    captures.check("troubleshooting/two-credentials-mistake-own-key.txt", text)
    with front_door.record(upstream.port) as door:
        with session_at(terminal, upstream.url, GATEWAY_TOKEN, UNSET_OWN_KEY) as screen:
            shown = ask(screen)
    assert "auth may not work as expected" not in shown, shown
    assert OWN_KEY not in everything(door), door.lines()


def test_an_empty_api_key_lets_the_subscription_token_reach_the_gateway(upstream, terminal):
    """An empty ANTHROPIC_API_KEY is no gateway credential: with the address alone, the
    login's token is what the gateway receives."""
    terminal.seed_subscription_login(SUBSCRIPTION)
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url, ANTHROPIC_API_KEY="")
    with front_door.record(upstream.port) as door:
        claude_replied(terminal.run(FIRST_REQUEST), "pong")
    print("front door:", door.lines())
    print("credentials:", credentials(door))
    models = [r for r in door.requests if r.method == "POST"]
    assert models and all(r.header("authorization") == f"Bearer {SUBSCRIPTION}"
                          for r in models), door.lines()
    # Every request, whatever its method: the login's token or no credential (no empty key).
    assert {(key, auth) for _, key, auth in credentials(door)} <= {
        (None, f"Bearer {SUBSCRIPTION}"), (None, None)}, credentials(door)


# -- A strict proxy and role: "system" in messages ---------------------------------------------

def roles_sent(door) -> list[list[str]]:
    """The roles of `messages` in every Messages request at the door, in order."""
    return [[m.get("role") for m in json.loads(r.body).get("messages", [])]
            for r in door.requests if r.method == "POST" and MESSAGES.match(r.path)]


PROXY_APP = """
import os
from typing import Any, Literal

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

UPSTREAM = os.environ["UPSTREAM"]
LABEL = os.environ["LABEL"]  # keep: the upstream's Content-Type; "": none; else that one
app = FastAPI()
client = httpx.AsyncClient(timeout=None)


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["user", "assistant"]
    content: Any


class MessagesRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[Message]


if os.environ.get("STRICT"):
    @app.post("/v1/messages")
    async def messages(body: MessagesRequest, request: Request):
        return await forward(request)


@app.api_route("/{path:path}", methods=["GET", "HEAD", "POST"])
async def other(path: str, request: Request):
    return await forward(request)


async def forward(request: Request):
    headers = {k: v for k, v in request.headers.items() if k not in ("host", "content-length")}
    sent = client.build_request(request.method, UPSTREAM + request.url.path,
                                params=request.query_params, headers=headers,
                                content=await request.body())
    answer = await client.send(sent, stream=True)
    label = answer.headers.get("content-type") if LABEL == "keep" else LABEL or None
    return StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                             media_type=label)
"""


@contextmanager
def proxy(tmp_path, upstream_url: str, label: str = "keep", strict: bool = False):
    """A proxy in front of `upstream_url` (FastAPI and pydantic from the pinned LiteLLM's own
    environment, its refusals FastAPI's own), stopped by its PID when the block ends:
    `strict`: each Messages request is checked against a schema whose roles are `user` and
    `assistant` only; `label`: the Content-Type of its answers (`keep`: the upstream's,
    "": none at all, else that one)."""
    from tests.harness.start import components

    (tmp_path / "proxy_app.py").write_text(PROXY_APP)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"UPSTREAM": upstream_url, "LABEL": label, "PATH": "/usr/bin:/bin",
           **({"STRICT": "1"} if strict else {})}
    proc = subprocess.Popen(
        [str(components.litellm_bin() / "python"), "-m", "uvicorn", "proxy_app:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "proxy did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()  # the proxy this test started, by its PID
        proc.wait(timeout=10)


@pytest.fixture
def strict_proxy(upstream, tmp_path):
    with proxy(tmp_path, upstream.url, strict=True) as url:
        yield url


def body_roles(request) -> list[str]:
    """The roles of the `messages` list in a request's JSON body; none for any other body."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return []
    return [m.get("role") for m in body.get("messages", []) if isinstance(m, dict)] \
        if isinstance(body, dict) and isinstance(body.get("messages"), list) else []


def has_system(roles: list[str]) -> bool:
    return "system" in roles


def test_claude_code_sends_system_messages_in_the_conversation(upstream, terminal):
    """The request for a prompt carries a `role: "system"` message after the user's."""
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url)
    with front_door.record(upstream.port) as door:
        claude_replied(terminal.run(GATEWAY_TOKEN, FIRST_REQUEST), "pong")
    roles = roles_sent(door)
    print("front door:", door.lines(), roles)
    assert roles == [["user", "system"]], roles
    assert not not_messages(door), door.lines()


def proxy_answer(url: str, request) -> tuple[int, str]:
    """What the proxy answers (status, headers, body) to a request Claude Code sent it,
    sent again as it was."""
    import urllib.error
    import urllib.request
    headers = {k: v for k, v in request.headers.items()
               if k not in ("host", "content-length", "connection", "accept-encoding")}
    ask = urllib.request.Request(url + request.path, data=request.body, headers=headers,
                                 method=request.method)
    try:
        with urllib.request.urlopen(ask, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, \
                answer.read().decode(errors="replace")
    except urllib.error.HTTPError as refused:
        return refused.code, {k.lower(): v for k, v in refused.headers.items()}, \
            refused.read().decode(errors="replace")


INPUT_SHOULD_BE = "\"msg\":\"Input should be 'user' or 'assistant'\",\"input\":\"system\""


def test_a_strict_proxy_refusing_system_messages(strict_proxy, upstream, terminal):
    """The proxy refuses the first request with FastAPI's 422; Claude Code sends it again
    without the system message, and the answer comes."""
    terminal.env.update(ANTHROPIC_BASE_URL=strict_proxy)
    port = int(strict_proxy.rsplit(":", 1)[1])
    with front_door.record(port) as door:
        result = terminal.run(GATEWAY_TOKEN, FIRST_REQUEST)
    roles = roles_sent(door)
    print("front door:", door.lines(), roles)
    claude_replied(result, "pong")
    assert len(roles) == 2 and has_system(roles[0]) and not has_system(roles[1]), roles
    assert not not_messages(door), door.lines()
    first = next(r for r in door.requests if r.method == "POST")
    status, _, body = proxy_answer(strict_proxy, first)
    assert status == 422 and INPUT_SHOULD_BE in body, (status, body)
    captures.check("troubleshooting/strict-proxy-refused-system-role.txt", body)
    reached = [[m.get("role") for m in r.json["messages"]]
               for r in upstream.received("POST", r"^/v1/messages$")]
    assert reached == [roles[1]], reached


def test_a_strict_proxy_session_sends_system_messages_once(strict_proxy, upstream, terminal):
    """Two prompts in one session: only the first request carries a system message; after
    the refusal none does."""
    upstream.reply_text = REPLY
    port = int(strict_proxy.rsplit(":", 1)[1])
    with front_door.record(port) as door:
        with session_at(terminal, strict_proxy, GATEWAY_TOKEN) as screen:
            ask(screen)
            screen.type("Reply with the word pong again", until="again")
            shown = screen.wait(rf"(?s){REPLY}.*{REPLY}")
    roles = roles_sent(door)
    print(shown)
    print("front door:", door.lines(), roles)
    # Every request at the door, whatever its method and path: which carry a system-role
    # message anywhere in a `messages` list of their body.
    # Exactly one does: the first prompt's request, which the proxy refuses; the very next
    # request is the same one sent again without it, and none after carries one.
    carried = [i for i, r in enumerate(door.requests) if has_system(body_roles(r))]
    assert len(carried) == 1, (door.lines(), roles)
    refused, again = door.requests[carried[0]], door.requests[carried[0] + 1]
    assert proxy_answer(strict_proxy, refused)[0] == 422
    assert again.method == "POST" and MESSAGES.match(again.path)
    assert body_roles(again) == [r for r in body_roles(refused) if r != "system"], roles
    # The second prompt's request came after it (the whole conversation, no system role).
    assert roles[-1] == ["user", "assistant", "user"], roles
    assert "API Error" not in shown, shown


# -- Bedrock through a proxy that drops or changes Content-Type ----------------------------------

BEDROCK_FIRST_REQUEST = "bedrock/04-first-request.sh"
STREAM = re.compile(r"^/model/[^/]+/invoke-with-response-stream$")


def bedrock_mode_at(terminal, url: str) -> None:
    """Claude Code's own Bedrock mode, its Bedrock address the proxy's (the proxy stands
    between Claude Code and Bedrock; the Bedrock stand-in checks no signature)."""
    terminal.env.update(CLAUDE_CODE_USE_BEDROCK="1", ANTHROPIC_BEDROCK_BASE_URL=url,
                        CLAUDE_CODE_SKIP_BEDROCK_AUTH="1", AWS_REGION="us-east-1",
                        CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS="1")


def bedrock_posts(door) -> list[str]:
    """Every POST at the door (GET /inference-profiles, Claude Code's model lookup, is not
    one)."""
    return [r.path for r in door.requests if r.method == "POST"]


def content_type_of_answer(url: str, door) -> str | None:
    """The Content-Type the proxy gives its answer to the first POST Claude Code sent."""
    first = next(r for r in door.requests if r.method == "POST")
    return proxy_answer(url, first)[1].get("content-type")


def test_bedrock_through_a_proxy_that_drops_content_type(bedrock, terminal, tmp_path):
    with proxy(tmp_path, bedrock.url, label="") as url:
        bedrock_mode_at(terminal, url)
        with front_door.record(int(url.rsplit(":", 1)[1])) as door:
            result = terminal.run(BEDROCK_FIRST_REQUEST)
        print("front door:", door.lines())
        claude_replied(result, "pong")
        assert content_type_of_answer(url, door) is None
    posts = bedrock_posts(door)
    assert len(posts) == 1 and STREAM.match(posts[0]), door.lines()  # streamed, once


OCTET_STREAM = "application/octet-stream"
CHANGED = f'Bedrock streaming response has content-type "{OCTET_STREAM}"'


def test_bedrock_through_a_proxy_that_changes_content_type(bedrock, terminal, tmp_path):
    with proxy(tmp_path, bedrock.url, label=OCTET_STREAM) as url:
        bedrock_mode_at(terminal, url)
        with front_door.record(int(url.rsplit(":", 1)[1])) as door:
            result = terminal.run(BEDROCK_FIRST_REQUEST)
        print("front door:", door.lines())
        assert content_type_of_answer(url, door) == OCTET_STREAM
    claude_failed_with(result, "API Error: " + CHANGED, within_s=30)
    posts = bedrock_posts(door)
    assert len(posts) == 1 and STREAM.match(posts[0]), door.lines()  # no second attempt
    captures.check("troubleshooting/bedrock-content-type-changed.console", captures.console(
        snippet(BEDROCK_FIRST_REQUEST).read_text(), result.output))


def test_bedrock_content_type_guard_off_costs_a_request_without_streaming(
        bedrock, terminal, tmp_path):
    """The variable the message names: the answer comes, from a second request that does
    not stream, on every prompt."""
    with proxy(tmp_path, bedrock.url, label=OCTET_STREAM) as url:
        bedrock_mode_at(terminal, url)
        terminal.env["CLAUDE_CODE_DISABLE_BEDROCK_CONTENT_TYPE_GUARD"] = "1"
        with front_door.record(int(url.rsplit(":", 1)[1])) as door:
            claude_replied(terminal.run(BEDROCK_FIRST_REQUEST), "pong")
            claude_replied(terminal.run(BEDROCK_FIRST_REQUEST), "pong")
    print("front door:", door.lines())
    posts = bedrock_posts(door)
    assert len(posts) == 4, door.lines()
    for streamed, plain in (posts[0:2], posts[2:4]):
        assert STREAM.match(streamed) and plain.endswith("/invoke"), door.lines()


# -- A translating gateway's tool call with no name ---------------------------------------------

def tool_results(door) -> list[str]:
    """The text of every tool_result Claude Code sent back, in order."""
    out = []
    for r in door.requests:
        if r.method == "POST" and MESSAGES.match(r.path):
            for m in json.loads(r.body)["messages"]:
                for c in m["content"] if isinstance(m["content"], list) else []:
                    if c.get("type") == "tool_result":
                        content = c.get("content")
                        out.append(content if isinstance(content, str) else json.dumps(content))
    return out


def test_a_tool_call_named_null_gets_an_error_result(upstream, terminal):
    """The gateway's answer is a tool call whose name is JSON null, as a gateway translating
    from a chat-completions provider can emit: Claude Code answers the call as an unknown tool
    and carries on to the answer (2.1.330 crashed here: its changelog, quoted on the "what
    changed" page)."""
    anthropic_tools.use_tools(upstream, [lambda body: (None, {"command": "echo hi"})])
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url)
    with front_door.record(upstream.port) as door:
        result = terminal.run(GATEWAY_TOKEN, FIRST_REQUEST)
    print("front door:", door.lines(), result.code)
    print(tool_results(door))
    claude_replied(result, "pong")
    assert "TypeError" not in result.output and "session_crash" not in result.output
    assert tool_results(door) == [NAMELESS], door.lines()


NAMELESS = ("<tool_use_error>Error: No such tool available: tool_name_missing. The call arrived "
            "with no tool name; tool_name_missing is a placeholder for it. Call the tool you "
            "meant by its name, and if that fails the same way, tell the user.</tool_use_error>")


OLD = "2.1.330"  # the previous pin: readers who have not moved yet meet the crash


def test_a_tool_call_named_null_ended_claude_code_2_1_330(upstream, terminal):
    """The same answer ended Claude Code 2.1.330 with a crash report instead of the answer."""
    if not (releases.workdir("claude-code", OLD) / ".installed").exists():
        pytest.skip(f"Claude Code {OLD} not installed: `python -m tests.harness.start.components` "
                    "installs the releases the what-changed page compares")
    anthropic_tools.use_tools(upstream, [lambda body: (None, {"command": "echo hi"})])
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url, PATH=os.pathsep.join(
        [str(releases.bin_dir("claude-code", OLD)), terminal.env["PATH"]]))
    with front_door.record(upstream.port) as door:
        result = terminal.run(GATEWAY_TOKEN, FIRST_REQUEST)
    print("front door:", door.lines(), result.code)
    print(result.output)
    assert result.code == 1 and '"subtype":"error_during_execution"' in result.stdout, \
        result.output
    assert "null is not an object (evaluating 'I.name.startsWith')" in result.stdout
    assert "[session_crash] error_name=TypeError" in result.stdout, result.output
    assert tool_results(door) == [
        "<tool_use_error>Error: No such tool available: null</tool_use_error>"], door.lines()
    assert "pong" not in result.output, result.output
    captures.check("troubleshooting/tool-call-named-null.console", captures.console(
        snippet(FIRST_REQUEST).read_text(), result.output))


def test_a_tool_call_with_an_empty_name_gets_an_error_result(upstream, terminal):
    """An empty name instead: Claude Code answers the call with an error and carries on."""
    anthropic_tools.use_tools(upstream, [lambda body: ("", {"command": "echo hi"})])
    terminal.env.update(ANTHROPIC_BASE_URL=upstream.url)
    with front_door.record(upstream.port) as door:
        claude_replied(terminal.run(GATEWAY_TOKEN, FIRST_REQUEST), "pong")
    print("front door:", door.lines())
    assert tool_results(door) == [
        "<tool_use_error>Error: No such tool available: </tool_use_error>"], tool_results(door)
