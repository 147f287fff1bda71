"""Every key of Claude apps gateway's gateway.yaml, from the pinned binary's own schema
(harness/reader/gateway_schema.py), rendered into docs/_generated/apps-gateway-keys.md with its
type, its default and the published configurations that set it; tests/test_apps_gateway_keys.py
fails when the page and the pinned binary disagree or a published config uses a key the schema
does not have. `python -m tests.harness.proof.apps_gateway_keys` rewrites the page."""

from __future__ import annotations

import ast
import dataclasses
import json
import re

import yaml

from tests.harness.project import ROOT, SNIPPETS
from tests.harness.reader.gateway_schema import OPAQUE, Z

GENERATED = ROOT / "docs" / "_generated" / "apps-gateway-keys.md"


@dataclasses.dataclass(frozen=True)
class Key:
    section: str  # the top-level key it is under
    variant: str  # "provider: bedrock" for keys of one kind of upstream, else ""
    path: str  # listen.host, upstreams[].auth.api_key
    z: Z


def _forms(z: Z, variant: str) -> list[tuple[str, Z, str]]:
    """The objects whose keys sit under `z`: (variant, object, path suffix)."""
    if z.kind == "Array":
        return [(v, o, "[]" + s) for v, o, s in _forms(z.args[0], variant)]
    if z.kind == "DiscriminatedUnion":
        return [(f"{z.args[0]}: {o.args[0][z.args[0]].args[0]}", o, "") for o in z.args[1]]
    options = z.args[0] if z.kind == "Union" else [z]
    return [(variant, o, "") for o in options if o.kind == "Object"]


def keys(root: Z) -> list[Key]:
    out: list[Key] = []

    def walk(z: Z, path: str, section: str, variant: str) -> None:
        for form, obj, suffix in _forms(z, variant):
            for name, sub in obj.args[0].items():
                at = f"{path}{suffix}.{name}" if path else name
                out.append(Key(section or name, form, at, sub))
                walk(sub, at, section or name, form)
    walk(root, "", "", "")
    return out


def check(value, z: Z, path: str = "", variant: str = "", found=None, wrong=None):
    """Walk a published config along the schema: the (variant, path) of each key it sets, and
    what the schema would refuse (an unknown key, a value of another type)."""
    found, wrong = (set() if found is None else found), ([] if wrong is None else wrong)
    if isinstance(value, str) and re.fullmatch(r"\$\{\w+\}", value):
        return found, wrong  # the gateway's environment gives the value
    if z.kind == "Array" and isinstance(value, list):
        for item in value:
            check(item, z.args[0], path + "[]", variant, found, wrong)
        return found, wrong
    if z.kind == "Union":  # the first form the value fits
        for option in z.args[0]:
            if not (fits := check(value, option, path, variant))[1]:
                found.update(fits[0])
                return found, wrong
    for form, obj, _ in _forms(z, variant) if isinstance(value, dict) else []:
        shape, disc = obj.args[0], form.split(": ")[0] if form != variant else None
        if disc and value.get(disc) != shape[disc].args[0] or z.kind == "Union":
            continue  # another provider's keys; a union no form of which fits
        for name, sub in value.items():
            at = f"{path}.{name}" if path else name
            if name not in shape:
                wrong.append(f"{at}: no such key")
                continue
            found.add((form, at))
            check(sub, shape[name], at, form, found, wrong)
        return found, wrong
    scalar = {"String": str, "Number": (int, float), "Boolean": bool, "Record": dict,
              "Unknown": object}
    if not (isinstance(value, scalar.get(z.kind, ())) and not (z.kind == "Number" and isinstance(
            value, bool)) or z.kind == "Literal" and value == z.args[0] or z.kind == "Enum"
            and value in z.args[0]):
        wrong.append(f"{path}: {value!r} is not {type_text(z)}")
    return found, wrong


def published() -> dict[str, list[dict]]:
    """Each snippets/apps-gateway*/*.yaml -> the gateway configs in it."""
    out = {}
    for path in sorted(SNIPPETS.glob("apps-gateway*/*.y*ml"),
                       key=lambda p: (p.parent.name != "apps-gateway", p)):  # the tutorial's first
        docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
        inner = [yaml.safe_load(v) for d in docs if d.get("kind") == "ConfigMap"
                 for v in (d.get("data") or {}).values()]
        out[str(path.relative_to(SNIPPETS))] = [d for d in docs + inner
                                                if isinstance(d, dict) and "upstreams" in d]
    return out


def booted_by() -> dict[str, str]:
    """Each published config -> the first test (in file order) that starts the gateway on that
    very file: an `apps_gateway.start(…)` in the test or a fixture it takes names it, directly or
    through a module constant (a test that starts a variant of it derives its own file)."""
    def functions(path):
        text = path.read_text()
        tree = ast.parse(text)
        consts = {n.targets[0].id: ast.get_source_segment(text, n.value) for n in tree.body
                  if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
        return [(n.name, [a.arg for a in n.args.args], ast.get_source_segment(text, n))
                for n in tree.body if isinstance(n, ast.FunctionDef)], consts
    fixtures = {n: t for n, _, t in functions(ROOT / "tests" / "harness" / "plugin.py")[0]}
    out: dict[str, str] = {}
    for path in sorted((ROOT / "tests" / "guides").glob("test_*.py")):
        funcs, consts = functions(path)
        local = {n: t for n, _, t in funcs}
        for name, args, text in funcs:
            body = text + "".join(local.get(a) or fixtures.get(a, "") for a in args)
            for files in re.findall(r"apps_gateway\.start\(\s*(\{[^}]*\}|\w+)", body):
                files = re.sub(r"\b[A-Z_][A-Z0-9_]*\b", lambda m, c=consts: c.get(m[0], m[0]),
                               files)
                for rel in re.findall(
                        r'^\{?"gateway\.yaml": "(apps-gateway[\w-]*/[\w.-]+\.ya?ml)"\}?$',
                        files) if name.startswith("test_") else []:
                    out.setdefault(rel, name)
    return out


# -- the page ------------------------------------------------------------------------------

PLURAL = {"string": "strings", "integer": "integers", "number": "numbers", "boolean": "booleans",
          "section": "objects", "any value": "values of any type"}
EVERY = "every provider"  # the variant of the upstream keys alike for every provider


def type_text(z: Z) -> str:
    k, a = z.kind, z.args
    if k in ("Array", "Record"):  # z.array(item, params), z.record([key,] value, params)
        inner = type_text(a[1] if k == "Record" and len(a) > 1 and isinstance(a[1], Z) else a[0])
        return ("list of " if k == "Array" else "map of names to ") + PLURAL.get(inner, inner)
    if k == "Union" and (objects := [o for o in a[0] if o.kind == "Object"]):
        return "one of: " + " · ".join(", ".join(f"`{n}`" for n in o.args[0]) for o in objects)
    if k == "Union":
        return " or ".join(type_text(o) for o in a[0])
    if k == "DiscriminatedUnion":
        return f"objects, keys by `{a[0]}`"
    if k in ("Literal", "Enum"):
        return ("one of " if k == "Enum" else "") + ", ".join(
            f"`{_yaml(v)}`" for v in (a[0] if k == "Enum" else a[:1]))
    return {"String": "string", "Number": "integer" if z.integer else "number",
            "Boolean": "boolean", "Object": "section", "Unknown": "any value"}[k]


def _yaml(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def default_text(z: Z) -> str:
    if z.default is not OPAQUE:
        return f"`{_yaml(z.default)}`"
    return "\u2014" if z.optional else "required"


def rows(root: Z) -> list[Key]:
    """The keys as the page lists them: an upstream key alike for every provider once."""
    out, seen = [], set()
    by_path: dict[str, list[Key]] = {}
    for k in keys(root):
        by_path.setdefault(k.path, []).append(k)
    providers = {k.variant for k in keys(root) if k.variant}
    for k in keys(root):
        alike = by_path[k.path]
        if k.variant and {a.variant for a in alike} == providers and \
                all(a.z == k.z for a in alike):
            k = dataclasses.replace(k, variant=EVERY)
        if (k.variant, k.path) not in seen:
            seen.add((k.variant, k.path))
            out.append(k)
    return out


def _page(rel: str) -> str | None:
    for md in sorted((ROOT / "docs").rglob("*.md")):
        if not {"_build", "_generated", "_captured"} & set(md.parts) and \
                f"snippets/{rel}" in md.read_text():
            return "/" + str(md.relative_to(ROOT / "docs").with_suffix(""))
    return None


def render(root: Z) -> str:
    configs = published()
    sets = {rel: set().union(*(check(c, root)[0] for c in cs))
            for rel, cs in configs.items() if cs}
    boots = booted_by()

    def set_in(k: Key) -> str:
        """The published configs that set the key, and the test that boots the first."""
        where = [r for r, found in sets.items() if any(
            p == k.path and k.variant in (v, EVERY) for v, p in found)]
        if not where:
            return "read from the schema"
        # the configs with an upstream of this key's provider (all configs for other keys)
        scope = [r for r, found in sets.items()
                 if not k.variant or k.variant == EVERY or any(v == k.variant for v, _ in found)]
        links = ("every configuration on this site" if len(where) == len(sets) else
                 f"every configuration on this site with a `{k.variant}` upstream"
                 if where == scope and len(where) > 3 else ", ".join(
            f"{{doc}}`{r.rsplit('/', 1)[-1]} <{_page(r)}>`" if _page(r) else f"`{r}`"
            for r in where))
        return links + (f" {{proof}}`{boots[where[0]]}`" if where[0] in boots else "")

    listed = rows(root)
    cells = {(k.variant, k.path): set_in(k) for k in listed}
    proven = sum("{proof}" in c for c in cells.values())
    first = next(cs[0] for cs in configs.values() if cs)  # the tutorial's order comes first
    sections = list(dict.fromkeys([*first, *root.args[0]]))
    scalars = [s for s in sections if not _forms(root.args[0][s], "")]
    lines = [f"The schema has {len(listed)} keys; {proven} of them are set in a configuration "
             "published on this site {proof}`test_apps_gateway_key_reference_matches_the_pinned_"
             "schema`.", ""]
    table = ["| Key | Type | Default | Set in |", "|---|---|---|---|"]
    for section in [s for s in sections if s not in scalars] + ["(top level)"]:
        mine = [k for k in listed if k.section == section or
                section == "(top level)" and k.section in scalars]
        lines += [f"## `{section}`" if section != "(top level)" else "## Other top-level keys",
                  ""]
        for variant in dict.fromkeys(k.variant for k in mine):
            lines += ([f"### `{variant}`" if variant != EVERY else f"### For {EVERY}", ""]
                      if variant else []) + table
            lines += [f"| `{k.path}` | {type_text(k.z)} | {default_text(k.z)} | "
                      f"{cells[k.variant, k.path]} |" for k in mine if k.variant == variant]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def write(root: Z):
    GENERATED.write_text(render(root), encoding="utf-8")
    return GENERATED


def pinned() -> Z:
    from tests.harness.reader import claude_binary, gateway_schema
    return gateway_schema.schema(claude_binary.binary())


if __name__ == "__main__":
    print(write(pinned()))
