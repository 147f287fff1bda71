cp config.yaml config.previous.yaml  # what a rollback restores
cp config-v2.yaml config.yaml
