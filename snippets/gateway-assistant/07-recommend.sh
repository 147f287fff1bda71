gateway-assistant recommend --team-size team --security central-keys \
  --providers bedrock --cost-tracking totals --environment open \
  --infrastructure none --support self
