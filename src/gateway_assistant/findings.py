"""A finding (what is wrong, where, how to fix it) and the two ways to print a list of them:
for people (file:line: severity: message, then the fix) and JSON for CI."""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import asdict, dataclass

# Exit codes shared by every command: 2 is a usage error (argparse's own code too), 3 means
# the tool could not check (a file it cannot read, a gateway it cannot reach).
OK, FINDINGS, USAGE, COULD_NOT_RUN = 0, 1, 2, 3
INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
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


def printable(value, limit: int | None = 80) -> str:
    """A value safe to print in one line: control characters (terminal escapes, newlines,
    carriage returns, bidi controls) escaped, long ones cut. The one escaping helper."""
    text = str(value)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


class Unreadable(OSError):
    """An input file refused before or while reading it; str() is the one-line reason."""


def _refuse_special(mode: int, what: str, name: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = ("a directory" if stat.S_ISDIR(mode) else
            "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    raise Unreadable(f"{what} {name} is {kind}, not a regular file; not read")


def read_capped(path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes. FIFOs, devices (/dev/zero),
    directories, sockets and symlink loops are refused before any read; a FIFO is opened
    with O_NONBLOCK so opening it cannot block; at most limit + 1 bytes are ever read."""
    name = printable(path, 200)
    try:
        _refuse_special(os.stat(path).st_mode, what, name)  # before open: never open a device
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except Unreadable:
        raise
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise Unreadable(f"{what} {name} is a symlink loop") from None
        if isinstance(e, FileNotFoundError):
            raise
        raise Unreadable(f"cannot read {what} {name}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        _refuse_special(st.st_mode, what, name)  # swapped between stat and open
        if st.st_size > limit:
            raise Unreadable(f"{what} {name} is {st.st_size:,} bytes; the limit is "
                             f"{limit:,} bytes. Is this the right file?")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # the file grew while being read
            raise Unreadable(f"{what} {name} is over the limit of {limit:,} bytes")
        return b"".join(chunks)
    except Unreadable:
        raise
    except OSError as e:
        raise Unreadable(f"cannot read {what} {name}: {e.strerror or e}") from None
    finally:
        os.close(fd)


def exit_code(findings: list[Finding]) -> int:
    return FINDINGS if any(f.severity in ("error", "warning") for f in findings) else OK


def human(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        where = f"{printable(f.where, None)}: " if f.where else ""
        lines.append(f"{where}{f.severity}: {printable(f.message, None)}")
        if f.fix:
            lines.append(f"    fix: {printable(f.fix, None)}")
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning")}
    lines.append(f"{counts['error']} error(s), {counts['warning']} warning(s)")
    return "\n".join(lines)


def as_json(findings: list[Finding], **extra) -> str:
    return json.dumps({**extra, "findings": [asdict(f) for f in findings]}, indent=2)
