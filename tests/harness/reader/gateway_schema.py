"""The schema of Claude apps gateway's gateway.yaml, read from the pinned Claude Code binary
(`claude gateway --config gateway.yaml` validates the file against it before anything else).

How the binary holds it (measured on 2.1.330): the gateway is one embedded module (it
exports startGatewayOrExit); its config schema is one zod v3 expression in it,
`return Xp({$schema:…,listen:Xp({…}),…})`, after `let` bindings it uses (`e=we().optional()`).
The builders are imported from the bundled zod, whose own declaration names each one's class
(`var we=T.create,…,{create:on,strictCreate:Xp}=y`) and each class its type
(`new T({…typeName:h.ZodString`); `strictCreate` builds objects that refuse unlisted keys. A
small reader below evaluates the expression: builder calls become types, `.default(v)` the
default, `.optional()` optional, `.int()` an integer, `.strict()` strict; callbacks (refine,
transform) and checks (min, regex) are skipped, and a method that would change the type
(`.array()`, `.nullable()` …) stops the reader rather than being misread. A name the expression
takes from its module (`default(eg)`) is read where the module assigns it."""

from __future__ import annotations

import dataclasses
import functools
import re

OPAQUE = object()  # a value the reader does not evaluate (a callback, a computed expression)
IDENT = re.compile(r"[A-Za-z_$][\w$]*")
CHANGES_TYPE = {"array", "or", "and", "nullable", "nullish", "catch", "partial", "extend", "merge",
                "pick", "omit", "keyof", "catchall", "deepPartial", "required", "element"}
OPS = ("===", "!==", "==", "!=", "&&", "||", "??", "<=", ">=", "+", "-", "*", "%", "<", ">")


@dataclasses.dataclass(frozen=True)
class Z:
    """One zod schema as the binary builds it."""
    kind: str  # the zod type name without "Zod": String, Number, Object, Array, Union, ...
    args: tuple = ()
    optional: bool = False
    default: object = OPAQUE  # OPAQUE: no default
    integer: bool = False
    strict: bool = False  # an object that refuses keys it does not list

    def call(self, name: str, args: list) -> Z:
        if name in CHANGES_TYPE:
            raise ValueError(f"the reader does not know what .{name}() builds")
        changes = {"optional": {"optional": True}, "int": {"integer": True},
                   "strict": {"strict": True},
                   "default": {"default": args[0] if args else None}}.get(name, {})
        return dataclasses.replace(self, **changes)  # refine, transform, min, … change no type


def _skip_string(t: str, j: int) -> int:
    """The index of the quote closing the string (or template) opening at t[j]."""
    quote, j = t[j], j + 1
    while t[j] != quote:
        if t[j] == "\\":
            j += 1
        elif quote == "`" and t.startswith("${", j):
            j = _matching(t, j + 1)
        j += 1
    return j


def _skip_regex(t: str, j: int) -> int:
    """The index just after the regex literal opening at t[j], flags included."""
    j, in_class = j + 1, False
    while in_class or t[j] != "/":
        if t[j] == "\\":
            j += 1
        elif t[j] in "[]":
            in_class = t[j] == "["
        j += 1
    j += 1
    while t[j].isalpha():
        j += 1
    return j


def _matching(t: str, i: int) -> int:
    """The index of the bracket closing the one at t[i]."""
    depth, j, prev = 0, i, "("
    while True:
        c = t[j]
        if c in "\"'`":
            j, prev = _skip_string(t, j), "x"
        elif c == "/" and prev in "(,=:[!&|?{};+-*%<>~^":
            j, prev = _skip_regex(t, j) - 1, "x"
        elif c in "([{" or c in ")]}":
            depth += 1 if c in "([{" else -1
            if depth == 0:
                return j
        if not c.isspace() and c not in "\"'`/":
            prev = c
        j += 1


class Reader:
    """Evaluates the subset of minified JavaScript a zod schema is written in."""

    def __init__(self, source: str, i: int, names: dict):
        self.t, self.i, self.names = source, i, names  # names: what each name stands for
        self.quiet = False  # in an arrow function's body: its names are its own

    def at(self, s: str) -> bool:
        while self.t[self.i].isspace():
            self.i += 1
        return self.t.startswith(s, self.i)

    def eat(self, s: str) -> bool:
        if self.at(s):
            self.i += len(s)
            return True
        return False

    def expr(self):
        v = self.unary()
        while True:
            if self.at("?") and not self.at("?.") and not self.at("??"):
                self.i += 1
                self.expr(), self.eat(":"), self.expr()
                v = OPAQUE
            elif op := next((o for o in OPS if self.at(o) and not self.at("=>")), None):
                self.i += len(op)
                w = self.unary()
                v = v + w if op == "+" and isinstance(v, str) and isinstance(w, str) else OPAQUE
            else:
                return v

    def unary(self):
        if self.eat("!"):
            v = self.unary()
            return not v if type(v) in (int, float) else OPAQUE
        for word in ("...", "void ", "typeof ", "new ", "await "):
            if self.eat(word):
                v = self.unary()
                return None if word == "void " else v if word == "..." else OPAQUE
        v = self.primary()
        while True:
            if self.eat("?.") or self.eat("."):
                m = IDENT.match(self.t, self.i)
                self.i = m.end()
                v = (v, m.group())
            elif self.at("(") or self.at("["):
                close = ")" if self.t[self.i] == "(" else "]"
                self.i += 1
                args = self.items(close)
                v = self.call(v, args) if close == ")" else OPAQUE
            elif isinstance(v, tuple):  # a member read, not called: a namespace's, or nothing
                return v[0].get(v[1], OPAQUE) if isinstance(v[0], dict) else OPAQUE
            else:
                return v

    def call(self, f, args):
        if isinstance(f, tuple) and isinstance(f[0], dict):  # cq.number(): the coercing builders
            f = f[0].get(f[1])
        if isinstance(f, tuple) and isinstance(f[0], Z):
            return f[0].call(f[1], args)
        if isinstance(f, str):  # a builder: z.string(), z.strictObject({…}) …
            return Z(f.removeprefix("Strict"), tuple(args), strict=f.startswith("Strict"))
        return OPAQUE

    def items(self, close: str) -> list:
        out = []
        while not self.eat(close):
            out.append(self.expr())
            self.eat(",")
        return out

    def primary(self):
        self.at("")
        t, i = self.t, self.i
        if t[i] in "\"'`":
            self.i = _skip_string(t, i) + 1
            return OPAQUE if t[i] == "`" else re.sub(
                r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))", lambda m: chr(int(
                    m[1] or m[2], 16)) if m[3] is None else {"n": "\n", "t": "\t"}.get(m[3], m[3]),
                t[i + 1:self.i - 1])
        if t[i] == "/":
            self.i = _skip_regex(t, i)
            return OPAQUE
        if m := re.compile(r"\d+(?:\.\d+)?(?:e\d+)?").match(t, i):
            self.i = m.end()
            return float(m.group()) if set(".e") & set(m.group()) else int(m.group())
        if t[i] == "(" and re.compile(r"\s*=>").match(t, _matching(t, i) + 1):
            self.i = _matching(t, i) + 1
        elif t[i] in "([{":
            self.i += 1
            if t[i] == "{":
                return self.obj()
            v = self.items(")" if t[i] == "(" else "]")
            return v[-1] if t[i] == "(" else v
        else:
            self.i = IDENT.match(t, i).end()
            if not self.at("=>"):
                return self.lookup(t[i:self.i])
        self.eat("=>")  # an arrow function: skip its body
        if self.at("{"):
            self.i = _matching(t, self.i) + 1
        else:
            self.quiet, quiet = True, self.quiet
            self.expr()
            self.quiet = quiet
        return OPAQUE

    def obj(self) -> dict:
        out = {}
        while not self.eat("}"):
            if self.at("..."):
                v = self.expr()
                out.update(v if isinstance(v, dict) else {})
            else:
                if self.at('"') or self.at("'"):
                    key = self.primary()
                else:
                    m = re.compile(r"[\w$]+").match(self.t, self.i)
                    key, self.i = m.group(), m.end()
                out[key] = self.expr() if self.eat(":") else self.lookup(key)
            self.eat(",")
        return out

    def lookup(self, name: str):
        if self.quiet:
            return OPAQUE
        if name not in self.names:  # a constant of the module, where it is assigned
            m = re.search(rf"[,;{{\s]{re.escape(name)}=(?![=>])", self.t)
            self.names[name] = OPAQUE
            try:
                self.names[name] = Reader(self.t, m.end(), self.names).expr()
            except (AttributeError, IndexError, TypeError, ValueError):
                pass  # not a constant the reader can evaluate: no value
        return self.names[name]


def _segment(data: bytes, at: int) -> str:
    """The embedded module around data[at]: modules are stored between NUL bytes."""
    return data[data.rfind(b"\0", 0, at) + 1:data.find(b"\0", at)].decode("utf-8", "replace")


def _builders(data: bytes, wanted: set[str]) -> dict:
    """Each zod builder the gateway imports -> the type it builds, from the bundled zod that
    exports every name the gateway imports from it."""
    for decl in re.finditer(rb"var [\w$]+=[\w$]+\.create,[^;]{0,4000}?strictCreate:[^;]*;", data):
        text = decl.group().decode()
        aliases = dict(re.findall(r"([\w$]+)=([\w$]+)\.create\b", text))
        strict = set()
        for plain, strict_object, cls in re.findall(  # z.object and z.strictObject
                r"\{create:([\w$]+),strictCreate:([\w$]+)\}=([\w$]+)", text):
            aliases.update({plain: cls, strict_object: cls})
            strict.add(strict_object)
        chunk = _segment(data, decl.start())
        exported = re.findall(r"(?:[\w$]+ as )?([\w$]+)[,}]", chunk[chunk.rfind("export{"):])
        if not wanted <= set(exported):
            continue
        kinds = {a: "Strict" * (a in strict) + _kind(chunk, c) for a, c in aliases.items()
                 if a in wanted}
        coerce = re.search(r"var ([\w$]+)=\{string:\(\w\)=>[^;]*\}", chunk)  # cq.number()
        kinds[coerce[1]] = {k: _kind(chunk, cls) for k, cls in
                            re.findall(r"(\w+):\(\w\)=>([\w$]+)\.create", coerce[0])}
        return kinds
    raise ValueError("no bundled zod declares the gateway's schema builders")


def _kind(chunk: str, cls: str) -> str:
    """The zod type a class of the bundled zod builds: `new T({…typeName:h.ZodString`."""
    return re.search(rf"new {re.escape(cls)}\(\{{[^;]{{0,300}}?typeName:[\w$]+\.Zod(\w+)", chunk)[1]


def module(data: bytes) -> str:
    """The source of the gateway's module in a Claude Code binary's bytes."""
    return _segment(data, re.search(rb"export\{[^}]*\bstartGatewayOrExit\}", data).start())


@functools.cache
def schema(binary) -> Z:
    """The gateway.yaml schema of the Claude Code binary at `binary`."""
    data = binary.read_bytes()
    source = module(data)
    ret = re.search(r"return\s*([\w$]+)\(\{\$schema:", source)
    names: dict = {}
    for imported in re.findall(r'import\{([^}]*)\}from"', source):
        pairs = [(n.split(" as ")[0], n.split(" as ")[-1]) for n in imported.split(",")]
        if ret[1] in (local for _, local in pairs):
            kinds = _builders(data, {orig for orig, _ in pairs})
            names.update({local: kinds.get(orig, OPAQUE) for orig, local in pairs})
    body = ret.start()  # the function the expression is returned from: its `=>{let `
    while _matching(source, (body := source.rindex("=>{let ", 0, body)) + 2) < ret.start():
        pass
    reader = Reader(source, body + len("=>{let "), names)
    while not reader.at("return"):  # the bindings the expression uses: let e=…,t=…;
        m = IDENT.match(source, reader.i)
        reader.i = m.end()
        reader.eat("=")
        names[m.group()] = reader.expr()
        reader.eat(",") or reader.eat(";")
    reader.i = ret.start() + len("return")
    return reader.expr()
