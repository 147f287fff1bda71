# A common mistake: the base URL ends in /v1. Claude Code appends /v1/messages itself.
export ANTHROPIC_BASE_URL="http://localhost:4000/v1"
export ANTHROPIC_AUTH_TOKEN="sk-litellm-change-me"
