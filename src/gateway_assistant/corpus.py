"""The corpus `gateway-assistant conformance` replays: the pinned Claude Code's own requests,
recorded by tests/tools/test_conformance.py from the real CLI (`UPDATE_CAPTURES=1` on that test
writes conformance_corpus.json again), with the key, the session and the user id removed."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).with_name("conformance_corpus.json")
CREDENTIAL = "${CREDENTIAL}"  # where the corpus held Claude Code's key
SESSION = "00000000-0000-4000-8000-000000000000"
NOT_RECORDED = {"host", "content-length", "connection"}  # per connection, set by the client


def load() -> dict:
    return json.loads(CORPUS.read_text())


def record(name: str, method: str, path: str, headers: dict, body: bytes) -> dict:
    """One corpus entry from a request as the provider fake recorded it: the key, the
    session and the user id replaced by placeholders."""
    kept = {}
    for key, value in sorted(headers.items()):
        key = key.lower()
        if key == "authorization":
            value = f"Bearer {CREDENTIAL}"
        elif key == "x-api-key":
            value = CREDENTIAL
        elif key == "x-claude-code-session-id":
            value = SESSION
        if key not in NOT_RECORDED:
            kept[key] = value
    data = json.loads(body) if body else None
    user = data.get("metadata", {}).get("user_id") if isinstance(data, dict) else None
    if isinstance(user, str):
        fields = json.loads(user) if user.startswith("{") else {"user": user}
        data["metadata"]["user_id"] = json.dumps({k: "redacted" for k in sorted(fields)})
    return {"name": name, "method": method, "path": path, "headers": kept, "body": data}


def shape(entry: dict) -> dict:
    """What must stay the same from one run of the pinned CLI to the next."""
    body, headers = entry["body"] or {}, entry["headers"]
    return {"name": entry["name"], "method": entry["method"], "path": entry["path"],
            "headers": sorted(headers), "anthropic-version": headers.get("anthropic-version"),
            "anthropic-beta": sorted(b.strip() for b in
                                     headers.get("anthropic-beta", "").split(",") if b.strip()),
            "body": sorted(body), "stream": body.get("stream"),
            "tools": sorted(t.get("name", "") for t in body.get("tools", [])),
            "messages": [[m.get("role"), [b.get("type") for b in m["content"]]
                          if isinstance(m.get("content"), list) else "text"]
                         for m in body.get("messages", [])]}
