query() {
  curl -s http://localhost:9090/api/v1/query --data-urlencode "query=$1" \
    | python3 -c 'import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    print(dict(r["metric"]), r["value"][1])'
}
echo "# instances scraped";       query 'up{job="litellm"}'
echo "# input tokens per model";  query 'sum by (model) (litellm_input_tokens_metric_total)'
echo "# output tokens per model"; query 'sum by (model) (litellm_output_tokens_metric_total)'
echo "# requests by status";      query 'sum by (status_code) (litellm_proxy_total_requests_metric_total)'
echo "# requests per instance";   query 'sum by (instance) (litellm_proxy_total_requests_metric_total)'
echo "# p95 latency (s)";         query 'histogram_quantile(0.95, sum by (le, model_group) (litellm_request_total_latency_metric_bucket))'
