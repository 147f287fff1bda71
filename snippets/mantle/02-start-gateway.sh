export AWS_REGION_NAME="us-east-1"                       # where your Mantle models run
export GATEWAY_MASTER_KEY="sk-litellm-change-me"         # the key Claude Code will present
litellm --config config.yaml --port 4000
