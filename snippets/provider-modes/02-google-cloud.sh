export CLAUDE_CODE_USE_ANTHROPIC_GOOGLE_CLOUD=1
export ANTHROPIC_GOOGLE_CLOUD_BASE_URL="http://localhost:4000"
export CLAUDE_CODE_SKIP_ANTHROPIC_GOOGLE_CLOUD_AUTH=1    # Claude Code sends no credential itself
export ANTHROPIC_CUSTOM_HEADERS="Authorization: Bearer sk-litellm-change-me"
