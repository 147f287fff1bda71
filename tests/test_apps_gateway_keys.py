"""The gateway.yaml key reference (docs/reference/apps-gateway-keys.md) agrees with the pinned
Claude Code binary, so it cannot drift:
- the generated page is what the binary's own schema renders (a key missing or extra, a type or
  a default wrong fails), and the schema as read is whole: the keys the gateway's own messages
  name are in it;
- the gateway's own validation accepts every default as read, each under its key;
- every key a published gateway.yaml sets is in the schema, with a value of its type, and each
  Claude Code setting a policy sets is one the binary reads;
- every published gateway.yaml is started by a test, the one its rows' marks name."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import yaml

from tests.harness.project import ROOT
from tests.harness.proof import apps_gateway_keys as keys
from tests.harness.reader import claude_binary, gateway_schema
from tests.harness.reader.gateway_schema import OPAQUE, Z
from tests.harness.start import components


def test_apps_gateway_key_reference_matches_the_pinned_schema():
    root = keys.pinned()
    paths = {k.path for k in keys.keys(root)}
    # Each `section.key` the gateway's own messages name (listen.public_url, oidc.client_secret,
    # store.readiness_grace_seconds …) is a key the schema was read with.
    source = gateway_schema.module(claude_binary.binary().read_bytes())
    sections = "|".join(map(re.escape, root.args[0]))
    named = set(re.findall(rf"[\"'` (]((?:{sections})(?:\.[a-z_]+)+)(?: [a-z]|\))", source))
    unread = sorted(n for n in named if not any(
        p.replace("[]", "") == n or p.replace("[]", "").startswith(n + ".") for p in paths))
    assert len(named) >= 10, named
    assert not unread, f"the gateway's messages name them, the schema as read lacks them: {unread}"
    # The page says the gateway refuses a key it does not list: so does every object of the schema.
    objects = list(_objects(root))
    lax = [sorted(o.args[0]) for o in objects if not o.strict]
    assert len(objects) > 40 and not lax, f"objects that would drop a key they do not list: {lax}"
    rendered = keys.render(root)
    if os.environ.get("UPDATE_CAPTURES") == "1":
        keys.write(root)
    assert keys.GENERATED.read_text() == rendered, (
        "docs/_generated/apps-gateway-keys.md differs from the pinned binary's schema: run with "
        "UPDATE_CAPTURES=1 (or python -m tests.harness.proof.apps_gateway_keys)")


def _objects(z):
    """Every object schema in `z`, its own and those in lists, maps and unions."""
    if z.kind == "Object":
        yield z
    for arg in z.args:
        for inner in arg.values() if isinstance(arg, dict) else arg if isinstance(
                arg, list) else [arg]:
            if isinstance(inner, Z):
                yield from _objects(inner)


def _defaults(z) -> tuple[object, bool]:
    """(the value with every key that has a default set to it, whether that is a whole value:
    no key it requires lacks a default)."""
    if z.kind != "Object":
        return (None, False) if z.default is OPAQUE else (z.default, True)
    out, whole = {}, True
    for name, sub in z.args[0].items():
        value, complete = _defaults(sub)
        if complete:
            out[name] = value
        elif not sub.optional and sub.default is OPAQUE:
            whole = False
    return out, whole


def test_every_default_passes_the_gateways_own_validation(tmp_path):
    """The tutorial's gateway.yaml with every other key that has a default set to it, in each
    section the schema lets it add: the pinned gateway validates the file before it connects to
    anything, and logs config.load once it has accepted it."""
    root = keys.pinned()
    tutorial = yaml.safe_load((ROOT / "snippets" / "apps-gateway" / "01-gateway.yaml").read_text())
    config = yaml.safe_load(yaml.safe_dump(tutorial))
    for section, z in root.args[0].items():
        value, whole = _defaults(z)
        if isinstance(config.get(section), dict) and isinstance(value, dict):
            for key, default in value.items():
                config[section].setdefault(key, default)
        elif section not in config and whole:
            config[section] = value
    added, wrong = keys.check(config, root)
    added -= keys.check(tutorial, root)[0]
    assert not wrong and len(added) >= 40, (wrong, sorted(added))
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"PATH": f"{components.claude_bin()}:/usr/bin:/bin", "HOME": str(tmp_path),
           "OIDC_ISSUER": "https://idp.example.com", "OIDC_CLIENT_ID": "gateway",
           "OIDC_CLIENT_SECRET": "secret", "GATEWAY_JWT_SECRET": "x" * 32,
           "DATABASE_URL": "postgresql://gateway@127.0.0.1:9/gateway",  # nothing listens
           "ANTHROPIC_UPSTREAM_URL": "https://upstream.example.com", "ANTHROPIC_API_KEY": "k"}
    proc = subprocess.Popen(["claude", "gateway", "--config", str(path)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    out, deadline = "", time.monotonic() + 60
    try:
        while "config.load" not in out and proc.poll() is None and time.monotonic() < deadline:
            out += proc.stdout.readline()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # it goes on to connect to PostgreSQL
        out += proc.communicate()[0]
    assert "claude gateway: [" not in out and "config.load" in out, out


def test_published_gateway_configs_use_only_schema_keys():
    root = keys.pinned()
    settings = claude_binary.settings_keys()
    configs = keys.published()
    assert sum(map(len, configs.values())) >= 6, configs
    for rel, found in configs.items():
        for config in found:
            _, wrong = keys.check(config, root)
            assert not wrong, f"{rel}: {wrong}"
            for policy in (config.get("managed") or {}).get("policies", []):
                for block in ("cli", "code", "settings"):
                    unread = set(policy.get(block) or {}) - settings
                    assert not unread, f"{rel}: settings the pinned binary never reads: {unread}"


def test_every_published_gateway_config_is_started_by_a_test():
    booted = keys.booted_by()
    gateway_configs = {rel for rel, found in keys.published().items() if found}
    assert gateway_configs <= set(booted), (
        f"published, and no test starts the gateway on them: {gateway_configs - set(booted)} "
        '(a test, or a fixture it takes, calls apps_gateway.start({"gateway.yaml": "<path>"}, '
        "…) with the path or a module constant holding it)")
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(), re.M))
    assert set(booted.values()) <= defined, set(booted.values()) - defined
