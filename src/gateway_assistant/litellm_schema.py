"""What the pinned LiteLLM accepts in a proxy config, read from LiteLLM itself.

`litellm_schema.json` next to this file is generated, not typed: run this file with the
Python of a LiteLLM install (`.../litellm-venv/bin/python litellm_schema.py > litellm_schema.json`).
A test regenerates it from the pinned install and fails when it drifted, so the lists the
validator uses follow LiteLLM when the pin moves. The validator itself never imports LiteLLM.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).with_name("litellm_schema.json")


def load() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _literals(source: str, pattern: str) -> set[str]:
    import re

    return set(re.findall(pattern, source))


def generate() -> dict:
    """Runs inside the LiteLLM install: its models, signatures and source are the truth."""
    import importlib.metadata
    import inspect
    import re

    import litellm
    from litellm.caching.caching import Cache
    from litellm.proxy import proxy_server
    from litellm.proxy._types import ConfigGeneralSettings
    from litellm.router_utils.routing_groups import VALID_ROUTING_STRATEGIES
    from litellm.types.caching import LiteLLMCacheType

    root = Path(litellm.__file__).parent
    source = "\n".join(p.read_text(errors="replace") for p in sorted(root.rglob("*.py")))
    proxy_source = Path(proxy_server.__file__).read_text()

    # general_settings: the documented model plus every key the proxy's code reads.
    general = set(ConfigGeneralSettings.model_fields)
    general |= _literals(source, r"general_settings(?:\.get\(|\[)\s*[\"']([A-Za-z_]+)[\"']")

    # litellm_settings: load_config sets every key as an attribute of the litellm module,
    # after special-casing some; a key that is neither is set but never read.
    special = _literals(proxy_source, r'key == "([A-Za-z_]+)"')
    attributes = {k for k in dir(litellm) if not k.startswith("_")
                  and not inspect.ismodule(getattr(litellm, k, None))
                  and not callable(getattr(litellm, k, None))}
    litellm_keys = special | attributes

    # router_settings: load_config passes on only Router.__init__ arguments.
    managed_outside = set(getattr(proxy_server, "ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG", ()))
    router = {a for a in litellm.Router.get_valid_args() if a not in managed_outside}
    m = re.search(r"elif k in (\{[^}]*\}):\s*raise ValueError\(\s*f\"'\{k\}' is NOT a valid "
                  r"router_settings", proxy_source)
    router_refused = sorted(eval(m.group(1))) if m else []  # a set literal of strings

    # ... and an unknown key is logged with this warning (its %s is the key).
    m = re.search(r"elif k in \{[^}]*\}:.*?verbose_proxy_logger\.warning\(\s*\"([^\"]*%s[^\"]*)\"",
                  proxy_source, re.S)
    router_unknown_warning = m.group(1) if m else None

    cache = [p for p in inspect.signature(Cache.__init__).parameters
             if p not in ("self", "kwargs") and not p.startswith("_")]
    # A cache_params key that Cache does not name goes on to the backend's client as a keyword
    # argument: the Redis client takes these (LiteLLM's own list of them) ...
    from litellm._redis import _get_redis_kwargs
    redis_client = sorted(_get_redis_kwargs())
    # ... and S3Cache hands it to boto3's client(), beside the arguments S3Cache sets itself.
    import boto3.session
    from litellm.caching.s3_cache import S3Cache
    s3_source = inspect.getsource(S3Cache.__init__)
    call = re.search(r"boto3\.client\((.*?)\*\*kwargs", s3_source, re.S)
    s3_set = set(re.findall(r"(\w+)=", call.group(1))) if call else set()
    s3_client = sorted(p for p in inspect.signature(boto3.session.Session.client).parameters
                       if p not in ("self", "service_name") and p not in s3_set)

    # Top-level sections: what the proxy's config loader reads of the whole file (the
    # ProxyConfig methods given the parsed file as `config`), and `include:`, which it
    # resolves before anything else.
    top_level = set()
    whole_file = re.compile(r"(?<![\w.])config(?:\.get\(|\[)\s*[\"']([A-Za-z_]+)[\"']")
    for name, fn in inspect.getmembers(proxy_server.ProxyConfig, inspect.isfunction):
        if name == "load_config" or "config" in inspect.signature(fn).parameters:
            top_level |= set(whole_file.findall(inspect.getsource(fn)))
    from litellm.proxy.common_utils import config_includes
    if re.search(r"[\"']include[\"']", inspect.getsource(config_includes)):
        top_level.add("include")

    return {
        "litellm_version": importlib.metadata.version("litellm"),
        "providers": sorted(str(getattr(p, "value", p)) for p in litellm.provider_list),
        "general_settings": sorted(general),
        "litellm_settings": sorted(litellm_keys),
        "router_settings": sorted(router),
        "router_settings_refused": router_refused,
        "router_settings_unknown_warning": router_unknown_warning,
        "top_level": sorted(top_level),
        "cache_params": sorted(cache),
        "cache_redis_client_params": redis_client,
        "cache_s3_client_params": s3_client,
        "cache_types": sorted(t.value for t in LiteLLMCacheType),
        "routing_strategies": sorted(VALID_ROUTING_STRATEGIES),
    }


if __name__ == "__main__":
    import logging
    import os
    import sys

    # Run as a script, this file's folder comes first on sys.path, and its modules (such as
    # secrets.py) would hide the standard library's from LiteLLM's imports.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
    logging.disable(logging.WARNING)
    sys.stdout.write(json.dumps(generate(), indent=1, sort_keys=True) + "\n")
