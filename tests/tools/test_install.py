"""gateway-assistant as a reader installs it (`python3 -m pip install .`, run before the tests
by harness/start/tool_install.py) works on every tested Python: the oldest the package declares and
the one running the tests. The installed command gives the same findings as the code tested
in-process."""

from __future__ import annotations

import json
import subprocess

import pytest

from gateway_assistant.validate import validate
from tests.harness.proof import snippets
from tests.harness.proof.snippets import snippet
from tests.harness.start import tool_install

PYTHONS = tool_install.interpreters()


@pytest.mark.parametrize("version", PYTHONS)
def test_installed_command_runs_on_python(version, tmp_path):
    python = PYTHONS[version]
    if python is None:
        pytest.skip(f"no Python {version} on this machine (looked for python{version} on PATH "
                    f"and under ~/.pyenv/versions): the package's minimum is untested here")
    work = tool_install.venv(version, python)
    assert (work / ".installed").exists(), \
        "not installed: run `nox -s verify-docs` (it runs the install snippet first)"
    snippets.ran(tool_install.INSTALL)  # its bytes produced this environment
    command = work / "bin" / "gateway-assistant"
    reported = subprocess.run([work / "bin" / "python", "-c",
                               "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert reported == version

    def run(*args, env=None):
        return subprocess.run([command, *args], capture_output=True, text=True, cwd=tmp_path,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **(env or {})})

    mistakes = snippet("gateway-assistant/01-config-with-mistakes.yaml")
    result = run("validate", str(mistakes), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == [
        f.code for f in validate(mistakes, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})]
    result = run("doctor", "--format", "json", env={"ANTHROPIC_BASE_URL": "http://localhost:4000"})
    assert result.returncode == 1 and "base-url-without-token" in result.stdout, result.stderr
    result = run("probe", "http://127.0.0.1:9", "--token", "x")
    assert result.returncode == 3 and "cannot reach" in result.stderr, result.stderr
    # recommend prints the snippets the wheel carries: the site's own bytes
    result = run("recommend", "--answers", str(snippet("gateway-assistant/08-answers.yaml")),
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    parts = [*(answer := json.loads(result.stdout))["configuration"],
             *answer["verification_steps"]]
    assert parts and all(p["text"] == snippet(p["snippet"].removeprefix("snippets/")).read_text()
                         for p in parts), result.stdout
