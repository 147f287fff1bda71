claude -p "Reply with the word pong"
claude --model sonnet -p "Reply with the word pong"
claude --model haiku -p "Reply with the word pong"
