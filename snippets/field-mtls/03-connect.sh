export ANTHROPIC_BASE_URL="https://localhost:8443"
export ANTHROPIC_AUTH_TOKEN="sk-litellm-change-me"
export NODE_EXTRA_CA_CERTS="$HOME/corp-ca.pem"   # trust the CA that signed the gateway
