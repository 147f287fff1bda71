# Your own credential for the provider: the proxy carries the request, it does not sign it.
export ANTHROPIC_API_KEY="sk-ant-your-anthropic-key"  # your Anthropic API key
