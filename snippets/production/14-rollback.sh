cp config.previous.yaml config.yaml
