# The gateway's environment, beside the variables of gateway-env.sh: the company's proxy,
# and the hosts the gateway reaches directly.
export HTTPS_PROXY="http://127.0.0.1:3128"
export NO_PROXY="localhost,127.0.0.1"
# Hand the proxy the IdP's hostname; the proxy resolves it, the gateway does not.
export CLAUDE_GATEWAY_IDP_CONNECT_BY_HOSTNAME=1
