claude -p "Reply with the word pong"
