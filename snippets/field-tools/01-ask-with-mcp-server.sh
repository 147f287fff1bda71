# One MCP server for the session: Claude Code's own tools, served over MCP.
claude -p "Reply with the word pong" \
  --mcp-config '{"mcpServers": {"claude-tools": {"command": "claude", "args": ["mcp", "serve"]}}}'
