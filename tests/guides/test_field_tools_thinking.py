"""Field failures: tool schemas and thinking blocks in Claude Code's requests through a gateway
(docs/how-to/field-failures-tools-thinking.md). Real Claude Code (also as the MCP server, with
`claude mcp serve`), real LiteLLM; the provider stand-in signs thinking blocks per API key."""

from __future__ import annotations

import json

import pytest

from tests.harness.proof import captures
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.wire import anthropic_tools, front_door

LITELLM_START = ("quickstart/03-start-gateway.sh",)
LITELLM_CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
CONNECT = "quickstart/06-connect-shell.sh"
WITH_MCP = "field-tools/01-ask-with-mcp-server.sh"
TOOL_SEARCH_OFF = "field-tools/02-tool-search-off.sh"
TOOL_SEARCH_BETA = "advanced-tool-use-2025-11-20"  # sent with ToolSearch, measured

FALLBACK_START = ("field-caching/03-start-gateway.sh",)
FALLBACK_CONFIG = {"config.yaml": "field-thinking/01-fallback-config.yaml"}
ASK_WITH_TOOL = "field-thinking/02-ask-with-a-tool.sh"
TEAM_A, TEAM_B = "sk-ant-your-team-a-key", "sk-ant-your-team-b-key"  # 03-start-gateway.sh


# -- Tool search and MCP tool schemas ------------------------------------------------------

def _tools_row(label: str, request) -> list[str]:
    tools = request.json.get("tools", [])
    mcp = [t for t in tools if t["name"].startswith("mcp__")]
    deferred = [t for t in tools if t.get("defer_loading")]
    search = "yes" if any(t["name"] == "ToolSearch" for t in tools) else "no"
    return [label, f"{len(request.body) // 1000} KB", str(len(tools)), str(len(mcp)),
            str(len(deferred)), search]


def test_tool_search_through_litellm(gateways, provider, upstream, terminal):
    gateways.get(LITELLM_START, LITELLM_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})
    rows = []
    for label, snippets in (("One MCP server", [CONNECT, WITH_MCP]),
                            ("One MCP server, `ENABLE_TOOL_SEARCH=false`",
                             [CONNECT, TOOL_SEARCH_OFF, WITH_MCP])):
        upstream.reset()
        claude_replied(terminal.run(*snippets), "pong")
        first = upstream_messages(upstream)[0]
        rows.append(_tools_row(label, first))
        names = [t["name"] for t in first.json["tools"]]
        betas = first.header("anthropic-beta").split(",")
        if "ENABLE_TOOL_SEARCH" in label:
            assert "ToolSearch" not in names and any(n.startswith("mcp__") for n in names)
            assert TOOL_SEARCH_BETA not in betas
        else:
            assert "ToolSearch" in names and not any(n.startswith("mcp__") for n in names)
            assert TOOL_SEARCH_BETA in betas, "LiteLLM forwards the tool search beta"
    head = ["Run {proof}`test_tool_search_through_litellm`", "Request body", "Tools",
            "MCP tools", "Deferred", "ToolSearch sent"]
    table = "| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n" + "".join(
        "| " + " | ".join(r) + " |\n" for r in rows)
    captures.check("field-tools/tool-search.md", table, figures=r"\d+ KB")
    sizes = [int(r[1].split()[0]) for r in rows]
    assert sizes[1] > 3 * sizes[0], f"schemas up front should cost much more: {sizes}"


# -- Thinking blocks across a fallback -----------------------------------------------------

@pytest.fixture
def fallback_gateway(gateways, provider):
    return gateways.get(FALLBACK_START, FALLBACK_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


def _thinking_in(request) -> list[str]:
    return [b.get("signature", "") for m in request.json["messages"]
            if isinstance(m.get("content"), list) for b in m["content"]
            if b.get("type") == "thinking"]


def test_thinking_signature_after_a_fallback(fallback_gateway, upstream, terminal):
    (terminal.project / "notes.txt").write_text("pong\n")
    anthropic_tools.think_then_use_tool(
        upstream, "Read", {"file_path": str(terminal.project / "notes.txt")}, down_key=TEAM_A)
    with front_door.record(4000) as door:  # who sends the turn again: Claude Code or LiteLLM
        result = terminal.run(CONNECT, ASK_WITH_TOOL)
    calls = upstream_messages(upstream)
    posts = [json.loads(r.body) for r in door.requests if r.method == "POST"]
    print("front door:", door.lines())
    thinking = [any(b.get("type") == "thinking" for m in p["messages"]
                    if isinstance(m.get("content"), list) for b in m["content"]) for p in posts]
    # Claude Code's own requests: the prompt, then the tool result with the thinking block,
    # once. The request without the block that follows the refusal is LiteLLM's, not Claude
    # Code's: nothing else was sent to the gateway.
    assert thinking == [False, True], door.lines()
    steps = []
    for c in calls:
        key = "team A" if c.header("x-api-key") == TEAM_A else "team B"
        has_result = any(b.get("type") == "tool_result" for m in c.json["messages"]
                         if isinstance(m.get("content"), list) for b in m["content"])
        steps.append((key, has_result, bool(_thinking_in(c)), getattr(c, "status", None)))
    minted = anthropic_tools.thinking_signature(TEAM_A, anthropic_tools.THOUGHT)
    # The signed block reaches the fallback deployment unchanged: LiteLLM does not touch it.
    to_b = [c for c in calls if c.header("x-api-key") == TEAM_B]
    assert to_b and _thinking_in(to_b[0]) == [minted], steps
    claude_replied(result, "pong")
    # After the refusal the gateway sent the turn again without the thinking block.
    assert not _thinking_in(calls[-1]) and calls[-1].header("x-api-key") == TEAM_B, steps
    lines: list[list] = []  # the same request answered the same way in a row: once, ×N
    for key, res, th, status in steps:
        line = (f"{key} receives the {'tool result' if res else 'prompt'}"
                f"{' with the signed thinking block' if th else ''}: answers {status}")
        if lines and lines[-1][0] == line:
            lines[-1][1] += 1
        else:
            lines.append([line, 1])
    lines = [f"{i + 1}. {line}" + (f" (×{n})" if n > 1 else "")
             for i, (line, n) in enumerate(lines)]
    captures.check("field-thinking/fallback-requests.txt", "\n".join(lines) + "\n")
    assert [s[3] for s in steps[-2:]] == [400, 200], steps
