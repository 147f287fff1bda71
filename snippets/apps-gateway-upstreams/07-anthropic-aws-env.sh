# The Claude Platform on AWS upstream's region, workspace, endpoint and AWS keys: from your secret store.
export AWS_REGION=us-east-1
export CLAUDE_PLATFORM_WORKSPACE_ID=wrkspc_your-workspace-id
export CLAUDE_PLATFORM_BASE_URL=https://aws-external-anthropic.us-east-1.api.aws
export AWS_ACCESS_KEY_ID=your-access-key-id-change-me
export AWS_SECRET_ACCESS_KEY=your-secret-access-key-change-me
