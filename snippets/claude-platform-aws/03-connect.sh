export CLAUDE_CODE_USE_ANTHROPIC_AWS=1
export ANTHROPIC_AWS_BASE_URL="http://localhost:4000"
export ANTHROPIC_AWS_API_KEY="sk-litellm-change-me"      # the gateway key, not an AWS credential
export ANTHROPIC_AWS_WORKSPACE_ID="wrkspc_your-workspace-id"
