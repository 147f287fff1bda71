curl -s -H "Authorization: Bearer sk-litellm-change-me" http://localhost:4000/metrics/ \
  | grep -E '^litellm_(input|output)_tokens_metric_total' \
  | sed -E 's/\{.*model="([^"]+)".*\}/{model="\1"}/'
