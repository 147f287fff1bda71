export CLAUDE_CODE_USE_MANTLE=1
export ANTHROPIC_BEDROCK_MANTLE_BASE_URL="http://localhost:4000"
export AWS_BEARER_TOKEN_BEDROCK="sk-litellm-change-me"   # the gateway key, sent as a Bearer token
export AWS_REGION="us-east-1"
