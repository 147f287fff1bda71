export ANTHROPIC_BASE_URL="https://llm-gateway.corp.example:4000"
export ANTHROPIC_AUTH_TOKEN="sk-litellm-change-me"
export HTTPS_PROXY="http://127.0.0.1:3128"
export NODE_EXTRA_CA_CERTS="$HOME/corp-ca.pem"
