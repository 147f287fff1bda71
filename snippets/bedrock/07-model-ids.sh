# The Bedrock ids behind Claude Code's default model and its sonnet and haiku aliases:
# the model_name entries of the gateway config.
export ANTHROPIC_DEFAULT_OPUS_MODEL="us.anthropic.claude-opus-5-5"
export ANTHROPIC_DEFAULT_SONNET_MODEL="us.anthropic.claude-sonnet-5-5"
export ANTHROPIC_DEFAULT_HAIKU_MODEL="us.anthropic.claude-haiku-5-5"
