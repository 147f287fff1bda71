gateway-assistant validate --format json config.yaml
