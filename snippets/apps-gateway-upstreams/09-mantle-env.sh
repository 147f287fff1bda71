# The Bedrock Mantle upstream's region, endpoint and AWS keys: from your secret store, never in the YAML.
export AWS_REGION=us-east-1
export MANTLE_BASE_URL=https://bedrock-mantle.us-east-1.api.aws/anthropic
export AWS_ACCESS_KEY_ID=your-access-key-id-change-me
export AWS_SECRET_ACCESS_KEY=your-secret-access-key-change-me
