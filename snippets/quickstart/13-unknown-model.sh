claude --model claude-sonnet-5 -p "Reply with the word pong"
