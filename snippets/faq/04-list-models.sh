curl -s -H "Authorization: Bearer $ANTHROPIC_AUTH_TOKEN" http://localhost:4000/v1/models \
  | python3 -m json.tool
