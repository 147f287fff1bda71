# The Foundry upstream's resource, endpoint and API key: from your secret store, never in the YAML.
export FOUNDRY_RESOURCE=your-foundry-resource
export FOUNDRY_BASE_URL=https://your-foundry-resource.services.ai.azure.com/anthropic
export FOUNDRY_API_KEY=your-foundry-api-key-change-me
