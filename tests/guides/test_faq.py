"""The FAQ's measured answers (docs/faq/index.md): each runs the real Claude Code through the
real LiteLLM and counts at the provider stand-in or reads the gateway's own output."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_replied, upstream_messages

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
    from tests.harness.reader.terminal import Terminal
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


# A realistic piece of work: two prompts in one conversation (`claude -p`, then `claude -c -p`),
# each answered the way a model working in a repository answers: it lists the Markdown files,
# reads the README, then replies. Run by a developer, then again in the same checkout (the
# same work redone). What Claude Code sent is counted in the gateway's own request log; what
# reached the provider, at the provider.
SESSION_PROMPTS = ("Which Markdown files are in this project? Read the README.",
                   "Summarise the README in one line.")
REQUEST_LINE = re.compile(r'"POST /v1/messages\?beta=true HTTP/1.1" 200')


def _readme(body: dict) -> str:
    """The README's path, as the Glob result before it listed it."""
    found = re.search(r'(/[^"\\\s]+/README\.md)', json.dumps(body["messages"]))
    return found.group(1) if found else "README.md"


TOOL_STEPS = (lambda body: ("Glob", {"pattern": "*.md"}),
              lambda body: ("Read", {"file_path": _readme(body)}))


def _work_session(terminal) -> None:
    (terminal.project / "README.md").write_text("# Demo\n\nA project to try the gateway.\n")
    lines = [f"source {snippet(CONNECT)}"]
    for i, prompt in enumerate(SESSION_PROMPTS):
        lines.append(f"claude {'-c ' if i else ''}-p {shlex.quote(prompt)}")
    result = terminal.sh("\n".join(lines), timeout=180)
    assert result.code == 0, result.output


CACHES = {"in-memory cache": {"config.yaml": "faq/01-config-with-cache.yaml"},
          "Redis cache": {"config.yaml": "faq/05-config-with-redis-cache.yaml"}}


def test_response_cache_hits_in_a_multi_turn_session(gateways, provider, upstream,
                                                     redis_server, terminal):
    """The same two-prompt session with tool use, twice in one checkout, through LiteLLM with
    its in-memory cache and with Redis: requests Claude Code sent (the gateway's request log)
    and requests that reached the provider."""
    from tests.harness.wire import anthropic_tools
    anthropic_tools.use_tools(upstream, TOOL_STEPS)
    counts = {}
    for kind, config in CACHES.items():
        redis_server.flush()
        gateway = _gateway(gateways, provider, config=config)
        runs = []
        for _ in range(2):
            log, reached = len(gateway.log()), len(upstream_messages(upstream))
            _work_session(terminal)
            runs.append((len(REQUEST_LINE.findall(gateway.log()[log:])),
                         len(upstream_messages(upstream)) - reached))
        counts[kind] = runs
        if kind == "Redis cache":
            assert redis_server.keys(), "LiteLLM stored nothing in Redis"
    tools = {blk["name"] for r in upstream_messages(upstream) for m in r.json["messages"]
             if isinstance(m["content"], list) for blk in m["content"]
             if blk.get("type") == "tool_use"}
    assert tools == {"Glob", "Read"}, tools
    for kind, ((sent, reached), _) in counts.items():
        assert sent >= 3 * len(SESSION_PROMPTS) and reached == sent, \
            f"{kind}: a hit within the first session: {counts}"
    assert counts["in-memory cache"] == counts["Redis cache"], counts
    lines = [f"Summary written by the test: one conversation of {len(SESSION_PROMPTS)} prompts "
             "with tool use, then the same work again in the same checkout."]
    for kind, runs in counts.items():
        lines.append(f"{kind}:")
        lines += [f"  {who}: Claude Code sent {sent} requests, {reached} reached the provider, "
                  f"{sent - reached} answered from the cache"
                  for who, (sent, reached) in zip(("first time", "same work again"), runs)]
    captures.check("faq/cache-multi-turn.txt", "\n".join(lines))


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


def test_prometheus_callback_counts_without_prompts(gateways, provider, upstream, terminal):
    """The quickstart's one callback, prometheus: /metrics gains counters labelled with the
    model and the key's hash, never the prompt."""
    import urllib.request
    _gateway(gateways, provider)
    claude_replied(terminal.run(CONNECT, ASK), "pong")
    request = urllib.request.Request("http://localhost:4000/metrics",
                                     headers={"Authorization": f"Bearer {SECRETS['master key']}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        metrics = r.read().decode()
    assert "litellm_" in metrics, metrics[:500]
    assert "Reply with the word" not in metrics
    assert not any(v in metrics for v in SECRETS.values())
    # The request counter: one series per combination of these labels (fixed per family).
    labels = sorted({k for m in re.finditer(r"^litellm_proxy_total_requests_metric_total"
                                            r"\{([^}]*)\}", metrics, re.M)
                     for k in re.findall(r"(\w+)=", m.group(1))})
    assert "requested_model" in labels, labels
    captures.check("faq/logs-prometheus.txt", "Summary written by the test, from /metrics "
                   "after one Claude Code request:\n"
                   "the prompt: not present\nkeys: not present\n"
                   f"labels of the request counter: {', '.join(labels)}")


def test_alert_rules_name_what_litellm_exports(gateways, provider, upstream, terminal):
    """The production guide's alert rules (production/15-alert-rules.yml) read series the
    pinned LiteLLM really exports: after one answered and one failed request, /metrics holds
    every metric the rules name, and the failure is counted under a 5xx status_code, which
    the availability and error-rate rules select."""
    import urllib.request

    import yaml
    gateway = _gateway(gateways, provider)
    claude_replied(terminal.run(CONNECT, ASK), "pong")
    upstream.fail(500, times=10)  # every try LiteLLM makes for the next request
    body = json.dumps({"model": "claude-haiku-5-5", "max_tokens": 8,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    failed = urllib.request.Request(f"{gateway.url}/v1/messages", data=body, headers={
        "Authorization": f"Bearer {SECRETS['master key']}", "content-type": "application/json",
        "anthropic-version": "2023-06-01"})
    try:
        urllib.request.urlopen(failed, timeout=60)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    assert status >= 500, status
    request = urllib.request.Request(f"{gateway.url}/metrics", headers={
        "Authorization": f"Bearer {SECRETS['master key']}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        metrics = r.read().decode()
    rules = yaml.safe_load(snippet("production/15-alert-rules.yml").read_text())
    exprs = " ".join(rule["expr"] for g in rules["groups"] for rule in g["rules"])
    named = set(re.findall(r"\b(litellm_\w+)", exprs))
    assert named == {"litellm_proxy_total_requests_metric_total",
                     "litellm_input_tokens_metric_total"}, named
    for name in named:
        assert re.search(rf"^{name}\{{", metrics, re.M), f"{name} not exported:\n{metrics[:800]}"
    statuses = set(re.findall(r'^litellm_proxy_total_requests_metric_total\{[^}]*'
                              r'status_code="(\d+)"', metrics, re.M))
    assert "200" in statuses and any(s.startswith("5") for s in statuses), statuses


NGINX_START = ("enterprise/12-start-gateway.sh",)
NGINX_FILES = {"gateway.conf.template": "enterprise/10-gateway.conf.template",
               "developers.map": "enterprise/11-developers.map"}
DEVELOPER_TOKEN = "sk-gw-alice-change-me"  # in enterprise/11-developers.map


def test_what_nginx_logs_per_request(gateways, provider, upstream, terminal):
    """The enterprise guide's nginx gateway in front of the quickstart's LiteLLM: one line per
    request in its access log (nginx's default format), nothing on its error log."""
    from tests.harness.start import nginx
    _gateway(gateways, provider)
    gw = nginx.start(NGINX_START, NGINX_FILES)
    try:
        started = len(gw.log())
        claude_replied(terminal.run("enterprise/13-connect.sh", ASK), "pong")
        access = (gw.workdir / "gateway-access.log").read_text()
        errors = gw.log()[started:]
    finally:
        gw.stop()
    # The harness's own readiness probe (GET /healthz) comes first; then Claude Code's.
    lines = [ln for ln in access.splitlines() if "Python-urllib" not in ln]
    assert any('"POST /v1/messages?beta=true HTTP/1.1" 200' in ln for ln in lines), access
    for text in (access, errors):
        assert "Reply with the word" not in text and DEVELOPER_TOKEN not in text
        assert not any(v in text for v in SECRETS.values())
    shown = [re.sub(r'" (\d{3}) \d+ ', r'" \1 … ', re.sub(r"\[[^]]+\]", "[…]", ln))
             for ln in lines]
    captures.check("faq/logs-nginx.txt", "nginx's access log for one claude -p (time and "
                   "size masked):\n" + "\n".join(shown) + "\n\nlines on its error log: "
                   f"{len([ln for ln in errors.splitlines() if ln.strip()])}")


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
