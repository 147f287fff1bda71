claude -p "Reply with the word pong" --output-format json
