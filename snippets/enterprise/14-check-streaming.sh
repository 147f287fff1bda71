# Ask for a streamed answer through the gateway, accepting compression as Claude Code
# does, and print when each event arrives.
curl -sN --compressed http://localhost:8080/v1/messages \
  -H "Authorization: Bearer $ANTHROPIC_AUTH_TOKEN" \
  -H "anthropic-version: 2023-06-01" \
  -H "content-type: application/json" \
  -d '{"model": "claude-opus-5-5", "max_tokens": 300, "stream": true,
       "messages": [{"role": "user", "content": "Count from 1 to 100."}]}' |
while IFS= read -r line; do
  case "$line" in
    event:*) echo "$(date +%S.%N | cut -c1-5)s ${line#event: }" ;;
  esac
done
