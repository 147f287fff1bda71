# Cloudflare AI Gateway (authenticated gateway): your Anthropic key, plus the
# gateway token in Cloudflare's own header.
export ANTHROPIC_API_KEY="sk-ant-your-anthropic-key"
export ANTHROPIC_CUSTOM_HEADERS="cf-aig-authorization: Bearer your-cf-aig-token"
