export AWS_REGION_NAME="us-east-1"                       # your workspace's AWS region
export ANTHROPIC_AWS_WORKSPACE_ID="wrkspc_your-workspace-id"  # LiteLLM names it in every request
export GATEWAY_MASTER_KEY="sk-litellm-change-me"         # the key Claude Code will present
litellm --config config.yaml --port 4000
