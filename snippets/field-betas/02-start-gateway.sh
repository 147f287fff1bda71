export AWS_REGION_NAME="us-east-1"                    # where your Bedrock models run
export GATEWAY_MASTER_KEY="sk-litellm-change-me"      # the key Claude Code presents
# Use the beta-header map and cost map bundled with this LiteLLM version instead of
# fetching them from the internet (required on an air-gapped gateway).
export LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS=True
export LITELLM_LOCAL_MODEL_COST_MAP=True
litellm --config config.yaml --port 4000
