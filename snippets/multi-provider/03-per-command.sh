claude -p "Reply with the word pong"                                  # Bedrock, falls back
claude -p --model claude-opus-5-5-vertex "Reply with the word pong"   # Vertex AI only
claude -p --model claude-opus-5-5-anthropic "Reply with the word pong" # Anthropic API only
