"""What the pinned Claude Code binary reads: the environment variables and the settings keys,
taken from the native binary itself, so a page or snippet naming a variable or key the CLI
never reads (a misspelt `ANTHROPIC_BASE_URLL`) fails its static check.

How the binary reads them (measured on 2.1.330 to 2.1.332, `strings claude.exe`):
- its own variables are declared in typed registries, `Wr(K,{ANTHROPIC_BASE_URL:()=>Jl,…})`
  (`Qr(` in 2.1.331, `eo(` in 2.1.332) followed by `var Jl=H.str(),…` where
  `H={str,rawStr,bool,triBool,int,names}` is the environment-schema builder; a name counts
  when its getter is built with `H.<kind>(`;
- bundled libraries (proxies, cloud SDKs, Node options) read `process.env.NAME` or
  `process.env["NAME"]` directly;
- the settings file's top-level keys are the lazy entries of one zod object that begins
  `return{$schema:()=>…,apiKeyHelper:()=>…`.
The lists are cached next to the component cache, keyed by the binary's sha256."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path

from tests.harness.project import CACHE
from tests.harness.start import components

# The registry function's and the builder's minified names change from build to build (Wr, Qr,
# eo …; H so far): any name counts.
REGISTRY = re.compile(rb"\([\w$]+,\{((?:[A-Za-z_$][\w$]*:\(\)=>[\w$]+,?)+)\}\)")
REGISTRY_ENTRY = re.compile(rb"([A-Z][A-Z0-9_]*):\(\)=>([\w$]+)")
BUILT_BY_SCHEMA = rb"[,\s;]([\w$]+)=[\w$]{1,3}\.(?:str|rawStr|bool|triBool|int|names|enum)\("
DIRECT_READ = re.compile(rb"process\.env(?:\.([A-Z_][A-Z0-9_]*)|\[[\"']([A-Z_][A-Z0-9_]*)[\"']\])")
SETTINGS_OBJECT = re.compile(rb"return\{\$schema:\(\)=>")
LAZY_KEY = re.compile(rb"([A-Za-z_$][\w$]*):\(\)=>")


def binary() -> Path:
    """The native executable the npm package's `claude` launcher points at."""
    return (components.claude_bin() / "claude").resolve()


def _env_vars(data: bytes) -> set[str]:
    names = set()
    for block in REGISTRY.finditer(data):
        pairs = REGISTRY_ENTRY.findall(block.group(1))
        if not pairs:
            continue
        # Each registry's getters are defined right after it, in the same module.
        built = set(re.findall(BUILT_BY_SCHEMA, data[block.end():block.end() + 400_000]))
        names.update(name for name, getter in pairs if getter in built)
    for m in DIRECT_READ.finditer(data):
        names.add(m.group(1) or m.group(2))
    return {n.decode() for n in names}


def _top_level_keys(text: bytes, start: int) -> list[str]:
    """The keys of the object literal opening at `text[start]`, skipping nested brackets and
    string/template literals."""
    depth, keys, j = 0, [], start
    while j < len(text):
        c = text[j]
        if c in b"{([":
            depth += 1
        elif c in b"})]":
            depth -= 1
            if depth == 0:
                return keys
        elif c in b"\"'`":
            j = _string_end(text, j)
        if depth == 1 and c in b"{,":
            m = LAZY_KEY.match(text, j + 1)
            if m:
                keys.append(m.group(1).decode())
        j += 1
    raise ValueError("the settings object never closes")


def _string_end(text: bytes, j: int) -> int:
    quote, j = text[j], j + 1
    while text[j] != quote:
        if text[j] == 0x5C:  # backslash
            j += 1
        elif quote == 0x60 and text[j:j + 2] == b"${":  # template expression
            depth, j = 1, j + 2
            while depth:
                depth += {0x7B: 1, 0x7D: -1}.get(text[j], 0)
                j += 1
            continue
        j += 1
    return j


def _settings_keys(data: bytes) -> set[str]:
    m = SETTINGS_OBJECT.search(data)
    if not m:
        raise ValueError("no settings schema object in the binary")
    return set(_top_level_keys(data[m.start():m.start() + 400_000], len(b"return")))


@functools.cache
def _read(path: Path | None = None) -> dict[str, list[str]]:
    """What the binary at `path` (default: the pinned one) reads."""
    path = path or binary()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    cached = CACHE / f"claude-binary-reads-{digest[:16]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    data = path.read_bytes()
    reads = {"env_vars": sorted(_env_vars(data)), "settings_keys": sorted(_settings_keys(data))}
    for must in ("ANTHROPIC_BASE_URL", "CLAUDE_CODE_MAX_RETRIES", "HTTPS_PROXY"):
        assert must in reads["env_vars"], f"extraction broke: {must} not found in {path}"
    for must in ("env", "apiKeyHelper", "model"):
        assert must in reads["settings_keys"], f"extraction broke: {must} not in {path}"
    partial = cached.with_suffix(f".{os.getpid()}.tmp")  # parallel lanes read it too
    partial.write_text(json.dumps(reads))
    os.replace(partial, cached)
    return reads


def env_vars(path: Path | None = None) -> frozenset[str]:
    """Every environment variable the Claude Code binary at `path` (default: pinned) reads."""
    return frozenset(_read(path)["env_vars"])


def settings_keys(path: Path | None = None) -> frozenset[str]:
    """Every top-level key of the settings files of the binary at `path` (default: pinned)."""
    return frozenset(_read(path)["settings_keys"])
