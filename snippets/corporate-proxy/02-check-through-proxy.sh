ANTHROPIC_LOG=info claude -p "Reply with the word pong"
