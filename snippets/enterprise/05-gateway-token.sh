#!/bin/sh
# Prints a short-lived gateway token and nothing else. Replace the line below with
# your SSO or secret-manager command (it must print only the token).
cat "$HOME/.config/llm-gateway/token"
