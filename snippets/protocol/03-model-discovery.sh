# Ask the gateway which models it serves (GET /v1/models) instead of using built-in names.
export CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1
