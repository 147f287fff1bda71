"""A finding (what is wrong, where, how to fix it) and the two ways to print a list of them:
for people (file:line: severity: message, then the fix) and JSON for CI."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

# Exit codes shared by every command.
OK, FINDINGS, COULD_NOT_RUN = 0, 1, 2
SEVERITIES = ("error", "warning", "info")


@dataclass
class Finding:
    severity: str  # error | warning | info
    code: str  # stable identifier, e.g. "master-key-misplaced"
    message: str
    fix: str = ""
    file: str = ""
    line: int | None = None

    @property
    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


def printable(value, limit: int = 80) -> str:
    """A value safe to print in one line: control characters escaped, long ones cut."""
    text = str(value)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def exit_code(findings: list[Finding]) -> int:
    return FINDINGS if any(f.severity in ("error", "warning") for f in findings) else OK


def human(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        where = f"{f.where}: " if f.where else ""
        lines.append(f"{where}{f.severity}: {f.message}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning")}
    lines.append(f"{counts['error']} error(s), {counts['warning']} warning(s)")
    return "\n".join(lines)


def as_json(findings: list[Finding], **extra) -> str:
    return json.dumps({**extra, "findings": [asdict(f) for f in findings]}, indent=2)
