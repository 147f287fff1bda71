"""The FAQ's measured answers (docs/faq/index.md): each runs the real Claude Code through the
real LiteLLM and counts at the provider stand-in or reads the gateway's own output."""

from __future__ import annotations

import re

import pytest

from tests.harness import captures
from tests.harness.expect import claude_replied, upstream_messages
from tests.harness.snippets import snippet

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
CONNECT = "quickstart/06-connect-shell.sh"
ASK = "quickstart/07-first-request.sh"


def _gateway(gateways, provider, start=START, config=CONFIG):
    return gateways.get(start, config, env={"ANTHROPIC_API_BASE": provider.url})


# -- Does a gateway cache save money with Claude Code? ---------------------------------------

def test_response_cache_answers_only_exact_repeats(gateways, provider, upstream, tmp_path):
    """Developer A asks the same thing twice in one project; developer B asks it in another
    project. Only A's repeat is answered from the cache: Claude Code's request carries the
    working directory, so no two projects share an entry."""
    from tests.harness.terminal import Terminal
    _gateway(gateways, provider, config={"config.yaml": "faq/01-config-with-cache.yaml"})
    a, b = Terminal(tmp_path / "a"), Terminal(tmp_path / "b")
    seen = []
    for who, terminal in (("developer A", a), ("developer A again", a), ("developer B", b)):
        claude_replied(terminal.run(CONNECT, ASK), "pong")
        seen.append((who, len(upstream_messages(upstream))))
    assert [n for _, n in seen] == [1, 1, 2], seen
    first, third = (r.body.decode() for r in upstream_messages(upstream))
    assert str(b.project) in third and str(b.project) not in first
    captures.check("faq/cache-hits.txt", "Summary written by the test:\n" + "\n".join(
        f"{who}: the provider has received {n} request(s)" for who, n in seen))


def test_without_cache_every_request_reaches_the_provider(gateways, provider, upstream,
                                                          terminal):
    _gateway(gateways, provider)
    for _ in range(2):
        claude_replied(terminal.run(CONNECT, ASK), "pong")
    assert len(upstream_messages(upstream)) == 2


def test_prompt_caching_request_reaches_the_provider(gateways, provider, upstream, terminal):
    """Claude Code marks its system prompt for the provider's prompt cache; LiteLLM passes
    the mark through unchanged."""
    _gateway(gateways, provider)
    claude_replied(terminal.run(CONNECT, ASK), "pong")
    (request,) = upstream_messages(upstream)
    marked = [b for b in request.json["system"] if "cache_control" in b]
    assert marked and marked[-1]["cache_control"] == {"type": "ephemeral"}, request.json["system"]


# -- Does the gateway log my prompts? -----------------------------------------------------------

PROMPT_MARK = "pong"  # the prompt is "Reply with the word pong"; its answer is "pong" too
SECRETS = {"provider key": "sk-ant-your-anthropic-key", "master key": "sk-litellm-change-me"}


@pytest.mark.parametrize("start", [
    "quickstart/03-start-gateway.sh", "faq/02-start-gateway-debug.sh",
    "faq/03-start-gateway-detailed-debug.sh"])
def test_what_litellm_logs_per_request(start, gateways, provider, upstream, terminal):
    gateway = gateways.get((start,), CONFIG, env={"ANTHROPIC_API_BASE": provider.url})
    before = len(gateway.log())
    claude_replied(terminal.run(CONNECT, ASK), "pong")
    log = gateway.log()[before:]
    logged = {
        "the prompt": "Reply with the word" in log,
        "Claude Code's system prompt": "You are an agent" in log or "Claude Code" in log,
        **{name: value in log for name, value in SECRETS.items()},
        "a request line": bool(re.search(r'"POST /v1/messages\?beta=true HTTP/1.1" 200', log)),
    }
    name = start.split("/")[-1].removesuffix(".sh")
    captures.check(f"faq/logs-{name}.txt", "Summary written by the test, from the gateway's "
                   "output for one Claude Code request:\n" + "\n".join(
                       f"{what}: {'printed' if shown else 'not printed'}"
                       for what, shown in logged.items()))


def test_litellm_writes_no_log_file(gateways, provider, upstream, terminal):
    """LiteLLM prints to its standard output and error; it writes no log file."""
    gateway = _gateway(gateways, provider)
    claude_replied(terminal.run(CONNECT, ASK), "pong")
    written = sorted(str(p.relative_to(gateway.workdir)) for p in gateway.workdir.rglob("*")
                     if p.is_file() and p.name not in ("config.yaml", "gateway.log"))
    assert not [p for p in written if "log" in p.lower()], written


# -- How do I check the gateway is healthy and list its models? -------------------------------

def test_list_models(gateways, provider, terminal):
    _gateway(gateways, provider)
    result = terminal.run(CONNECT, "faq/04-list-models.sh")
    assert result.code == 0 and '"id": "claude-opus-5-5"' in result.stdout, result.output
    captures.check("faq/list-models.console", captures.console(
        snippet("faq/04-list-models.sh").read_text(), result.stdout))


# -- How many developers can share one gateway? ------------------------------------------------

def test_requests_per_interactive_prompt(gateways, provider, upstream, terminal):
    """How many requests one prompt of an interactive session sends through the gateway,
    background requests included (the first prompt of a session also names it)."""
    import time
    _gateway(gateways, provider)
    terminal.seed_first_run()
    counts = []
    with terminal.session(CONNECT, "quickstart/09-status.sh", timeout=90) as session:
        for prompt, reply in (("Reply with the word pong", "pong"),
                              ("Reply again", "second answer"),
                              ("Reply once more", "third answer")):
            upstream.requests.clear()
            upstream.reply_text = reply
            session.type(prompt, reply)
            time.sleep(2)  # let the session's follow-up requests finish
            counts.append(sorted(r.json["model"] for r in upstream_messages(upstream)))
    assert all(counts), counts
    captures.check("faq/requests-per-prompt.txt", "Summary written by the test, from the "
                   "provider's request log, for three prompts of one interactive session:\n"
                   + "\n".join(f"prompt {i}: {len(c)} request(s) ({', '.join(c)})"
                               for i, c in enumerate(counts, 1)))
