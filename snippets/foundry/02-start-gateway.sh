# Your Foundry resource's Anthropic endpoint, unless you already set a private one
export AZURE_FOUNDRY_API_BASE="${AZURE_FOUNDRY_API_BASE:-https://my-foundry-resource.services.ai.azure.com/anthropic}"
export GATEWAY_MASTER_KEY="sk-litellm-change-me"         # the key Claude Code will present
litellm --config config.yaml --port 4000
