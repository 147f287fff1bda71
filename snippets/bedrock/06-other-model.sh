claude -p --model eu.anthropic.claude-opus-5-5 "Reply with the word pong"
