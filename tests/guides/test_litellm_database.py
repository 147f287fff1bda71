"""How-to: per-developer keys, budgets and spend in LiteLLM (docs/how-to/security.md, "Virtual
keys with LiteLLM's database").

LiteLLM's database features cannot run here: with DATABASE_URL set, its start prepares
Prisma's CLI (`npm install prisma@…`) and engines from hosts the test namespace cannot reach
(measured: the install fails after ~77 s and the start then waits on migrations). What can be
checked without them is checked against the pinned LiteLLM itself:
- the published config loads in LiteLLM's own config loader (the one `litellm --config`
  runs) with the key limits it sets, and LiteLLM's own key-generation check applies them;
- every endpoint and field the page names is served / accepted by the pinned LiteLLM.
What Claude Code sends with a developer's key, and what LiteLLM does with a key that is not
its master key when no database is connected, are proven by the enterprise-gateway and
quickstart tests the page cites."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.harness.proof.snippets import ran, snippet
from tests.harness.start import components

CONFIG = "security/04-config-with-database.yaml"
DATABASE_URL = "postgresql://litellm:change-me@127.0.0.1:5432/litellm"  # nothing listens

# Runs in the pinned LiteLLM's venv: the loader, then LiteLLM's own checks on key requests.
LOAD = """
import asyncio, json, sys
import litellm
from fastapi import HTTPException
from litellm.proxy.proxy_server import ProxyConfig, app
from litellm.proxy._types import GenerateKeyRequest, KeyRequest
from litellm.proxy.management_endpoints.key_management_endpoints import (
    _enforce_upperbound_key_params)

async def main():
    out = {}
    _, _, general = await ProxyConfig().load_config(router=None, config_file_path=sys.argv[1])
    out["database_url"] = general.get("database_url")
    out["default"] = litellm.default_key_generate_params
    upper = litellm.upperbound_key_generate_params
    out["upper"] = upper.model_dump(exclude_none=True) if upper else None
    over = GenerateKeyRequest(user_id="alice@example.com", max_budget=500)
    try:
        _enforce_upperbound_key_params(over, fill_defaults=True)
        out["over"] = None
    except HTTPException as e:
        out["over"] = {"status": e.status_code, "detail": e.detail}
    plain = GenerateKeyRequest(user_id="alice@example.com", key_alias="alice-laptop")
    _enforce_upperbound_key_params(plain, fill_defaults=True)
    out["plain_duration"] = plain.duration
    out["generate_fields"] = sorted(GenerateKeyRequest.model_fields)
    out["delete_fields"] = sorted(KeyRequest.model_fields)
    out["routes"] = sorted(f"{method.upper()} {path}"
                           for path, ops in app.openapi()["paths"].items() for method in ops)
    print("RESULT " + json.dumps(out))
asyncio.run(main())
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "GATEWAY_MASTER_KEY": "sk-litellm-change-me",
           "ANTHROPIC_API_KEY": "sk-ant-your-anthropic-key",
           "DATABASE_URL": DATABASE_URL}
    out = subprocess.run([components.litellm_bin() / "python", "-c", LOAD,
                          str(snippet(CONFIG))], capture_output=True, text=True, env=env,
                         timeout=180)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, out.stdout[-3000:] + out.stderr[-3000:]
    ran(CONFIG)  # loaded by the component's own config loader
    return json.loads(lines[-1].removeprefix("RESULT "))


def test_pinned_litellm_loads_the_database_config_with_its_key_limits(loaded):
    assert loaded["database_url"] == DATABASE_URL  # read from the environment
    assert loaded["default"] == {"max_budget": 50, "budget_duration": "30d"}
    assert loaded["upper"] == {"max_budget": 200.0, "duration": "90d"}


def test_a_key_over_the_upper_bound_is_refused_and_a_plain_key_expires(loaded):
    """LiteLLM's own check, run by /key/generate before it writes the key."""
    assert loaded["over"] == {"status": 400, "detail": {
        "error": "max_budget is over max limit set in config - user_value=500.0; "
                 "max_value=200.0"}}, loaded["over"]
    assert loaded["plain_duration"] == "90d"


def test_every_endpoint_and_field_the_page_names_is_in_the_pinned_litellm(loaded):
    for route in ("POST /key/generate", "POST /key/delete", "GET /key/info",
                  "POST /key/update", "GET /spend/logs/v2", "GET /user/daily/activity"):
        assert route in loaded["routes"], route
    for field in ("user_id", "key_alias", "models", "max_budget", "budget_duration",
                  "duration"):
        assert field in loaded["generate_fields"], field
    assert {"keys", "key_aliases"} <= set(loaded["delete_fields"])
