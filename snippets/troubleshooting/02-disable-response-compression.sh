export CLAUDE_CODE_DISABLE_RESPONSE_COMPRESSION=1   # uncompressed answers through the proxy
