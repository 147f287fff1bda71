# Google credentials for LiteLLM's /vertex_ai pass-through (Claude Code's Vertex mode):
# the gateway's own Application Default Credentials, used for this project and region.
export DEFAULT_VERTEXAI_PROJECT="my-gcp-project"
export DEFAULT_VERTEXAI_LOCATION="us-east5"
