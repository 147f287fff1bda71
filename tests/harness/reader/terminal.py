"""A reader's terminal: a clean environment, a fresh HOME and project directory, the pinned
Claude Code on PATH. Snippets run in it byte for byte (`source`d into one bash, as if pasted
one after another); settings snippets are copied to where the page says they go."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.harness.project import SNIPPETS
from tests.harness.proof import starts
from tests.harness.proof.snippets import ran, snippet
from tests.harness.start import components

# Bounded retries and timeouts, so error scenarios take seconds instead of ~3 minutes. This
# shapes what a reader sees (fewer attempts before an error shows): pages that show such a
# failure say so, and the defaults are measured once (background scenarios, defaults=True).
FAST_FAILURE = {"CLAUDE_CODE_MAX_RETRIES": "1", "API_TIMEOUT_MS": "20000"}

# How long an interactive session may live: a backstop, so no `claude` outlives a pytest
# that was killed before its `finally` (which stops the session). It is not a test's limit:
# each wait has its own `timeout`. It once was that timeout, and a session of several prompts
# on a busy machine was killed at 120 s in the middle of a wait that still had time.
SESSION_LIFETIME = 1800

SETTINGS_PLACES = {
    "user": ".claude/settings.json",  # relative to HOME
    "project": ".claude/settings.json",  # relative to the project directory
    "local": ".claude/settings.local.json",
}


@dataclass
class Result:
    stdout: str
    stderr: str
    code: int
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


# A line of shell that starts the Claude Code CLI (as a command, not inside a word or path).
RUNS_CLAUDE = re.compile(r"(?:^|[\s;&|(`])claude(?:\s|$)", re.MULTILINE)


def claude_starts(shell_text: str) -> int:
    """How many times a shell text starts Claude Code: its `claude` command lines, comments
    left out (each published line such as `claude --model haiku -p "…"` is one start of the
    CLI). The start report counts these, not the runs."""
    code = (re.sub(r"(^|\s)#.*", "", line) for line in shell_text.splitlines())
    return sum(1 for line in code if RUNS_CLAUDE.search(line))


# `source /…/snippets/guide/NN-x.sh` (or `.`, or `bash`) in a test's own script.
SOURCED = re.compile(r"(?:source|\.|bash)\s+['\"]?" + re.escape(str(SNIPPETS)) + r"/([^\s'\";]+)")


class Terminal:
    def __init__(self, root: Path, env: dict[str, str] | None = None, defaults: bool = False):
        """`defaults=True`: Claude Code's own retries and timeouts, as a reader has them."""
        self.placed: list[str] = []  # snippet files placed, not yet read by a claude run
        self.home = root / "home"
        self.project = root / "project"
        self.home.mkdir(parents=True, exist_ok=True)
        self.project.mkdir(parents=True, exist_ok=True)
        self.env = {
            "HOME": str(self.home),
            "PATH": os.pathsep.join(
                [str(components.claude_bin()), "/usr/bin", "/bin"]),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            **({} if defaults else FAST_FAILURE),
            **(env or {}),
        }

    def settings(self, level: str, rel: str) -> Path:
        """Put a settings snippet where the page tells the reader to put it."""
        base = self.home if level == "user" else self.project
        return self.place(rel, base / SETTINGS_PLACES[level])

    def place(self, rel: str, dest: Path) -> Path:
        """Put a snippet file Claude Code reads or runs (settings, a helper script) at
        `dest`. Placing proves nothing: it counts as run once a claude command runs here."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(snippet(rel), dest)
        self.placed.append(rel)
        return dest

    def _claude_ran(self) -> None:
        ran(*self.placed)
        self.placed.clear()

    def run(self, *snippets: str, timeout: float = 90) -> Result:
        """Run snippets in order in one shell, as if pasted one after another."""
        script = "\n".join(f"source {shlex.quote(str(snippet(s)))}" for s in snippets)
        result = self._bash(script, timeout,
                            "\n".join(snippet(s).read_text() for s in snippets),
                            " + ".join(snippets))
        ran(*snippets)  # sourced, whatever their exit code: failure scenarios run too
        return result

    def sh(self, script: str, timeout: float = 90) -> Result:
        """Run a test's own shell script; snippets it `source`s (by their path under
        snippets/) count as run, as with `run`."""
        sourced = [m.group(1) for m in SOURCED.finditer(script)]
        result = self._bash(script, timeout, "\n".join(
            [script, *(snippet(rel).read_text() for rel in sourced)]),
            "a test's script" + "".join(f" + {rel}" for rel in sourced))
        ran(*sourced)
        return result

    def _bash(self, script: str, timeout: float, shell_text: str, label: str) -> Result:
        started = time.monotonic()
        r = None
        try:
            r = subprocess.run(["bash", "-c", script], cwd=self.project, env=self.env,
                               capture_output=True, text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
        finally:
            # Counted: each `claude` command line of the shell text is one start of the CLI
            # (`claude -p`, `claude --version`, …), each given an equal share of the run's
            # seconds (the CLI's start, its requests and its exit; a `claude -p` has no
            # "ready" apart from its answer). A run that timed out counts as never ready.
            # Not counted here: sessions (below), `claude gateway` (the apps gateway's
            # start), and a test's own subprocess call of the binary.
            if n := claude_starts(shell_text):
                seconds = time.monotonic() - started
                for _ in range(n):
                    starts.started("Claude Code (terminal runs)", label, seconds / n,
                                   ready=r is not None)
        if RUNS_CLAUDE.search(shell_text):
            self._claude_ran()
        return Result(r.stdout, r.stderr, r.returncode, time.monotonic() - started)

    def interactive(self, *snippets: str, keys: str, until: str, timeout: float = 60) -> str:
        """Run `snippets` in a terminal under tmux (the last one starts interactive `claude`),
        type `keys` once Claude Code's prompt is up, and return the screen once `until`
        shows on it."""
        with self.session(*snippets, timeout=timeout) as screen:
            return screen.type(keys, until)

    @contextmanager
    def session(self, *snippets: str, timeout: float = 60):
        """An interactive Claude Code session under tmux that stays open for several
        prompts: `with terminal.session(...) as s: s.type(keys, until)`; each wait on its
        screen may take `timeout` seconds."""
        sock = self.home.parent / "tmux.sock"
        script = "; ".join(f"source {shlex.quote(str(snippet(s)))}" for s in snippets)
        env_args = [f"{k}={v}" for k, v in {**self.env, "TERM": "xterm-256color"}.items()]
        tmux = ["tmux", "-S", str(sock)]
        try:
            # One session is one start of Claude Code, ready once its prompt is up.
            with starts.timed("Claude Code (sessions)", " + ".join(snippets)):
                subprocess.run(
                    [*tmux, "new-session", "-d", "-x", "120", "-y", "50", "-c",
                     str(self.project), "env", "-i", *env_args, "timeout", "--foreground",
                     str(SESSION_LIFETIME), "bash", "-c", script], check=True)
                screen = Screen(tmux, timeout)
                screen.wait(r"\? for shortcuts|auto mode")
            # Claude Code's prompt is up: every snippet was sourced and the CLI read its
            # settings.
            ran(*snippets)
            self._claude_ran()
            yield screen
        finally:
            # The tmux server on our own socket, started above: stopped through that socket.
            subprocess.run([*tmux, "kill-server"], capture_output=True)

    def seed_subscription_login(self, access_token: str) -> None:
        """A claude.ai (Max) login, as Claude Code stores it on Linux after /login, holding
        `access_token` (a made-up one: the tests read where it is sent)."""
        creds = self.home / ".claude" / ".credentials.json"
        creds.parent.mkdir(parents=True, exist_ok=True)
        creds.write_text(json.dumps({"claudeAiOauth": {
            "accessToken": access_token, "refreshToken": "sk-ant-ort01-refresh-change-me",
            "expiresAt": int(time.time() * 1000) + 3_600_000,
            "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
            "subscriptionType": "max"}}))
        creds.chmod(0o600)

    def seed_first_run(self, api_key: str | None = None) -> None:
        """Answer Claude Code's first-run screens the way a returning user already has
        (onboarding, folder trust, an approved API key), so an interactive session opens at
        the prompt. Listed on docs/explanation/how-this-site-is-tested.md."""
        state = {
            "hasCompletedOnboarding": True,
            "projects": {str(self.project): {"hasTrustDialogAccepted": True}},
        }
        if api_key:
            state["customApiKeyResponses"] = {"approved": [api_key[-20:]], "rejected": []}
        (self.home / ".claude.json").write_text(json.dumps(state))


class Screen:
    """The tmux pane of an interactive session."""

    def __init__(self, tmux: list[str], timeout: float):
        self.tmux, self.timeout = tmux, timeout
        self.started = time.monotonic()

    def type(self, keys: str, until: str) -> str:
        """Type `keys` and Enter; return the screen once `until` (plain text) shows."""
        subprocess.run([*self.tmux, "send-keys", "-t", "0", keys, "Enter"], check=True)
        return self.wait(re.escape(until))

    def wait(self, pattern: str) -> str:
        shown, screen = self._until(pattern, self.timeout)
        if not shown:
            raise AssertionError(f"{pattern!r} never showed on the screen:\n{screen}")
        return screen

    def press(self, keys: str, until: str, while_shown: str, every: float = 10,
              or_when: Callable[[], bool] | None = None) -> str:
        """Press `keys` (a tmux key name) and return the screen once the pattern `until`
        shows. A dialog can be on the screen before it takes keys, and keys that arrive then
        are lost (on a busy machine Claude Code's "Switch model?" stayed up, its Enter sent,
        until the wait's timeout): while `while_shown` is still on the screen `every` seconds
        later, the keys are pressed again. Once it is gone they are not, so they never
        reach the screen that follows. `or_when`, checked every `every` seconds once the
        dialog is gone, is another sign that the keys took effect."""
        deadline = time.monotonic() + self.timeout
        press = True
        while True:
            if press:
                subprocess.run([*self.tmux, "send-keys", "-t", "0", keys], check=True)
            shown, screen = self._until(until, min(every, deadline - time.monotonic()))
            if shown:
                return screen
            press = bool(re.search(while_shown, screen, re.IGNORECASE))
            if not press and or_when and or_when():
                return screen
            if time.monotonic() >= deadline:
                raise AssertionError(f"{until!r} never showed on the screen after {keys} "
                                     f"was pressed:\n{screen}")

    def _until(self, pattern: str, seconds: float) -> tuple[bool, str]:
        """Poll the pane for `pattern` for `seconds`: (shown, the last screen)."""
        deadline = time.monotonic() + seconds
        screen = ""
        while True:
            shot = subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "0"],
                                  capture_output=True, text=True)
            if shot.returncode:  # no pane left: the program exited and took the session
                raise AssertionError(
                    f"{pattern!r} never showed: the session ended after "
                    f"{time.monotonic() - self.started:.0f} s (tmux: {shot.stderr.strip()}); "
                    f"its last screen:\n{screen}")
            screen = shot.stdout
            if re.search(pattern, screen, re.IGNORECASE):
                return True, screen
            if time.monotonic() >= deadline:
                return False, screen
            time.sleep(0.2)
