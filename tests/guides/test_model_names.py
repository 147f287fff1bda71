"""How-to: use a gateway's own model names (docs/how-to/model-names.md)."""

import json

import pytest

from tests.harness.reader.expect import upstream_messages

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "model-names/01-config.yaml"}


@pytest.fixture
def gateway(gateways, provider):
    return gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": provider.url})


def test_aliases_reach_the_gateway_names(gateway, upstream, terminal):
    terminal.settings("project", "model-names/02-settings.json")
    terminal.settings("local", "quickstart/06-connect-project-settings-local.json")
    result = terminal.run("model-names/03-check-models.sh")
    assert result.code == 0 and result.stdout.split() == ["pong"] * 3, result.output
    # Claude Code asked for team-*; the gateway sent the provider's names upstream.
    assert [r.json["model"] for r in upstream_messages(upstream)] == [
        "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]


def test_without_the_mapping_the_default_model_is_unknown(gateway, upstream, terminal):
    terminal.settings("local", "quickstart/06-connect-project-settings-local.json")
    terminal.settings("project", "quickstart/06-connect-project-settings.json")
    result = terminal.run("quickstart/07-first-request.sh")
    assert result.code != 0
    assert "Invalid model name passed in model=claude-opus-5-5" in result.output


def test_anthropic_model_per_shell_per_project_and_model_flag(gateway, upstream, terminal):
    """ANTHROPIC_MODEL exported in the shell, or in the env block of .claude/settings.json,
    chooses the model; --model on one command beats both."""
    terminal.settings("local", "quickstart/06-connect-project-settings-local.json")
    terminal.settings("project", "quickstart/06-connect-project-settings.json")
    terminal.env["ANTHROPIC_MODEL"] = "team-sonnet"  # per shell
    assert terminal.sh('claude -p "Reply with the word pong"').code == 0
    project = terminal.project / ".claude" / "settings.json"
    settings = json.loads(project.read_text())
    settings["env"]["ANTHROPIC_MODEL"] = "team-haiku"  # per project: beats the shell
    project.write_text(json.dumps(settings))
    assert terminal.sh('claude -p "Reply with the word pong"').code == 0
    assert terminal.sh('claude -p --model team-opus "Reply with the word pong"').code == 0
    assert [r.json["model"] for r in upstream_messages(upstream)] == [
        "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5-5"]
