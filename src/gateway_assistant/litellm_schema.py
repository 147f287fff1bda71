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

    cache = [p for p in inspect.signature(Cache.__init__).parameters
             if p not in ("self", "kwargs") and not p.startswith("_")]

    return {
        "litellm_version": importlib.metadata.version("litellm"),
        "providers": sorted(str(getattr(p, "value", p)) for p in litellm.provider_list),
        "general_settings": sorted(general),
        "litellm_settings": sorted(litellm_keys),
        "router_settings": sorted(router),
        "router_settings_refused": router_refused,
        "cache_params": sorted(cache),
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
