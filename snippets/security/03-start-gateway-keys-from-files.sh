# The quickstart's start command with both keys read from files instead of typed in:
# here systemd's credentials directory (LoadCredential= in the service unit); a Kubernetes
# secret volume or a Vault agent's file works the same way. This script holds no secret.
ANTHROPIC_API_KEY="$(cat "$CREDENTIALS_DIRECTORY/anthropic-api-key")"
GATEWAY_MASTER_KEY="$(cat "$CREDENTIALS_DIRECTORY/gateway-master-key")"
export ANTHROPIC_API_KEY GATEWAY_MASTER_KEY
litellm --config config.yaml --port 4000
