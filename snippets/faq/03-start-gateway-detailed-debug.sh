export ANTHROPIC_API_KEY="sk-ant-your-anthropic-key"  # your Anthropic API key
export GATEWAY_MASTER_KEY="sk-litellm-change-me"     # the key Claude Code presents
litellm --config config.yaml --port 4000 --detailed_debug
