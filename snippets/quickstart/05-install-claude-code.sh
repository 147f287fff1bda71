npm install -g @anthropic-ai/claude-code@2.1.332
