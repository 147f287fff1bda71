"""Every published LiteLLM config, as a reader uses it: LiteLLM started on the file byte for
byte, Claude Code connected the way its page says, an interactive session that sends a
prompt, switches to `sonnet` and `haiku` with `/model` and prompts again. The gateway must
answer none of Claude Code's model requests with a 4xx — the default model, both aliases
and what Claude Code asks in the background (it names each session with the current model).
And every published config passes the site's own validator, or its page shows why not.

One gateway per config (the pool reuses it for the guide tests that share it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from urllib.parse import unquote

import pytest

import gateway_assistant
from gateway_assistant import claude_code
from tests.harness.proof import captures
from tests.harness.proof.snippets import SNIPPETS, snippet

QUICKSTART = ("quickstart/03-start-gateway.sh",)
MULTI = ("vertex/04-service-account.sh", "multi-provider/02-start-gateway.sh")
VERTEX = ("vertex/04-service-account.sh", "vertex/03-start-gateway.sh")
GATEWAY_MODE = ("quickstart/06-connect-shell.sh",)
NO_EXPERIMENTAL_BETAS = ("bedrock/05-disable-experimental-betas.sh",)


@dataclass
class Published:
    start: tuple[str, ...]  # the start snippets its page names
    connect: tuple[str, ...] = GATEWAY_MODE  # how its page connects Claude Code
    settings: tuple[tuple[str, str], ...] = ()  # (level, settings snippet) its page places
    providers: tuple[str, ...] = ("anthropic",)  # which stand-ins it needs


CONFIGS = {
    "quickstart/02-config.yaml": Published(QUICKSTART),
    "bedrock/01-config.yaml": Published(
        ("bedrock/02-start-gateway.sh",),
        ("bedrock/03-connect.sh", *NO_EXPERIMENTAL_BETAS, "bedrock/07-model-ids.sh"),
        providers=("bedrock",)),
    "vertex/02-config.yaml": Published(VERTEX, (*GATEWAY_MODE, *NO_EXPERIMENTAL_BETAS),
                                       providers=("vertex",)),
    "multi-provider/01-config.yaml": Published(
        MULTI, (*GATEWAY_MODE, *NO_EXPERIMENTAL_BETAS), providers=("anthropic", "bedrock",
                                                                   "vertex")),
    **{f"routing/{name}.yaml": Published(MULTI, (*GATEWAY_MODE, *NO_EXPERIMENTAL_BETAS),
                                         providers=("anthropic", "bedrock", "vertex"))
       for name in ("01-multi-region", "02-least-busy", "03-usage-based", "04-latency-based",
                    "05-circular-fallback")},
    "model-names/01-config.yaml": Published(
        QUICKSTART, (), settings=(("project", "model-names/02-settings.json"),
                                  ("local", "quickstart/06-connect-project-settings-local.json"))),
    "enterprise/20-litellm-rate-limit.yaml": Published(QUICKSTART),
    "routing/06-retry-policy.yaml": Published(QUICKSTART),
    "faq/01-config-with-cache.yaml": Published(QUICKSTART),
    "field-betas/01-bedrock-config.yaml": Published(
        ("field-betas/02-start-gateway.sh",),
        ("field-betas/03-connect.sh", "field-betas/05-disable-experimental-betas.sh"),
        providers=("bedrock",)),
    **{f"field-caching/{name}.yaml": Published(
        ("field-caching/03-start-gateway.sh",), ("field-caching/04-connect.sh",))
       for name in ("01-two-deployments", "02-two-deployments-cache-aware")},
    "field-thinking/01-fallback-config.yaml": Published(("field-caching/03-start-gateway.sh",)),
    "field-network/01-config-no-gateway-retries.yaml": Published(QUICKSTART),
}
# Deliberately broken, to show what the validator finds: LiteLLM refuses to start on it.
EXEMPT = {"gateway-assistant/01-config-with-mistakes.yaml": "LiteLLM refuses to start on it"}
# Served by the production guide's own stacks (Redis behind them), not by a bare LiteLLM:
# tests/guides/test_production.py and test_kubernetes.py send Claude Code through them, and
# they list the same three model names (checked below).
EXEMPT.update({rel: "served by the production guide's stack" for rel in (
    "production/02-config.yaml", "production/11-config-v2.yaml",
    "kubernetes/01-configmap.yaml")})
# Needs a Redis server beside LiteLLM: tests/guides/test_faq.py starts one and sends a
# Claude Code session with tool use through this config.
EXEMPT["faq/05-config-with-redis-cache.yaml"] = "served by the FAQ's cache test, with Redis"
# Needs LiteLLM's database, whose Prisma engines cannot be obtained here: LiteLLM's own config
# loader reads it in tests/guides/test_litellm_database.py; the page marks it not run here.
EXEMPT["security/04-config-with-database.yaml"] = "loaded by LiteLLM's loader, not served"
# Opus from europe-west1 through Google's own host for it, which the Vertex guide's region test
# resolves to the Vertex AI stand-in for the gateway only (tests/guides/test_vertex.py).
EXEMPT["vertex/07-config-opus-in-another-region.yaml"] = "served by the Vertex guide's region test"
# Microsoft Foundry behind it: tests/guides/test_foundry.py starts it with its own Foundry
# stand-in (the Anthropic wire format under /anthropic) and sends Claude Code's Foundry mode.
EXEMPT["foundry/01-config.yaml"] = "served by the Foundry guide's tests"
# Claude Platform on AWS and Bedrock Mantle behind it: tests/guides/test_claude_platform_aws.py
# and test_mantle.py start each with its own stand-in (the Anthropic wire format behind a
# verified AWS signature) and send Claude Code's matching mode.
EXEMPT["claude-platform-aws/01-config.yaml"] = "served by the Claude Platform on AWS guide's tests"
# Its model names are Bedrock ids (anthropic.claude-...), the names Mantle mode asks for,
# not the site's claude-*-5-5 names the check below expects of the others.
EXEMPT["mantle/01-config.yaml"] = "Bedrock ids; served by the Bedrock Mantle guide's tests"
# Every model sends to the conformance kit's upstream (127.0.0.1:9100), not a provider:
# tests/tools/test_conformance_trace.py starts LiteLLM on it and runs the kit through it.
EXEMPT["gateway-assistant/16-staging-config.yaml"] = "served by the conformance trace's tests"

# 4xx answers that are not model requests and that Claude Code ignores: its preconnect
# (`HEAD /api/hello`, LiteLLM has no such route) and, in Bedrock mode, its inference-profile
# lookup (LiteLLM's pass-through refuses it without AWS-signed credentials).
HARMLESS = (r"HEAD /api/hello$", r"GET /bedrock/inference-profiles\?")
ACCESS_LINE = re.compile(r'"(?P<request>[A-Z]+ \S+) HTTP/1\.[01]" (?P<status>\d{3})')


def test_every_published_litellm_config_is_listed():
    published = {str(p.relative_to(SNIPPETS)) for p in SNIPPETS.glob("*/*.yaml")
                 if "model_list" in p.read_text()}
    assert published == set(CONFIGS) | set(EXEMPT)
    for rel, why in EXEMPT.items():
        if why.startswith("served by"):
            text = snippet(rel).read_text()
            assert all(f"model_name: {m}" in text for m in (
                "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5")), rel


@pytest.fixture
def stand_ins(request, provider, aws_gateway_env, google_gateway_env):
    """The provider stand-ins, emptied, and the gateway environment that points at them."""
    fakes = {"anthropic": request.getfixturevalue("upstream"),
             "bedrock": request.getfixturevalue("bedrock"),
             "vertex": request.getfixturevalue("vertex")}
    env = {"ANTHROPIC_API_BASE": provider.url, **aws_gateway_env, **google_gateway_env}
    return fakes, env


def model_requests(fakes) -> list[str]:
    """The model each provider stand-in was asked for, in the order they arrived there."""
    names = []
    for r in fakes["anthropic"].received("POST", r"/v1/messages$"):
        names.append(r.json["model"])
    for r in fakes["bedrock"].received("POST", r"^/model/"):
        names.append(r.path.split("/")[2])
    for r in fakes["vertex"].received("POST", r"Predict$"):
        names.append(r.path.rsplit("/", 1)[1].split(":")[0])
    return names


def keys(screen, *typed: str) -> None:
    subprocess.run([*screen.tmux, "send-keys", "-t", "0", *typed], check=True)


def switch_model(screen, home, alias: str) -> None:
    """`/model <alias>`; a conversation under way asks to confirm first (its first answer:
    Yes)."""
    keys(screen, f"/model {alias}", "Enter")
    # The answer line right under this command, not a count of "Set model to" lines: a
    # count once passed with the dialog still up (a cold run on a loaded machine).
    done = rf"/model {alias}\s*⎿\s*Set model to"
    on = screen.wait(rf"Switch model\?|{done}")
    if re.search(r"Switch model\?", on, re.IGNORECASE):
        # Enter again while the dialog stays up: it can be drawn before it takes keys. An
        # Enter that reaches the prompt behind it sends nothing (the prompt is empty).
        # Once, on a loaded CI machine, the confirmed switch (the header named the new
        # model) never drew its answer line: the default it saves shows that it happened.
        screen.press("Enter", done, while_shown=r"Switch model\?",
                     or_when=lambda: saved_default_model(home) == alias)


def saved_default_model(home) -> str | None:
    """The model `/model` saved as the default for new sessions (user settings)."""
    try:
        return json.loads((home / ".claude" / "settings.json").read_text()).get("model")
    except (OSError, ValueError):
        return None


def answered(screen, count: int) -> None:
    """Wait until the `count`-th prompt has its answer, or its error, on the screen."""
    screen.wait(r"(?s)" + r".*".join([r"(● pong|API Error)"] * count))


@pytest.mark.parametrize("rel", CONFIGS)
def test_interactive_session_gets_no_4xx_from_the_published_config(rel, gateways, stand_ins,
                                                                    terminal):
    setup = CONFIGS[rel]
    fakes, env = stand_ins
    gw = gateways.get(setup.start, {"config.yaml": rel}, env=env)
    seen_before = len(gw.log().splitlines())
    for level, settings in setup.settings:
        terminal.settings(level, settings)
    terminal.seed_first_run()
    with terminal.session(*setup.connect, "quickstart/09-status.sh", timeout=120) as screen:
        keys(screen, "Reply with the word pong", "Enter")
        answered(screen, 1)
        switch_model(screen, terminal.home, "sonnet")
        keys(screen, "Reply with the word pong", "Enter")
        answered(screen, 2)
        switch_model(screen, terminal.home, "haiku")
        keys(screen, "Reply with the word pong", "Enter")
        answered(screen, 3)
    log = gw.log().splitlines()[seen_before:]
    answers = [m.groupdict() for line in log if (m := ACCESS_LINE.search(line))]
    refused = [a for a in answers if a["status"].startswith("4")
               and not any(re.match(h, a["request"]) for h in HARMLESS)]
    assert not refused, "\n".join(f"{a['request']} {a['status']}" for a in answers)
    asked = model_requests(fakes)
    assert len(asked) >= 6, asked  # three prompts, each with its session-title request


# -- The site passes its own validator ----------------------------------------------------

# What the start scripts export (the validator checks that os.environ/ names are set).
GATEWAY_SHELL = {"GATEWAY_MASTER_KEY": "sk-litellm-change-me",
                 "ANTHROPIC_API_KEY": "sk-ant-your-anthropic-key", "AWS_REGION_NAME": "us-east-1",
                 "ANTHROPIC_API_KEY_TEAM_A": "sk-ant-your-team-a-key",
                 "ANTHROPIC_API_KEY_TEAM_B": "sk-ant-your-team-b-key",
                 "VERTEX_PROJECT": "my-gcp-project", "VERTEX_LOCATION": "us-east5",
                 "VERTEX_API_BASE": "https://us-east5-aiplatform.googleapis.com",
                 "AZURE_FOUNDRY_API_BASE":
                     "https://my-foundry-resource.services.ai.azure.com/anthropic",
                 "AZURE_FOUNDRY_API_KEY": "your-foundry-resource-key",
                 "DATABASE_URL": "postgresql://litellm:change-me@db.internal:5432/litellm"}
# Findings that stand, each shown on its page with the reason (capture name -> why).
STANDS = {
    "model-names/01-config.yaml": ("model-names/validate.console",
                                   "claude-code-models: the page maps the aliases"),
    "routing/05-circular-fallback.yaml": ("routing/validate-circular.console",
                                          "fallback-cycle: the page shows the trap"),
    "enterprise/20-litellm-rate-limit.yaml": ("enterprise/validate-rate-limit.console",
                                              "rpm-not-enforced: the page shows that it is not"),
    "gateway-assistant/01-config-with-mistakes.yaml": (None, "the reference page shows it"),
}


# The Kubernetes ConfigMap wraps the config in a manifest: validate reads config files only.
@pytest.mark.parametrize("rel", [r for r in (*CONFIGS, *EXEMPT) if not r.startswith("kubernetes/")])
def test_published_config_passes_the_validator(rel, terminal):
    """`gateway-assistant validate` (this checkout's, as `pip install .` installs it) on each
    published config, where LiteLLM starts: it passes, or its page shows what it finds."""
    launcher = terminal.home / "bin" / "gateway-assistant"
    launcher.parent.mkdir()
    launcher.write_text(f"#!/bin/sh\nPYTHONPATH={gateway_assistant.__path__[0]}/.. "
                        f'exec {sys.executable} -m gateway_assistant "$@"\n')
    launcher.chmod(0o755)
    terminal.env.update(GATEWAY_SHELL, PATH=f"{launcher.parent}:{terminal.env['PATH']}")
    shutil.copyfile(snippet(rel), terminal.project / "config.yaml")
    result = terminal.run("gateway-assistant/02-validate.sh")
    assert "Traceback" not in result.output
    if rel not in STANDS:
        assert result.code == 0, result.output
        return
    capture, _why = STANDS[rel]
    assert result.code == 1, result.output
    if capture:
        captures.check(capture, captures.console(
            snippet("gateway-assistant/02-validate.sh").read_text(), result.stdout))


def test_bedrock_mode_aliases_ask_for_older_ids(gateways, stand_ins, terminal):
    """Without bedrock/07-model-ids.sh, Bedrock mode's aliases name older Bedrock ids (the
    ones the validator warns about); the gateway refuses them as unpublished."""
    setup = CONFIGS["bedrock/01-config.yaml"]
    fakes, env = stand_ins
    gw = gateways.get(setup.start, {"config.yaml": "bedrock/01-config.yaml"}, env=env)
    seen_before = len(gw.log().splitlines())
    connect = " && ".join(f"source {snippet(s)}" for s in setup.connect[:-1])
    for alias in claude_code.BEDROCK_ALIASES:
        terminal.sh(f'{connect} && claude -p --model {alias} "Reply with the word pong"')
    asked = [unquote(m["request"]) for line in gw.log().splitlines()[seen_before:]
             if (m := ACCESS_LINE.search(line)) and "/invoke" in m["request"]]
    for model in claude_code.BEDROCK_ALIASES.values():
        assert any(f"/bedrock/model/{model}/" in a for a in asked), asked
    assert not model_requests(fakes), "the gateway refused them; Bedrock never saw them"
