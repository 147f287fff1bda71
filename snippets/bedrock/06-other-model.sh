claude -p --model us.anthropic.claude-sonnet-5-5 "Reply with the word pong"
