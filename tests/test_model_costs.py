"""What the pinned LiteLLM prices each model of the quickstart's config at: the price list it
counts spend with (its bundled cost map, the one every gateway here loads, since they start
with LITELLM_LOCAL_MODEL_COST_MAP=True), rendered into docs/_generated/model-costs.md for
the FAQ's "Which model is cheapest?". Read from LiteLLM itself, not from the JSON file, so a
LiteLLM that loads its prices another way fails here rather than on the page."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from tests.harness.project import ROOT, SNIPPETS
from tests.harness.start import components, releases

GENERATED = ROOT / "docs" / "_generated" / "model-costs.md"
CONFIG = SNIPPETS / "quickstart" / "02-config.yaml"
ALIASES = {"opus": "Opus", "sonnet": "Sonnet", "haiku": "Haiku"}
READ = ("import json, sys, litellm\n"
        "print(json.dumps({m: litellm.model_cost.get(m) for m in sys.argv[1:]}))")


def served() -> list[tuple[str, str]]:
    """(model_name, the provider model behind it) for each entry of the quickstart config."""
    config = yaml.safe_load(CONFIG.read_text())
    return [(e["model_name"], e["litellm_params"]["model"]) for e in config["model_list"]]


def prices() -> dict[str, dict]:
    python = components.litellm_bin() / "python"
    names = [model.split("/", 1)[1] for _, model in served()]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
           "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([str(python), "-c", READ, *names], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def per_million(cost: float | None) -> str:
    if cost is None:
        return "—"
    dollars = cost * 1_000_000
    return f"${dollars:.2f}" if round(dollars, 2) == round(dollars, 9) else f"${dollars:g}"


def render(table: dict[str, dict]) -> str:
    lines = ["| Claude Code asks for | Input | Output | Reading the prompt cache |",
             "|---|---|---|---|"]
    for name, model in served():
        entry = table[model.split("/", 1)[1]]
        lines.append(f"| `{name}` | {per_million(entry['input_cost_per_token'])} | "
                     f"{per_million(entry['output_cost_per_token'])} | "
                     f"{per_million(entry.get('cache_read_input_token_cost'))} |")
    return "\n".join(lines) + "\n"


@pytest.mark.skipif(bool(releases.under_test("litellm")),
                    reason="the FAQ's table is the pinned LiteLLM's; another release prices "
                           "differently")
def test_cheapest_model_of_the_quickstart_config():
    table = prices()
    missing = [m for m, entry in table.items() if not entry]
    assert not missing, f"the pinned LiteLLM has no price for {missing}"
    rendered = render(table)
    if os.environ.get("UPDATE_CAPTURES") == "1":
        GENERATED.write_text(rendered)
    assert GENERATED.read_text() == rendered, (
        "docs/_generated/model-costs.md differs from the pinned LiteLLM's prices: run with "
        "UPDATE_CAPTURES=1 and read the FAQ's answer again")
    # The FAQ names the cheapest: cheapest both to read and to write with.
    by_input = min(table, key=lambda m: table[m]["input_cost_per_token"])
    by_output = min(table, key=lambda m: table[m]["output_cost_per_token"])
    assert by_input == by_output == "claude-haiku-5-5", table
