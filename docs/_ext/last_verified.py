"""Every page says when its content was last proven, truthfully, however the site is built.

`nox -s verify-docs`, once every test and guard passed, writes a small record
(conf/last-verified.json): the date, the versions, what the run counted, and a digest of
everything the proof reads (pages, snippets, captures, tests, the tool, the pins). A build
of the site (verify-docs, `nox -s docs`, Read the Docs) computes the same digest of its own
files and says on every page either "Verified on DATE" (the record matches: these exact files
passed the proof) or "Changed since the proof run of DATE" (the record is of other files), or
"Not verified" (no record). Commit the record a passing run wrote; `python
docs/_ext/last_verified.py check` (run by .ci/run) says whether the committed one is current."""

from __future__ import annotations

import hashlib
import html
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORD = "conf/last-verified.json"
# What the proof reads. Built output, caches and the record itself are not inputs.
INPUTS = ("docs", "snippets", "tests", "src", "conf", "noxfile.py", "pyproject.toml", ".ci")
NOT_INPUTS = ("_build", "__pycache__", ".pytest_cache", ".egg-info", ".pyc")


def _files(root: Path) -> list[str]:
    """The input files: git's list where this is a checkout (what a commit holds), else a walk."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", *INPUTS],
                             capture_output=True, check=True).stdout.decode()
        files = [f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = [p.relative_to(root).as_posix() for top in INPUTS for p in
                 ([root / top] if (root / top).is_file() else (root / top).rglob("*"))
                 if p.is_file()]
    return sorted(f for f in files
                  if f != RECORD and not any(part in f for part in NOT_INPUTS))


def digest(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    for rel in _files(root):
        path = root / rel
        if path.is_file():  # a file deleted but not yet committed is not an input
            h.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def read(root: Path = ROOT) -> dict | None:
    path = root / RECORD
    return json.loads(path.read_text()) if path.is_file() else None


def _count(records: Path, name: str) -> int:
    return len({line for p in records.glob(f"{name}.*.jsonl")
                for line in p.read_text().splitlines() if line})


def write(day: str, versions: dict, records: Path, claims: Path, root: Path = ROOT) -> dict:
    """The record of a proof run that passed (called by verify-docs after the guards)."""
    record = {
        "date": day,
        "inputs_sha256": digest(root),
        "versions": versions,
        "tests_passed": _count(records, "passed"),
        "snippets_run": _count(records, "exercised"),
        "captures_checked": _count(records, "checked-captures"),
        "proof_marks": len(json.loads(claims.read_text())),
    }
    (root / RECORD).write_text(json.dumps(record, indent=1) + "\n")
    return record


def state(root: Path = ROOT) -> tuple[str, dict | None]:
    """'verified', 'changed' (the record is of other files) or 'none', and the record."""
    record = read(root)
    if record is None:
        return "none", None
    return ("verified" if record.get("inputs_sha256") == digest(root) else "changed"), record


def sentence(kind: str, record: dict | None, versions: dict, how: str) -> str:
    def against(v):
        return " and ".join(f"{n} {html.escape(str(x))}" for n, x in v.items())
    link = f'<a href="{how}">how this site is tested</a>'
    if kind == "verified":
        day = html.escape(record["date"])
        return (f'Verified on <time class="verified-on" datetime="{day}">{day}</time> against '
                f'{against(record["versions"])}: {record["tests_passed"]} tests passed on exactly '
                f"these pages, snippets and configurations ({link}).")
    if kind == "changed":
        day = html.escape(record["date"])
        pinned = ("" if record["versions"] == versions
                  else f"; these pages pin {against(versions)}")
        return (f'Changed since the proof run of <time class="verified-on" datetime="{day}">'
                f'{day}</time> (against {against(record["versions"])}{pinned}): this build\'s '
                f"pages, snippets or tests differ from what that run verified ({link}).")
    return (f"Not verified: no passing run of the proof is recorded for this build (pinned to "
            f"{against(versions)}; {link}).")


def add_line(app, pagename, templatename, context, doctree):
    if doctree is None or "body" not in context:
        return
    if not hasattr(app, "_last_verified"):
        app._last_verified = state(Path(app.srcdir).parent)
    kind, record = app._last_verified
    how = app.builder.get_relative_uri(pagename, "explanation/how-this-site-is-tested")
    context["body"] += (f'<p class="last-verified" data-state="{kind}">'
                        f'{sentence(kind, record, app.config.last_verified_versions, how)}</p>')


def setup(app):
    app.add_config_value("last_verified_versions", {}, "html")
    app.connect("html-page-context", add_line)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def check_committed(root: Path = ROOT) -> str:
    """Whether the record in the last commit is of the committed files (CI's report)."""
    try:
        committed = json.loads(subprocess.run(
            ["git", "-C", str(root), "show", f"HEAD:{RECORD}"], capture_output=True,
            check=True).stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return (f"STALE PROOF RECORD: no {RECORD} is committed, so the published pages say "
                "'Not verified'. Commit the record a passing `nox -s verify-docs` wrote.")
    if committed.get("inputs_sha256") == digest(root):
        return f"proof record current: the committed files were verified on {committed['date']}"
    return (f"STALE PROOF RECORD: {RECORD} in the last commit is of the run of "
            f"{committed.get('date')}, and the committed pages, snippets or tests changed "
            "since; the published pages say 'Changed since the proof run'. Commit the record "
            "this run wrote.")


if __name__ == "__main__":
    if sys.argv[1:] == ["check"]:
        print(check_committed())
    else:
        sys.exit("usage: python docs/_ext/last_verified.py check")
