export ANTHROPIC_API_KEY_TEAM_A="sk-ant-your-team-a-key"
export ANTHROPIC_API_KEY_TEAM_B="sk-ant-your-team-b-key"
export GATEWAY_MASTER_KEY="sk-litellm-change-me"
litellm --config config.yaml --port 4000
