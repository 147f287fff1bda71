export ANTHROPIC_API_KEY="sk-ant-your-anthropic-key"     # your Anthropic API key
export GATEWAY_MASTER_KEY="sk-litellm-change-me"         # the key Claude Code will present
# Outbound calls to Anthropic go through the corporate proxy ...
export HTTPS_PROXY="http://127.0.0.1:3128"
# ... which inspects TLS: trust the public CAs and the company's CA.
cat "$(python -m certifi)" corp-ca.pem > ca-bundle.pem
export SSL_CERT_FILE="$PWD/ca-bundle.pem"
litellm --config config.yaml --port 4000 \
  --ssl_certfile_path gateway.pem --ssl_keyfile_path gateway.key
