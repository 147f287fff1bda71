ANTHROPIC_LOG=debug claude -p "Reply with the word pong"
