# Portkey: the headers its Claude Code guide lists, one per line.
export ANTHROPIC_CUSTOM_HEADERS="x-portkey-api-key: your-portkey-api-key
x-portkey-provider: anthropic
x-portkey-virtual-key: your-virtual-key"
