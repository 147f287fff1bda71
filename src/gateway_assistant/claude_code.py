"""What the pinned Claude Code CLI does, in one place (each value is checked against the real
CLI by the tests in tests/tools/)."""

from __future__ import annotations

from pathlib import Path

# The model Claude Code requests unless told otherwise, and what its aliases request.
DEFAULT_MODEL = "claude-opus-5-5"
ALIASES = {"sonnet": "claude-sonnet-5-5", "haiku": "claude-haiku-5-5"}
REQUESTED_MODELS = (DEFAULT_MODEL, *ALIASES.values())

# Bedrock mode (CLAUDE_CODE_USE_BEDROCK) names models by Bedrock id. Its default model is
# the cross-region profile of the same model; its aliases, unless ANTHROPIC_DEFAULT_*_MODEL
# name others, are older Bedrock ids (measured through LiteLLM's /bedrock pass-through).
BEDROCK_DEFAULT_MODEL = "us.anthropic.claude-opus-5-5"
BEDROCK_ALIASES = {"sonnet": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                   "haiku": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}
# What a Bedrock gateway publishes for the current models, to map the aliases to.
BEDROCK_MODELS = ("us.anthropic.claude-opus-5-5", "us.anthropic.claude-sonnet-5-5",
                  "us.anthropic.claude-haiku-5-5")

# Values its boolean switches read as true (case-insensitive, trimmed); anything else is off.
TRUE_VALUES = ("1", "true", "yes", "on")
FALSE_VALUES = ("", "0", "false", "no", "off")
SWITCHES = ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
            "CLAUDE_CODE_SKIP_VERTEX_AUTH", "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS")
# The provider modes, in the order the CLI checks them: the first one on is the one it uses
# (its provider selection reads the switches in this order; measured for pairs of them). Each
# with the provider's name and the variable that gives its address.
MODES = (
    ("CLAUDE_CODE_USE_BEDROCK", "Amazon Bedrock", "ANTHROPIC_BEDROCK_BASE_URL"),
    ("CLAUDE_CODE_USE_FOUNDRY", "Microsoft Foundry", "ANTHROPIC_FOUNDRY_BASE_URL"),
    ("CLAUDE_CODE_USE_ANTHROPIC_AWS", "Claude Platform on AWS", "ANTHROPIC_AWS_BASE_URL"),
    ("CLAUDE_CODE_USE_ANTHROPIC_GOOGLE_CLOUD", "Claude on Google Cloud (Anthropic-managed)",
     "ANTHROPIC_GOOGLE_CLOUD_BASE_URL"),
    ("CLAUDE_CODE_USE_MANTLE", "Amazon Bedrock Mantle", "ANTHROPIC_BEDROCK_MANTLE_BASE_URL"),
    ("CLAUDE_CODE_USE_VERTEX", "Google Vertex AI", "ANTHROPIC_VERTEX_BASE_URL"),
)

# Switches that are on whenever they are set to anything but the empty string: `0` and
# `false` turn them on too (the CLI tests `if (process.env.NAME)`).
PRESENCE_SWITCHES = ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",)


def settings_files(home: Path, project: Path, managed: Path) -> list[tuple[str, Path]]:
    """Settings files from the highest precedence to the lowest, as the CLI applies them
    (measured: managed > --settings > local > project > user > shell environment)."""
    return [
        ("managed settings", managed),
        ("project local settings", project / ".claude" / "settings.local.json"),
        ("project settings", project / ".claude" / "settings.json"),
        ("user settings", home / ".claude" / "settings.json"),
    ]


MANAGED_SETTINGS = Path("/etc/claude-code/managed-settings.json")  # Linux
