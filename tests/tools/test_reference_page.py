"""The reference page docs/reference/gateway-assistant.md: its commands run verbatim in a
reader's terminal and its outputs are captured from those runs."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import yaml

from gateway_assistant import validate as validate_module
from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet
from tests.harness.start.gateway import GatewayFailed

START = ("quickstart/03-start-gateway.sh",)
CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
GATEWAY_SHELL = {"ANTHROPIC_API_KEY": "sk-ant-your-anthropic-key",  # 03-start-gateway.sh's
                 "GATEWAY_MASTER_KEY": "sk-litellm-change-me"}


@pytest.fixture
def reader(terminal, tmp_path):
    """A terminal where `gateway-assistant` is the command from this checkout's src/ (what
    `pip install .` installs: the console script runs gateway_assistant.cli:main)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "gateway-assistant"
    launcher.write_text(f'#!/bin/sh\nPYTHONPATH={validate_module.__file__.rsplit("/", 2)[0]} '
                        f'exec {sys.executable} -m gateway_assistant "$@"\n')
    launcher.chmod(0o755)
    terminal.env["PATH"] = f"{bin_dir}:{terminal.env['PATH']}"
    return terminal


def console(rel, result):
    return captures.console(snippet(rel).read_text(), result.stdout + result.stderr)


def test_validate_finds_the_mistakes(reader):
    shutil.copyfile(snippet("gateway-assistant/01-config-with-mistakes.yaml"),
                    reader.project / "config.yaml")
    reader.env.update(GATEWAY_SHELL)
    result = reader.run("gateway-assistant/02-validate.sh")
    assert result.code == 1, result.output
    ran("gateway-assistant/01-config-with-mistakes.yaml")  # the file validate just judged
    for code in ("master_key under litellm_settings", "max_size_mb", "per-model rpm",
                 "round-robin", "fallback cycle", "claude-haiku-5-5"):
        assert code in result.stdout, result.output
    captures.check("gateway-assistant/validate.console",
                   console("gateway-assistant/02-validate.sh", result))
    result = reader.run("gateway-assistant/06-validate-json.sh")
    assert result.code == 1 and json.loads(result.stdout)["findings"], result.output
    shutil.copyfile(snippet("quickstart/02-config.yaml"), reader.project / "config.yaml")
    result = reader.run("gateway-assistant/02-validate.sh")
    assert result.code == 0, result.output
    captures.check("gateway-assistant/validate-quickstart.console",
                   console("gateway-assistant/02-validate.sh", result))


def test_litellm_refuses_the_routing_strategy_validate_flags(gateways, provider, tmp_path):
    """What validate says about routing_strategy, observed on the pinned LiteLLM."""
    config = yaml.safe_load(snippet("quickstart/02-config.yaml").read_text())
    config["router_settings"] = {"routing_strategy": "round-robin"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    assert [f.code for f in validate_module.validate(path, GATEWAY_SHELL)] == [
        "routing-strategy-unknown"]
    with pytest.raises(GatewayFailed, match="Invalid routing_strategy: 'round-robin'"):
        gateways.get(START, {"config.yaml": path}, env={"ANTHROPIC_API_BASE": provider.url})


def test_doctor_shows_sources_and_problems(reader):
    reader.settings("user", "quickstart/06-connect-user-settings.json")
    reader.env.update(ANTHROPIC_BASE_URL="http://localhost:8080",  # a stale export
                      HTTPS_PROXY="http://proxy.example.com:3128")
    result = reader.run("gateway-assistant/03-doctor.sh")
    assert result.code == 1, result.output
    assert "ANTHROPIC_BASE_URL = http://localhost:4000  (user settings)" in result.stdout
    captures.check("gateway-assistant/doctor.console",
                   console("gateway-assistant/03-doctor.sh", result))


@pytest.fixture
def gateway(gateways, upstream):
    upstream.sse_gap_s = 0.1  # a provider that takes its time, as real models do
    yield gateways.get(START, CONFIG, env={"ANTHROPIC_API_BASE": upstream.url})
    upstream.sse_gap_s = 0.0


def test_doctor_check_and_probe_against_the_quickstart_gateway(gateway, reader):
    result = reader.run("quickstart/06-connect-shell.sh", "gateway-assistant/04-doctor-check.sh")
    assert result.code == 0 and "answered 200" in result.stdout, result.output
    captures.check("gateway-assistant/doctor-check.console",
                   console("gateway-assistant/04-doctor-check.sh", result))
    result = reader.run("quickstart/06-connect-shell.sh", "gateway-assistant/05-probe.sh")
    assert result.code == 0 and "FAIL" not in result.stdout, result.output
    captures.check("gateway-assistant/probe.console",
                   console("gateway-assistant/05-probe.sh", result))


def test_doctor_check_when_the_gateway_is_down(gateways, reader):
    gateways.free_port(4000)
    result = reader.run("quickstart/06-connect-shell.sh", "gateway-assistant/04-doctor-check.sh")
    assert result.code == 1 and "cannot reach" in result.stdout, result.output
    captures.check("gateway-assistant/doctor-check-down.console",
                   console("gateway-assistant/04-doctor-check.sh", result))


def test_install_from_a_checkout(terminal):
    """The page's install command in a copy of this checkout, offline: the reader's python3
    is a fresh venv that already has pip, setuptools and PyYAML (the one dependency; a .pth
    file shows it just those, taken from the test's own environment), PIP_NO_INDEX keeps pip
    off the network and PIP_NO_BUILD_ISOLATION=0 lets it build with that setuptools instead
    of downloading one. What it installs is a working `gateway-assistant` command."""
    import importlib.metadata
    import subprocess
    import sysconfig
    from pathlib import Path

    from tests.harness.project import ROOT

    for part in ("pyproject.toml", "src", "snippets"):
        copy = shutil.copytree if (ROOT / part).is_dir() else shutil.copyfile
        copy(ROOT / part, terminal.project / part,
             **({"ignore": shutil.ignore_patterns("*.egg-info", "__pycache__")}
                if (ROOT / part).is_dir() else {}))
    venv = terminal.home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    have = terminal.home / "preinstalled"
    have.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for dist in ("pip", "setuptools", "PyYAML"):
        files = importlib.metadata.distribution(dist).files
        for top in {f.parts[0] for f in files if not f.parts[0].endswith(".pth")}:
            if (site / top).exists() and not (have / top).exists():
                (have / top).symlink_to(site / top)
    purelib = subprocess.run([venv / "bin" / "python", "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "preinstalled.pth").write_text(f"{have}\n")
    terminal.env.update(PATH=f"{venv / 'bin'}:{terminal.env['PATH']}", PIP_NO_INDEX="1",
                        PIP_NO_BUILD_ISOLATION="0")
    result = terminal.run("gateway-assistant/00-install.sh", timeout=180)
    assert result.code == 0, result.output
    version = terminal.sh("gateway-assistant --version")
    assert version.code == 0 and "0.1.0" in version.output, version.output


def test_recommend_from_flags_a_file_and_a_typo(reader):
    """recommend as the page shows it: flags, an answers file for CI with the bundle written,
    and a wrong answer; the outputs are what the reader's terminal printed."""
    result = reader.run("gateway-assistant/07-recommend.sh")
    assert result.code == 0 and result.stdout.startswith("Quick Answer"), result.output
    for rel in ("bedrock/01-config.yaml", "bedrock/03-connect.sh"):
        assert snippet(rel).read_text().rstrip("\n") in result.stdout
    captures.check("gateway-assistant/recommend.console",
                   console("gateway-assistant/07-recommend.sh", result))
    shutil.copyfile(snippet("gateway-assistant/08-answers.yaml"), reader.project / "answers.yaml")
    result = reader.run("gateway-assistant/09-recommend-ci.sh")
    assert result.code == 0, result.output
    ran("gateway-assistant/08-answers.yaml")  # the answers recommend just read
    answer = json.loads((reader.project / "answer.json").read_text())
    assert answer["quick_answer"]["gateway"] == "apps-gateway"
    for part in [*answer["configuration"], *answer["verification_steps"]]:
        rel = part["snippet"].removeprefix("snippets/")
        name = part["save_as"] or rel.rsplit("/", 1)[-1]
        assert (reader.project / "starter" / name).read_bytes() == snippet(rel).read_bytes()
    captures.check("gateway-assistant/recommend-ci.console",
                   console("gateway-assistant/09-recommend-ci.sh", result))
    result = reader.run("gateway-assistant/10-recommend-typo.sh")
    assert result.code == 2 and "Traceback" not in result.output, result.output
    captures.check("gateway-assistant/recommend-typo.console",
                   console("gateway-assistant/10-recommend-typo.sh", result))
