# The Bedrock upstream's region, endpoint and AWS keys: from your secret store, never in the YAML.
export AWS_REGION=us-east-1
export BEDROCK_BASE_URL=https://bedrock-runtime.us-east-1.amazonaws.com
export AWS_ACCESS_KEY_ID=your-access-key-id-change-me
export AWS_SECRET_ACCESS_KEY=your-secret-access-key-change-me
