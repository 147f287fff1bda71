"""The one proof harness every guide reuses: provider fake, gateway runner, reader terminal,
captured outputs, snippet registry and network isolation."""
