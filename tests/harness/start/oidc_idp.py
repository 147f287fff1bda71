"""The company's OpenID Connect provider, stood in for by the npm package `oidc-provider`
(OpenID Certified), pinned, installed into the component cache by `python -m
tests.harness.start.components` like Claude Code (a harness install, not a reader's snippet).

Its configuration lives here (`oidc_idp.mjs`), not on a page: it replaces Okta, Microsoft
Entra ID or Google Workspace the way the provider fake replaces Anthropic. Users alice and
bob carry email and groups claims; `remove(user)` offboards one (the IdP re-reads its users
at every sign-in and refresh)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.project import CACHE
from tests.harness.proof import starts
from tests.harness.start import components
from tests.harness.start.gateway import stop_process_group, tail

PACKAGE = "oidc-provider@9.13.3"
HERE = Path(__file__).parent
SCRIPT = HERE / "oidc_idp.mjs"
START_TIMEOUT_S = 30

# The gateway's OAuth client as registered at the IdP (visibly fake secret).
CLIENT_ID = "claude-apps-gateway"
CLIENT_SECRET = "idp-client-secret-change-me"
USERS = {
    "alice": {"password": "alice-password", "email": "alice@example.com", "name": "Alice",
              "groups": ["engineering"]},
    "bob": {"password": "bob-password", "email": "bob@example.com", "name": "Bob",
            "groups": ["contractors"]},
}


def _workdir() -> Path:
    return CACHE / f"oidc-provider-{hashlib.sha256(PACKAGE.encode()).hexdigest()[:12]}"


def install() -> Path:
    """npm install the pinned package once into the cache (needs the network)."""
    work = _workdir()
    if (work / ".installed").exists():
        print(f"oidc-provider: cached in {work}")
        return work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = dict(os.environ, PATH=f"{components.node_bin()}{os.pathsep}{os.environ['PATH']}",
               NPM_CONFIG_UPDATE_NOTIFIER="false", NPM_CONFIG_FUND="false",
               NPM_CONFIG_AUDIT="false")
    r = subprocess.run(["npm", "install", "--save-exact", PACKAGE], cwd=work, env=env)
    if r.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise SystemExit(f"oidc-provider: npm install {PACKAGE} failed")
    (work / ".installed").write_text(PACKAGE + "\n")
    return work


def why_unavailable() -> str | None:
    if not (_workdir() / ".installed").exists():
        return (f"{PACKAGE} is not installed in {CACHE}; run `nox -s verify-docs` "
                "(it installs the pinned components first)")
    return None


@dataclass
class IdP:
    port: int = 9000
    redirect_uris: list[str] = field(default_factory=lambda: [
        "http://localhost:8080/oauth/callback", "http://127.0.0.1:8080/oauth/callback"])
    users: dict = field(default_factory=lambda: json.loads(json.dumps(USERS)))
    ttl: dict = field(default_factory=dict)
    host: str = "localhost"  # the name in the issuer URL (the IdP listens on 127.0.0.1)
    tls: tuple[Path, Path] | None = None  # (cert, key): serve https with them
    proc: subprocess.Popen | None = None
    workdir: Path | None = None

    @property
    def issuer(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> IdP:
        with starts.timed("OIDC IdP", "oidc-provider"):
            return self._start()

    def _start(self) -> IdP:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="idp-"))
            (self.workdir / "node_modules").symlink_to(_workdir() / "node_modules")
            shutil.copyfile(SCRIPT, self.workdir / SCRIPT.name)
            self._write_users()
            (self.workdir / "config.json").write_text(json.dumps({
                "issuer": self.issuer, "port": self.port,
                "users_file": str(self.workdir / "users.json"), "ttl": self.ttl,
                "tls": {"cert": str(self.tls[0]), "key": str(self.tls[1])} if self.tls else None,
                "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                             "redirect_uris": self.redirect_uris,
                             "grant_types": ["authorization_code", "refresh_token"],
                             "response_types": ["code"]}]}))
        env = {"PATH": f"{components.node_bin()}:/usr/bin:/bin", "HOME": str(self.workdir),
               "NODE_ENV": "production"}
        with open(self.workdir / "idp.log", "ab") as log:
            self.proc = subprocess.Popen(
                ["node", SCRIPT.name, "config.json"], cwd=self.workdir, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the IdP exited:\n" + tail(self.log()))
            try:
                # at 127.0.0.1 under the issuer's name (which may resolve nowhere here)
                probe = urllib.request.Request(
                    f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
                    "/.well-known/openid-configuration",
                    headers={"Host": f"{self.host}:{self.port}"})
                with urllib.request.urlopen(probe, timeout=2, context=(
                        ssl._create_unverified_context() if self.tls else None)) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the IdP did not answer:\n" + tail(self.log()))

    def _write_users(self) -> None:
        (self.workdir / "users.json").write_text(json.dumps(self.users))

    def remove(self, user: str) -> None:
        """Offboard a user: the IdP no longer knows them."""
        self.users.pop(user, None)
        self._write_users()

    def restore(self) -> None:
        self.users = json.loads(json.dumps(USERS))
        self._write_users()

    def log(self) -> str:
        path = self.workdir / "idp.log" if self.workdir else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None


def sign_in(page, user: str, password: str | None = None) -> None:
    """On the IdP's sign-in page (a Playwright page already there): log in as `user`."""
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password or USERS[user]["password"])
    page.click("button[type=submit]")
