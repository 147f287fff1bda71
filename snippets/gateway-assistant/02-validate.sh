gateway-assistant validate config.yaml
