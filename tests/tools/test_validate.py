"""`gateway-assistant validate`: every finding kind fires on a broken config and is gone
from the fixed one; malformed input of any shape gives a message, never a traceback; the
key lists it uses are regenerated from the pinned LiteLLM and must not have drifted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gateway_assistant import claude_code, litellm_schema
from gateway_assistant.cli import main
from gateway_assistant.validate import validate
from tests.harness.start import components

ENV = {"ANTHROPIC_API_KEY": "x", "GATEWAY_MASTER_KEY": "x"}
GOOD = """\
model_list:
  - model_name: claude-opus-5-5
    litellm_params:
      model: anthropic/claude-opus-5-5
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: claude-sonnet-5-5
    litellm_params:
      model: anthropic/claude-sonnet-5-5
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: claude-haiku-5-5
    litellm_params:
      model: anthropic/claude-haiku-5-5
      api_key: os.environ/ANTHROPIC_API_KEY
general_settings:
  master_key: os.environ/GATEWAY_MASTER_KEY
"""


def codes(tmp_path, text, env=ENV):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return [(f.code, f.line) for f in validate(path, env)]


def edit(old, new):
    assert old in GOOD
    return GOOD.replace(old, new)


OPUS_KEY = "      api_key: os.environ/ANTHROPIC_API_KEY\n  - model_name: claude-sonnet"
# (finding code, broken config, fixed config, line the finding points at)
CASES = {
    "yaml-syntax": ("model_list:\n  - model_name: [a\n", GOOD, 3),
    "empty": ("# nothing yet\n", GOOD, 1),
    "not-a-mapping": ("- model_name: a\n", GOOD, 1),
    "no-models": ("model_list: []\n" + GOOD.split("general_settings:")[0].replace(
        "model_list:", "x:") + "general_settings: {}\n", GOOD, 1),
    "model-name-missing": (edit("  - model_name: claude-haiku-5-5\n", "  - \n"), GOOD, 11),
    "litellm-model-missing": (edit("      model: anthropic/claude-opus-5-5\n", ""), GOOD, 2),
    "provider-unknown": (edit("model: anthropic/claude-opus-5-5",
                              "model: antropic/claude-opus-5-5"), GOOD, 4),
    "provider-prefix-missing": (edit("model: anthropic/claude-opus", "model: claude-opus"),
                                GOOD, 4),
    "unknown-key": (GOOD + "litellm_settings:\n  drop_parms: true\n",
                    GOOD + "litellm_settings:\n  drop_params: true\n", 17),
    "router-key-refused": (GOOD + "router_settings:\n  health_check_interval: 30\n",
                           edit("general_settings:\n", "general_settings:\n"
                                "  health_check_interval: 30\n"), 17),
    "master-key-misplaced": (
        edit("general_settings:\n", "litellm_settings:\n"),
        GOOD, 15),
    "cache-param-unknown": (
        GOOD + "litellm_settings:\n  cache: true\n  cache_params:\n    type: local\n"
        "    max_size_mb: 100\n",
        GOOD + "litellm_settings:\n  cache: true\n  cache_params:\n    type: local\n"
        "    ttl: 600\n", 20),
    "rpm-not-enforced": (
        edit(OPUS_KEY, OPUS_KEY.replace("\n", "\n      rpm: 10\n", 1)),
        edit(OPUS_KEY, OPUS_KEY.replace("\n", "\n      rpm: 10\n", 1))
        + "router_settings:\n  routing_strategy: usage-based-routing-v2\n", 6),
    "routing-strategy-unknown": (GOOD + "router_settings:\n  routing_strategy: round-robin\n",
                                 GOOD + "router_settings:\n  routing_strategy: least-busy\n",
                                 17),
    "hard-coded-key": (
        edit("os.environ/ANTHROPIC_API_KEY", "sk-ant-api03-" + "x" * 40), GOOD, 5),
    "env-unset": (GOOD, GOOD, 5),  # same file; the fix is in the environment
    "fallback-unknown-group": (
        GOOD + "router_settings:\n  fallbacks: [{claude-opus-5-5: [claude-opus-4]}]\n",
        GOOD + "router_settings:\n  fallbacks: [{claude-opus-5-5: [claude-sonnet-5-5]}]\n", 17),
    "fallback-cycle": (
        GOOD + "router_settings:\n  fallbacks:\n    - claude-opus-5-5: [claude-sonnet-5-5]\n"
        "    - claude-sonnet-5-5: [claude-haiku-5-5]\n    - claude-haiku-5-5: [claude-opus-5-5]\n",
        GOOD + "router_settings:\n  fallbacks:\n    - claude-opus-5-5: [claude-sonnet-5-5]\n"
        "    - claude-sonnet-5-5: [claude-haiku-5-5]\n", 20),
    "claude-code-models": (GOOD.replace("claude-haiku-5-5\n    litellm", "team-haiku\n    litellm"),
                           GOOD, 1),
}


@pytest.mark.parametrize("code", CASES)
def test_each_finding_fires_on_the_broken_config_and_not_on_the_fixed_one(code, tmp_path):
    broken, fixed, line = CASES[code]
    env = {} if code == "env-unset" else ENV
    found = codes(tmp_path, broken, env)
    assert (code, line) in found, found
    assert code not in [c for c, _ in codes(tmp_path, fixed)], codes(tmp_path, fixed)


def test_a_valid_config_has_no_findings(tmp_path):
    assert codes(tmp_path, GOOD) == []


def test_two_group_cycle_and_self_fallback(tmp_path):
    two = GOOD + "litellm_settings:\n  fallbacks: [{claude-opus-5-5: [claude-sonnet-5-5]}," \
                 " {claude-sonnet-5-5: [claude-opus-5-5]}]\n"
    assert ("fallback-cycle", 17) in codes(tmp_path, two)
    selfref = GOOD + "litellm_settings:\n  fallbacks: [{claude-opus-5-5: [claude-opus-5-5]}]\n"
    assert ("fallback-cycle", 17) in codes(tmp_path, selfref)


@pytest.mark.parametrize("secret", ["AKIA" + "ABCDEFGHIJKLMNOP", "AIza" + "x" * 35,
                                    "sk-proj-" + "a" * 40])
def test_provider_key_patterns(secret, tmp_path):
    assert ("hard-coded-key", 5) in codes(tmp_path, edit("os.environ/ANTHROPIC_API_KEY", secret))


def test_wildcard_model_name_covers_claude_code(tmp_path):
    text = GOOD.replace("model_name: claude-haiku-5-5", "model_name: claude-*")
    assert "claude-code-models" not in [c for c, _ in codes(tmp_path, text)]


RPM = edit(OPUS_KEY, OPUS_KEY.replace("\n", "\n      rpm: 10\n", 1))


def test_pre_call_checks_do_not_silence_rpm_not_enforced(tmp_path):
    """enable_pre_call_checks does not limit /v1/messages (tests/guides/test_enterprise_gateway
    shows all requests through): the advice must not send readers there."""
    found = validate_findings(tmp_path, RPM + "router_settings:\n  enable_pre_call_checks: true\n")
    (rpm,) = [f for f in found if f.code == "rpm-not-enforced"]
    assert "enable_pre_call_checks" not in rpm.fix and "usage-based-routing-v2" in rpm.fix


def test_usage_based_routing_enforces_rpm(tmp_path):
    """usage-based-routing-v2 counts rpm on /v1/messages too (test_usage_based_routing_limits
    _claude_code in tests/guides/test_routing.py): no rpm-not-enforced there."""
    for strategy in ("usage-based-routing-v2",):
        text = RPM + f"router_settings:\n  routing_strategy: {strategy}\n"
        assert "rpm-not-enforced" not in [c for c, _ in codes(tmp_path, text)], strategy


BEDROCK = """\
model_list:
  - model_name: us.anthropic.claude-opus-5-5
    litellm_params:
      model: bedrock/us.anthropic.claude-opus-5-5
  - model_name: us.anthropic.claude-sonnet-5-5
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-5-5
  - model_name: us.anthropic.claude-haiku-5-5
    litellm_params:
      model: bedrock/us.anthropic.claude-haiku-5-5
general_settings:
  master_key: os.environ/GATEWAY_MASTER_KEY
"""


def test_bedrock_mode_config_is_not_asked_for_gateway_mode_names(tmp_path):
    """A config for Claude Code's Bedrock mode publishes Bedrock ids, which is what that mode
    requests: no warning; a note that the aliases need ANTHROPIC_DEFAULT_*_MODEL."""
    found = validate_findings(tmp_path, BEDROCK)
    assert [(f.severity, f.code) for f in found] == [("info", "claude-code-bedrock-aliases")]
    assert "ANTHROPIC_DEFAULT_SONNET_MODEL" in found[0].fix
    missing = BEDROCK.replace("us.anthropic.claude-sonnet-5-5\n    litellm",
                              "team-sonnet\n    litellm")
    (warning,) = [f for f in validate_findings(tmp_path, missing) if f.severity == "warning"]
    assert warning.code == "claude-code-models" and "us.anthropic.claude-sonnet-5-5" in \
        warning.message and "claude-opus-5-5," not in warning.message


def validate_findings(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return validate(path, ENV)


def test_claude_code_names_come_from_one_place():
    assert claude_code.REQUESTED_MODELS == (
        "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5")


# -- boundaries: a clear message and exit 2 or 1, never a traceback -----------------------

def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out + out.err


@pytest.mark.parametrize("name,content,expect", [
    ("huge.yaml", "a: " + "x" * (6 * 1024 * 1024), "bytes; the limit is"),
    ("deep.yaml", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("laughs.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi")), "no models"),
    ("latin1.yaml", b"model_list: caf\xe9\n", "not UTF-8"),
], ids=["huge", "deep", "aliases", "latin1"])
def test_boundaries_give_a_message_not_a_traceback(name, content, expect, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, out = run_cli(["validate", str(path)], capsys)
    assert code in (1, 3) and expect in out, out[:500]


def test_long_names_and_odd_characters(tmp_path, capsys):
    weird = GOOD.replace("claude-haiku-5-5\n    litellm",
                         '"\\e[31m' + "é" * 5000 + '"\n    litellm')
    path = tmp_path / ("n" * 200 + ".yaml")
    path.write_text(weird)
    code, out = run_cli(["validate", str(path)], capsys)
    assert code == 1 and "\x1b" not in out and "…" in out, out
    code, out = run_cli(["validate", str(tmp_path / ("x" * 5000))], capsys)
    assert code == 3 and "could not run" in out, out
    code, out = run_cli(["validate", str(tmp_path)], capsys)
    assert code == 3 and "not a regular file" in out, out


yaml_text = st.text(st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`,? \n\t\\0é\x00\x85\ufeff")),
                    max_size=200)
json_like = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                         lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.sampled_from(
                             ["model_list", "model_name", "litellm_params", "model",
                              "general_settings", "litellm_settings", "router_settings",
                              "fallbacks", "cache_params", "master_key", "rpm", "type",
                              "routing_strategy", "api_key", "x"]), inner, max_size=5),
                         max_leaves=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(text=yaml_text | json_like.map(json.dumps))
@example(text='{"model_list": [{"model_name": []}]}')  # crashed the fallbacks check once
def test_fuzz_malformed_yaml_and_json_never_crash(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "config.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    assert main(["validate", "--format", "json", str(path)]) in (0, 1, 2)


# -- the key lists follow the pinned LiteLLM -------------------------------------------------

def test_litellm_schema_is_generated_from_the_pinned_litellm():
    python = components.litellm_bin() / "python"
    fresh = subprocess.run([python, litellm_schema.__file__], capture_output=True, text=True,
                           check=True, timeout=180).stdout
    assert json.loads(fresh) == litellm_schema.load(), (
        "src/gateway_assistant/litellm_schema.json drifted from the pinned LiteLLM; regenerate "
        f"it: {python} {litellm_schema.__file__} > {litellm_schema.DATA}")
    assert "master_key" not in litellm_schema.load()["litellm_settings"]


def test_generated_sections_cover_every_published_config():
    """The top-level sections are read out of LiteLLM's config loader by pattern; a section a
    published config uses that the pattern missed would be called misspelt or ignored."""
    import yaml

    from tests.harness.project import SNIPPETS

    top_level = set(litellm_schema.load()["top_level"])
    assert {"model_list", "general_settings", "litellm_settings", "router_settings",
            "include", "environment_variables"} <= top_level
    configs = 0
    for path in sorted(SNIPPETS.rglob("*.yaml")):
        try:
            config = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            continue  # Kubernetes manifests with several documents, templates
        if isinstance(config, dict) and {"model_list", "general_settings"} & set(config):
            configs += 1
            assert set(config) <= top_level, (path, set(config) - top_level)
    assert configs >= 5, configs


def test_runs_as_a_module_like_the_console_script(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    r = subprocess.run([sys.executable, "-m", "gateway_assistant", "validate", str(path),
                        "--format", "json"], capture_output=True, text=True,
                       env={"PYTHONPATH": str(litellm_schema.DATA.parents[1]), **ENV})
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == [], r.stdout + r.stderr
