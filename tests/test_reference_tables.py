"""The reference pages agree with the pinned components, so they cannot drift:
- environment variables: every variable the pinned Claude Code binary reads in the page's
  categories, and every variable the site uses, has a row; every row names a variable its side
  really reads; the generated table is what the data file renders;
- settings files: the keys the page lists are the keys the site's settings schema allows, and
  the pinned binary reads each;
- LiteLLM config: every key the published LiteLLM templates use is on the page, in the section
  the pinned LiteLLM reads it from."""

from __future__ import annotations

import ast
import functools
import os
import re
from pathlib import Path

import yaml

from tests.harness.project import ROOT, SNIPPETS
from tests.harness.proof import reference_tables
from tests.harness.proof.static_checks import SETTINGS_SCHEMA
from tests.harness.reader import claude_binary
from tests.harness.start import components

DOCS = ROOT / "docs"


@functools.cache
def litellm_package() -> Path:
    (package,) = (components.litellm_bin().parent / "lib").glob("python3*/site-packages/litellm")
    return package


@functools.cache
def litellm_source() -> str:
    return "\n".join(p.read_text(errors="replace")
                     for p in sorted(litellm_package().rglob("*.py")))


@functools.cache
def litellm_quoted_names() -> frozenset[str]:
    return frozenset(re.findall(r"[\"']([A-Z][A-Z0-9_]+)[\"']", litellm_source()))


def litellm_names(name: str) -> bool:
    """The pinned LiteLLM's source names `name` as a string (os.getenv("X"), get_secret("X"),
    os.environ["X"], or a name in a list of variables it reads)."""
    return name in litellm_quoted_names()


def test_names_in_tests_exist():
    """Every {proof} the data file names is a test function of this suite (the claims guard
    then wants it passed in the run)."""
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(), re.M))
    named = {t for r in reference_tables.rows() for t in r.get("proof", [])}
    assert not named - defined, f"proofs that are no test: {sorted(named - defined)}"


def test_environment_variable_page_covers_the_binary():
    reads = claude_binary.env_vars()
    d = reference_tables.data()
    claude_rows = {n for r in d["claude_code"] for n in r["names"]}
    missing = {cat: sorted(set(names) - claude_rows)
               for cat, names in reference_tables.category_members(reads).items()}
    missing = {cat: names for cat, names in missing.items() if names}
    assert not missing, f"variables the pinned binary reads with no row: {missing}"
    unread = sorted(claude_rows - reads)
    assert not unread, f"Claude Code rows for variables the pinned binary never reads: {unread}"
    for row in reference_tables.rows():
        reference_tables.status(row)  # exactly one of proof / source / unverified
        assert (DOCS / f"{row['page']}.md").exists(), (row["names"], row["page"])
        assert row.get("source", "env") in d["sources"], row
    references = "\n".join(p.read_text(errors="replace")
                           for p in SNIPPETS.rglob("*") if p.is_file())
    for row in d["gateway"]:
        for name in row["names"]:
            if row["kind"] == "litellm":
                assert litellm_names(name), f"{name}: the pinned LiteLLM never names it"
            elif row["kind"] == "reference":
                assert re.search(rf"os\.environ/{name}\b|\$\{{{name}\}}", references), (
                    f"{name}: no published config references it")
            elif row["kind"] == "apps-gateway":
                assert name in reads, name
    used = reference_tables.site_variables()
    unlisted = {n: sorted(w)[:3] for n, w in used.items()
                if n not in reference_tables.named()
                and n not in d["site"]["not_configuration"] + d["site"]["error_codes"]}
    assert not unlisted, f"variables the site uses with no row on the page: {unlisted}"
    rendered = reference_tables.render(reads)
    if os.environ.get("UPDATE_CAPTURES") == "1":
        reference_tables.write(reads)
    assert reference_tables.GENERATED.read_text() == rendered, (
        "docs/_generated/environment-variables.md is stale: run with UPDATE_CAPTURES=1 "
        "(or python -m tests.harness.proof.reference_tables)")


def test_names_nothing_reads_are_in_neither_component():
    data = claude_binary.binary().read_bytes()
    for row in reference_tables.data()["not_read"]:
        name = row["name"]
        if not row.get("binary"):  # else only LiteLLM is said not to read it
            assert name not in claude_binary.env_vars(), name
            assert name.encode() not in data, f"{name} is a string in the pinned binary"
        if row.get("litellm") == "message":  # quoted in a message, never read
            assert name in litellm_source() and not litellm_names(name), name
        else:
            assert name not in litellm_source(), f"{name} is named in the pinned LiteLLM"


# -- settings files ------------------------------------------------------------------------

SETTINGS_PAGE = DOCS / "reference" / "settings-files.md"


def page_keys(page: Path, heading: str) -> set[str]:
    """The keys in the first column of the table under `heading`."""
    text = page.read_text()
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", section, re.M)}


def test_settings_page_lists_the_schema_keys():
    listed = page_keys(SETTINGS_PAGE, "## Keys that matter for a gateway")
    schema = set(SETTINGS_SCHEMA["properties"]) - {"$schema"}
    assert listed == schema, (f"on the page, not in conf/claude-code-settings.schema.json: "
                              f"{sorted(listed - schema)}; in the schema, not on the page: "
                              f"{sorted(schema - listed)}")
    assert listed <= claude_binary.settings_keys(), listed - claude_binary.settings_keys()


# -- LiteLLM config ------------------------------------------------------------------------

LITELLM_PAGE = DOCS / "reference" / "litellm-config.md"
# Published on purpose with mistakes (reference/gateway-assistant.md shows the validator
# finding them): not a template.
NOT_TEMPLATES = {"gateway-assistant/01-config-with-mistakes.yaml"}


def template_keys() -> dict[tuple[str, str], set[str]]:
    """(section, key) -> the templates using it, over every published LiteLLM config
    (a YAML snippet with a model_list, or a Kubernetes ConfigMap holding one)."""
    found: dict[tuple[str, str], set[str]] = {}

    def add(section, key, rel):
        found.setdefault((section, key), set()).add(rel)

    for path in sorted(SNIPPETS.rglob("*.y*ml")):
        rel = str(path.relative_to(SNIPPETS))
        if rel in NOT_TEMPLATES:
            continue
        configs = []
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and "model_list" in doc:
                configs.append(doc)
            elif isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
                for value in (doc.get("data") or {}).values():
                    inner = yaml.safe_load(value)
                    if isinstance(inner, dict) and "model_list" in inner:
                        configs.append(inner)
        for config in configs:
            for section, body in config.items():
                add("(top level)", section, rel)
                if section == "model_list":
                    for model in body:
                        for key, value in model.items():
                            add("model_list[]", key, rel)
                            if isinstance(value, dict):
                                for inner in value:
                                    add(f"model_list[].{key}", inner, rel)
                elif isinstance(body, dict):
                    for key, value in body.items():
                        add(section, key, rel)
                        if key == "cache_params" and isinstance(value, dict):
                            for inner in value:
                                add("litellm_settings.cache_params", inner, rel)
    return found


def _class_fields(files: list[Path]) -> dict[str, tuple[list[str], set[str]]]:
    classes = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                fields = {s.target.id for s in node.body
                          if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
                bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
                classes[node.name] = (bases, fields)
    return classes


def model_fields(name: str, classes) -> set[str]:
    bases, fields = classes.get(name, ([], set()))
    for base in bases:
        fields = fields | model_fields(base, classes)
    return fields


@functools.cache
def pinned_litellm_keys() -> dict[str, set[str]]:
    """The keys the pinned LiteLLM reads, per section: the proxy settings from the site's own
    reading of it (src/gateway_assistant/litellm_schema.json, regenerated from the pinned
    install by its own test), the deployment fields from its pydantic models' source."""
    from gateway_assistant import litellm_schema
    schema = litellm_schema.load()
    types = litellm_package() / "types"
    classes = _class_fields([types / "router.py", types / "utils.py"])
    from tests.harness.proof.static_checks import LITELLM_CONFIG_KEYS
    return {
        "(top level)": set(LITELLM_CONFIG_KEYS),
        "general_settings": set(schema["general_settings"]),
        "litellm_settings": set(schema["litellm_settings"]),
        "router_settings": set(schema["router_settings"]),
        "litellm_settings.cache_params": set(schema["cache_params"]),
        "model_list[]": model_fields("Deployment", classes),
        "model_list[].litellm_params": model_fields("LiteLLM_Params", classes),
        "model_list[].model_info": model_fields("ModelInfo", classes),
    }


def test_litellm_config_page_lists_every_template_key():
    from gateway_assistant import litellm_schema
    assert litellm_schema.load()["litellm_version"] == components_litellm_version()
    keys = template_keys()
    pinned = pinned_litellm_keys()
    wrong = sorted(f"{s}: {k} ({', '.join(sorted(w))})" for (s, k), w in keys.items()
                   if k not in pinned.get(s, set()))
    assert not wrong, "template keys the pinned LiteLLM does not read there:\n" + "\n".join(wrong)
    on_page = set()
    text = LITELLM_PAGE.read_text()
    for m in re.finditer(r"^\| `([^`]+)` \| `([^`]+)` \|", text, re.M):
        on_page.add((m.group(1), m.group(2)))
    missing = sorted(f"{s}: {k}" for s, k in keys if (s, k) not in on_page)
    assert not missing, "template keys missing from reference/litellm-config.md: " + str(missing)
    extra = sorted(f"{s}: {k}" for s, k in on_page if (s, k) not in keys)
    assert not extra, f"rows for keys no template uses: {extra}"


def components_litellm_version() -> str:
    from tests.harness.project import LITELLM_VERSION
    meta = litellm_package().parent.glob(f"litellm-{LITELLM_VERSION}.dist-info")
    assert list(meta), f"the installed LiteLLM is not {LITELLM_VERSION}"
    return LITELLM_VERSION


def test_settings_page_other_keys_are_read():
    others = page_keys(SETTINGS_PAGE, "## Other keys a gateway setup meets")
    assert others, "the page lists no other keys"
    assert others <= claude_binary.settings_keys(), others - claude_binary.settings_keys()
    schema = set(SETTINGS_SCHEMA["properties"])
    assert not others & schema, f"published keys belong in the first table: {others & schema}"
