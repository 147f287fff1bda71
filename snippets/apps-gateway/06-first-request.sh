claude -p "Say hello in five words."
