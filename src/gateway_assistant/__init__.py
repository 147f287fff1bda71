"""Checks for running Claude Code through an LLM gateway: validate a LiteLLM config,
diagnose a Claude Code environment, probe a gateway."""

__version__ = "0.1.0"
