export VERTEX_PROJECT="my-gcp-project"                   # your Google Cloud project
export VERTEX_LOCATION="us-east5"                        # a region where Claude runs
# Vertex AI endpoint: the regional one, unless you already set a private endpoint
export VERTEX_API_BASE="${VERTEX_API_BASE:-https://us-east5-aiplatform.googleapis.com}"
export GATEWAY_MASTER_KEY="sk-litellm-change-me"         # the key Claude Code will present
litellm --config config.yaml --port 4000
