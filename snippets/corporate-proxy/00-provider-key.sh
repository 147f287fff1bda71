# Without a gateway, Claude Code signs its requests with your own credential.
export ANTHROPIC_API_KEY="sk-ant-your-anthropic-key"  # your Anthropic API key
