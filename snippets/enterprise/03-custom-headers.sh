export ANTHROPIC_AUTH_TOKEN="sk-gw-alice-change-me"
# One "Name: value" per line; every model request carries each of them.
export ANTHROPIC_CUSTOM_HEADERS="X-Gateway-Key: sk-gw-alice-change-me
X-Team: platform"
