# The Agent Platform (Vertex AI) upstream's region, project, endpoint and token: from your secret store.
export VERTEX_REGION=us-east5
export VERTEX_PROJECT_ID=your-gcp-project
export VERTEX_BASE_URL=https://us-east5-aiplatform.googleapis.com/v1
export VERTEX_ACCESS_TOKEN=your-oauth-access-token
