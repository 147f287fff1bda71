claude gateway --config gateway.yaml
