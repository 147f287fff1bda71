export AWS_REGION_NAME="us-east-1"
export VERTEX_PROJECT="my-gcp-project"
export VERTEX_LOCATION="us-east5"
export VERTEX_API_BASE="${VERTEX_API_BASE:-https://us-east5-aiplatform.googleapis.com}"
export ANTHROPIC_API_KEY="sk-ant-your-anthropic-key"
export GATEWAY_MASTER_KEY="sk-litellm-change-me"
litellm --config config.yaml --port 4000
