# The same certificate with a passphrase-protected key.
export CLAUDE_CODE_CLIENT_CERT="$HOME/.claude-certs/client.pem"
export CLAUDE_CODE_CLIENT_KEY="$HOME/.claude-certs/client-encrypted.key"
export CLAUDE_CODE_CLIENT_KEY_PASSPHRASE="example-passphrase-change-me"
