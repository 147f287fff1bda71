"""`gateway-assistant validate CONFIG.yaml`: check a LiteLLM proxy config before LiteLLM
starts on it. Every finding names the line, the severity and the fix. Key lists come from
the pinned LiteLLM (litellm_schema.json), never from memory."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import yaml

from . import claude_code, litellm_schema
from .findings import Finding, Unreadable, printable, read_capped

# A proxy config is a few KB. The limits bound time and memory too (measured on 2 busy
# cores: the worst 1 MiB file takes a few seconds and under 512 MB).
MAX_BYTES = 1024 * 1024
MAX_NODES = 200_000  # objects built: bounds alias expansion ("billion laughs")
MAX_ALIASES = 10_000  # *name references resolved
MAX_MERGED = 100_000  # entries copied by merge keys (<<)
ENV_REF = "os.environ/"

# Provider keys that must never sit in a config file: (name, pattern, variable to use).
PROVIDER_KEYS = [
    ("Anthropic API key", re.compile(r"sk-ant-[a-z]+\d*-[A-Za-z0-9_-]{20,}"), "ANTHROPIC_API_KEY"),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "AWS_ACCESS_KEY_ID"),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "GEMINI_API_KEY"),
    ("OpenAI API key", re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}"),
     "OPENAI_API_KEY"),
]
SECRET_KEY_NAMES = re.compile(r"(api_key|secret|password|master_key|token)$")
# Routing strategies that count each deployment's rpm/tpm on every route (measured on
# /v1/messages: tests/guides/test_routing.py).
RPM_COUNTED = ("usage-based-routing-v2",)
SECTIONS = ("general_settings", "litellm_settings", "router_settings")
INCLUDE = "include"
# The top-level keys LiteLLM's proxy reads come from the pinned LiteLLM too (schema "top_level").
FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


class CannotRun(Exception):
    """The file could not be examined at all (exit code 2)."""


# -- a YAML loader that remembers lines -----------------------------------------------------

class LineDict(dict):
    line = 0
    key_lines: dict
    duplicates: list  # (key, line) of each key written again; PyYAML keeps the last value


class LineList(list):
    line = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    """SafeLoader with budgets: PyYAML's own has none, so a few hundred bytes of aliases or
    merge keys (`<<: [*a, *a, …]`) expand to gigabytes. Every alias resolved, every
    merged key and every object built counts; past a budget the file is refused."""

    nodes = aliases = merged = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise CannotRun(f"more than {MAX_ALIASES:,} YAML aliases (*name); a LiteLLM "
                                "config uses a few. Refused before expanding them")
        return super().compose_node(parent, index)

    def construct_object(self, node, deep=False):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CannotRun(f"more than {MAX_NODES:,} YAML nodes (aliases expanding?); "
                            "a LiteLLM config is far smaller")
        return super().construct_object(node, deep)

    def _count_merge(self, n: int) -> None:
        self.merged += n
        if self.merged > MAX_MERGED:
            raise CannotRun(f"YAML merge keys (<<) expand to more than {MAX_MERGED:,} "
                            "entries; a LiteLLM config has far fewer. Refused before "
                            "expanding them")

    def flatten_mapping(self, node):
        # PyYAML's flatten_mapping, with each merge counted before its list is built.
        merge = []
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag == "tag:yaml.org,2002:merge":
                del node.value[index]
                subs = (value_node.value if isinstance(value_node, yaml.SequenceNode)
                        else [value_node])
                parts = []
                for sub in subs:
                    if not isinstance(sub, yaml.MappingNode):
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            f"expected a mapping for merging, but found {sub.id}",
                            sub.start_mark)
                    self.flatten_mapping(sub)
                    self._count_merge(len(sub.value))
                    parts.append(sub.value)
                for part in reversed(parts):
                    merge.extend(part)
            elif key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
                index += 1
            else:
                index += 1
        if merge:
            node.value = merge + node.value


def _map(loader, node):
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    data.duplicates = []
    yield data
    # Keys written in this mapping (not copied in by a merge key): a second one is a duplicate.
    explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    written = set()
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not _hashable(key):  # a list used as a key
            key = printable(key)
        if id(key_node) in explicit:
            if key in written:
                data.duplicates.append((key, key_node.start_mark.line + 1))
            written.add(key)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1  # the last one wins, as its value


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _seq(loader, node):
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [n.start_mark.line + 1 for n in node.value]
    yield data
    data.extend(loader.construct_object(n, deep=True) for n in node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _seq)


def load(path: Path):
    try:
        raw = read_capped(path, MAX_BYTES, "config")
    except Unreadable as e:
        raise CannotRun(str(e)) from None
    except OSError as e:
        raise CannotRun(f"cannot read {printable(path, 200)}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise CannotRun(f"{printable(path, 200)}:{line}: not UTF-8 text "
                        f"(byte 0x{raw[e.start]:02x}); save the file as UTF-8") from None
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise CannotRun(f"{printable(path, 200)}: nested too deeply to read; a LiteLLM "
                        "config is a few levels deep") from None
    finally:
        loader.dispose()


# -- the checks -------------------------------------------------------------------------------

def validate(path: Path, env: dict[str, str] | None = None) -> list[Finding]:
    env = dict(os.environ) if env is None else env
    name = str(path)
    try:
        config = load(path)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark else None
        where = f" (line {line}, column {mark.column + 1})" if mark else ""
        problem = printable(getattr(e, "problem", None) or e, 200)
        return [Finding("error", "yaml-syntax", f"YAML syntax error{where}: {problem}",
                        "fix the YAML at that position (indentation, quotes, a missing colon)",
                        name, line)]
    return Checker(name, config, env, litellm_schema.load()).run()


class Checker:
    def __init__(self, file: str, config, env: dict[str, str], schema: dict):
        self.file, self.config, self.env, self.schema = file, config, env, schema
        self.findings: list[Finding] = []
        self.visited: set[int] = set()

    def add(self, severity, code, message, fix, line=None):
        self.findings.append(Finding(severity, code, message, fix, self.file, line))

    def run(self) -> list[Finding]:
        c = self.config
        if c is None:
            self.add("error", "empty", "the file is empty (or only comments)",
                     "add a model_list with at least one model", 1)
            return self.findings
        if not isinstance(c, dict):
            self.add("error", "not-a-mapping",
                     f"the top level is a {'list' if isinstance(c, list) else type(c).__name__}, "
                     "not a mapping of sections",
                     "start the file with `model_list:` and the other sections as keys",
                     getattr(c, "line", 1))
            return self.findings
        self.structure()
        if not (INCLUDE in c and "model_list" not in c):
            self.models()  # with include: and no model_list here, the models are elsewhere
        for section in ("general_settings", "litellm_settings", "router_settings"):
            self.section_keys(section)
        self.master_key()
        self.cache_params()
        self.routing()
        self.secrets(c, ())
        self.fallbacks()
        self.claude_code_models()
        self.findings.sort(key=lambda f: f.line or 0)
        return self.findings

    def line_of(self, mapping, key):
        lines = getattr(mapping, "key_lines", {})
        return lines.get(key, getattr(mapping, "line", None))

    def model_entries(self) -> list:
        models = self.config.get("model_list")
        return models if isinstance(models, list) else []

    def section(self, name):
        value = self.config.get(name)
        return value if isinstance(value, dict) else {}

    # the file's shape: duplicates, misspelt sections, include ------------------------------
    def structure(self):
        c = self.config
        for key, line in getattr(c, "duplicates", []):
            self.add("error", "duplicate-section",
                     f"{printable(key)} is written twice; YAML (PyYAML, which LiteLLM uses) "
                     "keeps only the last one and drops the first without a word",
                     f"merge the two {printable(key)} blocks into one", line)
        for section in SECTIONS:
            holder = c.get(section)
            for key, line in getattr(holder, "duplicates", []):
                self.add("error", "duplicate-key",
                         f"{section}.{printable(key)} is written twice; the last value wins",
                         "keep one of them", line)
        top_level = set(self.schema["top_level"])
        for key in c:
            if key in top_level or not isinstance(key, str):
                continue
            close = _close(key, top_level, cutoff=0.75)
            if close:
                self.add("error", "section-misspelt",
                         f"{printable(key)} is not a section LiteLLM reads; it ignores the "
                         f"whole block without a word" + (" (master_key in it is not read)"
                                                          if close == "general_settings" else ""),
                         f"rename it to {close}", self.line_of(c, key))
        if INCLUDE in c:
            self.add("warning", "include-not-followed",
                     f"include: LiteLLM {self.schema['litellm_version']} reads the listed "
                     "files into this config at start; this check does not follow them, so "
                     "what they hold is not checked here",
                     "run gateway-assistant validate on each included file too",
                     self.line_of(c, INCLUDE))

    # model_list ---------------------------------------------------------------------------
    def models(self):
        models = self.config.get("model_list")
        line = self.line_of(self.config, "model_list")
        if not isinstance(models, list) or not models:
            self.add("error", "no-models", "no models: model_list is missing or empty",
                     "add model_list entries with model_name and litellm_params.model", line)
            return
        providers = set(self.schema["providers"])
        for i, entry in enumerate(models):
            at = models.item_lines[i] if hasattr(models, "item_lines") else line
            if not isinstance(entry, dict):
                self.add("error", "model-entry", f"model_list item {i + 1} is not a mapping",
                         "give each item model_name and litellm_params", at)
                continue
            if not isinstance(entry.get("model_name"), str) or not entry["model_name"]:
                self.add("error", "model-name-missing",
                         f"model_list item {i + 1} has no model_name",
                         "add model_name: the name clients (Claude Code) request", at)
            params = entry.get("litellm_params")
            model = params.get("model") if isinstance(params, dict) else None
            if not isinstance(model, str) or not model:
                self.add("error", "litellm-model-missing",
                         f"model_list item {i + 1} has no litellm_params.model",
                         "add litellm_params: {model: <provider>/<model id>}, e.g. "
                         "anthropic/claude-opus-5-5", at)
                continue
            mline = self.line_of(params, "model")
            prefix = params.get("custom_llm_provider") or model.split("/", 1)[0]
            if "/" not in model and "custom_llm_provider" not in params:
                self.add("warning", "provider-prefix-missing",
                         f"litellm_params.model {printable(model)!r} has no provider prefix; "
                         "LiteLLM must guess the provider from its model list",
                         f"write the provider explicitly, e.g. anthropic/{printable(model)}",
                         mline)
            elif prefix not in providers:
                self.add("error", "provider-unknown",
                         f"provider {printable(prefix)!r} is not one LiteLLM "
                         f"{self.schema['litellm_version']} knows",
                         "use a known prefix such as anthropic/, bedrock/, vertex_ai/", mline)
            strategy = self.section("router_settings").get("routing_strategy")
            if isinstance(params, dict) and "rpm" in params and strategy not in RPM_COUNTED:
                # enable_pre_call_checks limits /v1/chat/completions only, not /v1/messages.
                self.add("warning", "rpm-not-enforced",
                         "per-model rpm is not enforced on /v1/messages, the route Claude Code "
                         "uses, by this routing strategy (enable_pre_call_checks does not "
                         "change that)",
                         "set router_settings.routing_strategy: usage-based-routing-v2 (it "
                         "counts rpm and tpm per deployment on /v1/messages too), or limit "
                         "requests in front of LiteLLM", self.line_of(params, "rpm"))

    # sections -------------------------------------------------------------------------------
    def section_keys(self, name):
        if name not in self.config:
            return
        section = self.config[name]
        if not isinstance(section, dict):
            if section is not None:
                self.add("error", "section-not-mapping", f"{name} is not a mapping",
                         f"write {name}: followed by indented key: value lines",
                         self.line_of(self.config, name))
            return
        known = set(self.schema[name])
        refused = set(self.schema["router_settings_refused"]) if name == "router_settings" \
            else set()
        for key in section:
            line = self.line_of(section, key)
            if key == "master_key":
                continue  # its own check says more
            if key in refused:
                self.add("error", "router-key-refused",
                         f"{name}.{key}: LiteLLM refuses to start with this key here",
                         f"move {key} to general_settings", line)
            elif key not in known:
                close = _close(str(key), known)
                self.add("warning", "unknown-key",
                         f"{name}.{printable(key)} is not a setting LiteLLM "
                         f"{self.schema['litellm_version']} reads; {self.ignored(name, key)}",
                         f"did you mean {close}?" if close else
                         f"remove it, or check the spelling against LiteLLM's {name}", line)

    def ignored(self, section, key) -> str:
        """What LiteLLM does with a key of `section` it does not read (tests/tools/
        test_validate_agrees.py starts the pinned LiteLLM on such a file)."""
        warning = self.schema.get("router_settings_unknown_warning")
        if section == "router_settings" and warning:
            return "it starts without it and logs a warning: " + printable(
                warning.replace("%s", str(key)), 200)
        return "it starts without it and says nothing about it"

    def master_key(self):
        for where in ("", "litellm_settings", "router_settings"):
            holder = self.config if not where else self.section(where)
            if "master_key" in holder:
                self.add("error", "master-key-misplaced",
                         f"master_key under {where or 'the top level'} is not read; LiteLLM "
                         "refuses to start (\"no master key is set\")",
                         "move master_key to general_settings",
                         self.line_of(holder, "master_key"))

    def cache_params(self):
        ls = self.section("litellm_settings")
        params = ls.get("cache_params")
        if params is None:
            return
        if not isinstance(params, dict):
            self.add("error", "cache-params", "litellm_settings.cache_params is not a mapping",
                     "write cache_params as key: value lines", self.line_of(ls, "cache_params"))
            return
        kind = params.get("type", "redis")
        if kind not in self.schema["cache_types"]:
            self.add("error", "cache-type-unknown", f"cache type {printable(kind)!r} does not "
                     "exist", "use one of: " + ", ".join(self.schema["cache_types"]),
                     self.line_of(params, "type"))
        known = set(self.schema["cache_params"])
        # A key Cache does not name goes on to the backend's client as a keyword argument
        # (Redis, S3: a client that does not take it stops LiteLLM at start), or is dropped.
        clients = {"redis": ("Redis", "cache_redis_client_params"),
                   "s3": ("S3 (boto3)", "cache_s3_client_params")}
        # With url set, LiteLLM builds the Redis client from the URL and picks its settings
        # from the rest; not measured, so only the old, weaker statement.
        passed_as_is = kind in ("redis-semantic", "valkey-semantic") or (
            kind == "redis" and "url" in params)
        for key in params:
            if key in known:
                continue
            if kind in clients and not passed_as_is:
                client, listed = clients[kind]
                if key in self.schema[listed]:
                    continue  # a setting of the client itself, passed on as is
                detail = (f"; LiteLLM passes it to the {client} client, which does not take "
                          "it, and LiteLLM refuses to start (TypeError: … unexpected keyword "
                          f"argument {printable(key)!r})")
            elif passed_as_is:
                detail = f"; it is passed to the {kind} client as is"
            else:
                detail = f"; the {kind} cache ignores it"
            self.add("warning" if passed_as_is else "error", "cache-param-unknown",
                     f"cache_params.{printable(key)} is not a cache setting of LiteLLM "
                     f"{self.schema['litellm_version']}" + detail,
                     "remove it; cache settings include "
                     + ", ".join(k for k in ("type", "ttl", "host", "port", "namespace")
                                 if k in known) + ", …",
                     self.line_of(params, key))

    def routing(self):
        rs = self.section("router_settings")
        strategy = rs.get("routing_strategy")
        if strategy is not None and strategy not in self.schema["routing_strategies"]:
            self.add("error", "routing-strategy-unknown",
                     f"routing_strategy {printable(strategy)!r} does not exist; LiteLLM refuses "
                     "to start", "use one of: " + ", ".join(self.schema["routing_strategies"]),
                     self.line_of(rs, "routing_strategy"))

    # secrets ------------------------------------------------------------------------------
    def secrets(self, node, path):
        # An alias is the same object again: visit it once (also bounds "billion laughs").
        if isinstance(node, (dict, list)):
            if id(node) in self.visited:
                return
            self.visited.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                line = self.line_of(node, key)
                if isinstance(value, str):
                    self.secret_value(str(key), value, path + (str(key),), line)
                else:
                    self.secrets(value, path + (str(key),))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                line = node.item_lines[i] if hasattr(node, "item_lines") else None
                if isinstance(value, str):
                    self.secret_value("", value, path + (str(i),), line)
                else:
                    self.secrets(value, path + (str(i),))

    def secret_value(self, key, value, path, line):
        dotted = printable(".".join(path), 60)
        if value.startswith(ENV_REF):
            var = value[len(ENV_REF):]
            if var not in self.env:
                self.add("warning", "env-unset",
                         f"{dotted} reads ${printable(var)}, which is not set in this shell",
                         f"export {printable(var)}=… in the shell that starts LiteLLM", line)
            return
        for kind, pattern, var in PROVIDER_KEYS:
            if pattern.search(value):
                self.add("error", "hard-coded-key", f"{dotted} holds a hard-coded {kind}",
                         f"use {key or 'the value'}: os.environ/{var} and export {var} "
                         "where LiteLLM starts; then rotate the key", line)
                return
        if key and SECRET_KEY_NAMES.search(key) and value:
            self.add("warning", "hard-coded-secret", f"{dotted} is written in the file",
                     f"use {key}: os.environ/<NAME> and export NAME where LiteLLM starts", line)

    # fallbacks ----------------------------------------------------------------------------
    def fallbacks(self):
        # A name that is no string is its own finding (model-name-missing), not a group.
        groups = {e["model_name"] for e in self.model_entries()
                  if isinstance(e, dict) and isinstance(e.get("model_name"), str)}
        edges: dict[str, list[tuple[str, int]]] = {}
        for section in ("litellm_settings", "router_settings"):
            s = self.section(section)
            for kind in FALLBACK_KEYS:
                rules = s.get(kind)
                if not isinstance(rules, list):
                    continue
                for i, rule in enumerate(rules):
                    line = rules.item_lines[i] if hasattr(rules, "item_lines") else None
                    if not isinstance(rule, dict):
                        self.add("error", "fallback-shape", f"{section}.{kind} item {i + 1} is "
                                 "not a mapping", "write - {model-group: [fallback, …]}", line)
                        continue
                    for src, targets in rule.items():
                        targets = targets if isinstance(targets, list) else [targets]
                        for name in [src, *targets]:
                            if isinstance(name, str) and name not in groups:
                                self.add("error", "fallback-unknown-group",
                                         f"{section}.{kind} names model group "
                                         f"{printable(name)!r}, which model_list does not have",
                                         "use a model_name from model_list", line)
                        if kind == "fallbacks":
                            edges.setdefault(str(src), []).extend(
                                (str(t), line) for t in targets)
        for cycle, line in _cycles(edges):
            self.add("error", "fallback-cycle", "fallback cycle: " +
                     " → ".join(printable(n, 60) for n in cycle) +
                     " (LiteLLM accepts it without a warning)",
                     "remove one of the fallbacks so no group falls back to itself", line)

    # Claude Code ----------------------------------------------------------------------------
    def claude_code_models(self):
        names = [e.get("model_name") for e in self.model_entries()
                 if isinstance(e, dict) and isinstance(e.get("model_name"), str)]
        if not names:
            return
        bedrock = any(BEDROCK_ID.match(n) for n in names)
        wanted = claude_code.BEDROCK_MODELS if bedrock else claude_code.REQUESTED_MODELS
        missing = [m for m in wanted if not any(_serves(n, m, bedrock) for n in names)]
        line = self.line_of(self.config, "model_list")
        mapping = "ANTHROPIC_DEFAULT_OPUS_MODEL / _SONNET_ / _HAIKU_"
        if missing:
            self.add("warning", "claude-code-models",
                     "no model_name matches what Claude "
                     "Code requests" + (" in Bedrock mode" if bedrock else "") + ": "
                     + ", ".join(missing),
                     "add model_name entries with these names, or map Claude Code's aliases "
                     f"with {mapping}", line)
        elif bedrock:
            self.add("info", "claude-code-bedrock-aliases",
                     "a Bedrock-mode config: Claude Code's sonnet and haiku aliases ask for "
                     "older Bedrock ids (" + ", ".join(claude_code.BEDROCK_ALIASES.values())
                     + ") unless mapped",
                     "where Claude Code runs, export ANTHROPIC_DEFAULT_OPUS_MODEL, "
                     "ANTHROPIC_DEFAULT_SONNET_MODEL and ANTHROPIC_DEFAULT_HAIKU_MODEL with "
                     "the model_name entries here", line)


# A Bedrock model id, bare or behind a cross-region inference profile (us., eu., apac., …).
BEDROCK_ID = re.compile(r"^(?:[a-z]{2,6}\.)?anthropic\.claude-")


def _serves(name: str, model: str, bedrock: bool) -> bool:
    """Does model_name `name` serve requests for `model`? Bedrock ids match whatever
    inference profile (region prefix) the gateway publishes."""
    if name == model or ("*" in name and fnmatch.fnmatchcase(model, name)):
        return True
    if bedrock:
        base = model.split(".", 1)[1]  # anthropic.claude-…
        return name == base or (BEDROCK_ID.match(name) is not None and name.endswith("." + base))
    return False


def _cycles(edges: dict[str, list[tuple[str, int]]]):
    """One cycle per strongly connected component (Tarjan's algorithm, iterative), so the
    work is linear in the fallback graph: a dozen groups each falling back to all others
    has millions of elementary cycles, and one per tangle is what a reader can act on."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, [])
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i][0]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    for component in components:
        start = min(component)
        if len(component) == 1 and all(t != start for t, _ in edges.get(start, [])):
            continue
        yield _one_cycle(edges, component, start)


def _one_cycle(edges, component, start):
    """A shortest path back to `start` inside its component (breadth first), and the line of
    its first fallback rule."""
    back = {start: None}
    queue = [start]
    for node in queue:
        for target, line in edges.get(node, []):
            if target == start:
                path = [node]
                while back[path[-1]] is not None:
                    path.append(back[path[-1]][0])
                path.reverse()
                first = back[path[1]][1] if len(path) > 1 else line
                return [*path, start], first
            if target in component and target not in back:
                back[target] = (node, line)
                queue.append(target)
    return [start, start], None


def _close(word: str, known: set[str], cutoff: float = 0.8) -> str | None:
    import difflib

    if len(word) > 100:  # not a misspelling; and difflib's cost grows with the length
        return None
    match = difflib.get_close_matches(word, known, n=1, cutoff=cutoff)
    return match[0] if match else None
