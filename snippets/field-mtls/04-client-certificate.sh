# Your client certificate (PEM) and its private key, issued by the company CA.
export CLAUDE_CODE_CLIENT_CERT="$HOME/.claude-certs/client.pem"
export CLAUDE_CODE_CLIENT_KEY="$HOME/.claude-certs/client.key"
