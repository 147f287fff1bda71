# Hosts Claude Code must reach directly, not through the proxy.
export NO_PROXY="localhost,127.0.0.1"
