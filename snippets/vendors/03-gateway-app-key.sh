# Zuplo, TrueFoundry: the key the gateway issued you, sent as a bearer token.
export ANTHROPIC_AUTH_TOKEN="your-gateway-api-key"
