# Where the gateway's world lives, and its secrets: from your secret store, never in the YAML.
export OIDC_ISSUER=https://login.example.com          # your IdP's issuer URL
export OIDC_CLIENT_ID=claude-apps-gateway              # the OAuth client you registered
export OIDC_CLIENT_SECRET=idp-client-secret-change-me
export GATEWAY_JWT_SECRET=change-me-to-32-or-more-random-characters
export DATABASE_URL=postgresql://gateway@db.example.com:5432/gateway
export ANTHROPIC_UPSTREAM_URL=https://api.anthropic.com
export ANTHROPIC_API_KEY=sk-ant-your-anthropic-key
