export CLAUDE_CODE_USE_BEDROCK=1
export ANTHROPIC_BEDROCK_BASE_URL="http://localhost:4000/bedrock"
export CLAUDE_CODE_SKIP_BEDROCK_AUTH=1                   # the gateway signs, not Claude Code
export AWS_REGION="us-east-1"
export ANTHROPIC_AUTH_TOKEN="sk-litellm-change-me"
