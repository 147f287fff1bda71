export CLAUDE_CODE_USE_VERTEX=1
export ANTHROPIC_VERTEX_BASE_URL="http://localhost:4000/vertex_ai/v1"
export CLAUDE_CODE_SKIP_VERTEX_AUTH=1                    # the gateway holds the Google credentials
export CLOUD_ML_REGION="us-east5"
export ANTHROPIC_VERTEX_PROJECT_ID="my-gcp-project"
export ANTHROPIC_AUTH_TOKEN="sk-litellm-change-me"
