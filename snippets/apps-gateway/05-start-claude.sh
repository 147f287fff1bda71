claude
