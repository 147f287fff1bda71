# A CI step, after your gateway has started: GATEWAY_URL is its address and
# ANTHROPIC_AUTH_TOKEN a key it accepts. The step fails when a criterion fails.
gateway-assistant conformance "$GATEWAY_URL" --format junit > conformance.xml
