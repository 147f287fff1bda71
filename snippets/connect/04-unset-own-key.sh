unset ANTHROPIC_API_KEY   # your own Anthropic key: the gateway must not receive it
