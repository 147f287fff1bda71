"""gateway-assistant as a wheel, as a vendor's CI installs it: the sdist and the wheel that the
reference page's build snippet makes (`nox -s build`, run before the tests by
harness/start/wheel.py; the wheel from the unpacked sdist) carry complete metadata, the
conformance corpus and every snippet, and no credential; the page's install snippet installs
the wheel offline into a clean venv on each Python the classifiers name that this machine has,
and the installed command runs there from its own files."""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import shutil
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from gateway_assistant import __version__, corpus
from tests.harness.project import ROOT, SNIPPETS
from tests.harness.proof import snippets
from tests.harness.start import wheel

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PYTHONS = wheel.pythons()


def built() -> tuple[Path, Path]:
    """(the wheel, the sdist) of the current sources."""
    found = {p.suffix: p for p in wheel.dist().glob("gateway_assistant-*")}
    assert ".whl" in found and ".gz" in found, \
        "not built: run `nox -s verify-docs` (it builds the wheel before the tests)"
    # by the build snippet's current bytes
    assert (wheel.folder() / ".built").read_text() == hashlib.sha256(
        (SNIPPETS / wheel.BUILD).read_bytes()).hexdigest()
    snippets.ran(wheel.BUILD)
    return found[".whl"], found[".gz"]


def wheel_files() -> dict[str, bytes]:
    with zipfile.ZipFile(built()[0]) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_wheel_metadata_is_complete():
    files = wheel_files()
    (name,) = [n for n in files if n.endswith(".dist-info/METADATA")]
    meta = email.message_from_bytes(files[name], policy=email.policy.compat32)
    assert meta["Name"] == "gateway-assistant" and meta["Version"] == __version__
    assert meta["Summary"] == PROJECT["description"]
    assert meta["Requires-Python"] == ">=3.9" and meta.get_all("Requires-Dist") == ["PyYAML>=5.1"]
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().strip() == (ROOT / "src" / "README.md").read_text().strip()
    assert meta["Keywords"] == ",".join(PROJECT["keywords"])
    assert meta.get_all("Classifier") == PROJECT["classifiers"]
    assert wheel.supported() == ["3.9", "3.10", "3.11", "3.12", "3.13"]
    entry = files[name.replace("METADATA", "entry_points.txt")].decode()
    assert "gateway-assistant = gateway_assistant.cli:main" in entry, entry


def test_wheel_carries_the_corpus_and_every_snippet():
    files = wheel_files()
    package = ROOT / "src" / "gateway_assistant"
    for data in ("conformance_corpus.json", "litellm_schema.json"):
        assert files[f"gateway_assistant/{data}"] == (package / data).read_bytes(), data
    snippets = {f"gateway_assistant/snippets/{p.relative_to(SNIPPETS)}": p.read_bytes()
                for p in SNIPPETS.glob("*/*") if p.is_file()}
    shipped = {n: b for n, b in files.items() if n.startswith("gateway_assistant/snippets/")}
    assert shipped == snippets, sorted(set(shipped) ^ set(snippets))
    with tarfile.open(built()[1]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert "src/gateway_assistant/conformance_corpus.json" in names
    assert {n for n in names if n.startswith("snippets/") and n.count("/") == 2} == {
        n.removeprefix("gateway_assistant/") for n in snippets}
    assert not any(n.startswith("tests/") for n in names) and "README.md" not in names, names


def _scan(folder: Path) -> subprocess.CompletedProcess:
    """The lint session's secret scan (detect-secrets, conf/'s allowlist) over a folder."""
    allow = ROOT / "conf" / "secret-scan-allowlist.txt"
    excludes = [arg for line in allow.read_text().splitlines()
                if line.strip() and not line.startswith("#")
                for arg in ("--exclude-secrets", line)]
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    hook = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "detect-secrets-hook"
    command = str(hook) if hook.exists() else "detect-secrets-hook"
    return subprocess.run([command, "-n", *excludes, *files], capture_output=True, text=True)


def test_wheel_and_sdist_hold_no_credential(tmp_path):
    whl, sdist = built()
    with zipfile.ZipFile(whl) as z:
        z.extractall(tmp_path / "wheel")
    with tarfile.open(sdist) as t:
        t.extractall(tmp_path / "sdist", filter="data")
    found = _scan(tmp_path)
    assert found.returncode == 0, found.stdout[-4000:]
    # The same scan finds a key planted among the files, so a scan that finds nothing
    # cannot pass unnoticed.
    planted = tmp_path / "wheel" / "gateway_assistant" / "snippets" / "planted.sh"
    planted.write_text('export ANTHROPIC_API_KEY="sk-ant-api03-'
                       + os.urandom(48).hex() + '"\n')
    found = _scan(tmp_path)
    assert found.returncode == 1 and "planted.sh" in found.stdout, found.stdout[-2000:]


@pytest.mark.parametrize("version", wheel.supported())
def test_built_wheel_runs_on_python(version, tmp_path):
    python = PYTHONS[version]
    if python is None:
        pytest.skip(f"no Python {version} on this machine ({wheel.WHERE.format(v=version)}): "
                    "no registry the project installs from carries it for Debian 12")
    whl, _ = built()
    assert (wheel.folder() / f".pyyaml-{version}").exists(), \
        f"PyYAML for Python {version} not fetched: run `nox -s verify-docs`"
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    # The page's install line, in the folder the wheel was copied to; PyYAML from the
    # wheelhouse, since the tests have no network.
    shutil.copy2(whl, tmp_path / whl.name)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(wheel.wheelhouse()), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    installed = subprocess.run(["bash", str(SNIPPETS / wheel.INSTALL)], capture_output=True,
                               text=True, env=env, cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (done,) = [ln for ln in installed.stdout.splitlines() if ln.startswith("Successfully")]
    assert f" gateway-assistant-{__version__}" in done, installed.stdout
    snippets.ran(wheel.INSTALL)

    def run(*args):
        return subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)

    reported = run(venv / "bin" / "python", "-c",
                   "import sys; print('%d.%d' % sys.version_info[:2])")
    assert reported.stdout.strip() == version, reported
    result = run(venv / "bin" / "gateway-assistant", "--version")
    assert (result.returncode, result.stdout) == (0, f"gateway-assistant {__version__}\n"), result
    result = run(venv / "bin" / "gateway-assistant", "conformance", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: gateway-assistant conformance"), result.stdout
    # The corpus and the snippets load from the installed package, not from this checkout.
    loaded = run(venv / "bin" / "python", "-c",
                 "from gateway_assistant import corpus, recommend\n"
                 "print(corpus.CORPUS); print(len(corpus.load()['requests']))\n"
                 "print(recommend.snippets_dir())\n"
                 "print(recommend.snippet_text('gateway-assistant/00-install.sh'), end='')")
    assert loaded.returncode == 0, loaded.stderr
    where, count, snippets_dir, text = loaded.stdout.split("\n", 3)
    site = str(venv / "lib")
    assert where.startswith(site) and snippets_dir.startswith(site), loaded.stdout
    assert int(count) == len(corpus.load()["requests"])
    assert text == (SNIPPETS / "gateway-assistant" / "00-install.sh").read_text()
