"""A snippet file named in the text is a link to where the site shows it.

Where a page names a file of `snippets/` as inline code (`quickstart/02-config.yaml`, the
starter bundles of choosing-a-setup), the name links to the code block that shows that file:
a block included from it, or a console transcript whose commands are its bytes (the copy
button copies exactly those; tests/site/test_copy.py). Each such block gets an id,
`snippet-<path>`, so the link lands on the block. When several pages show a file, the page
whose name holds the snippet's folder wins (quickstart/ -> tutorials/quickstart, apps-gateway/
-> tutorials/claude-apps-gateway before how-to/apps-gateway-*), then a page that includes the
file itself over one that shows it in a transcript, then tutorials, then how-to guides, then
the rest, in name order; the first block on that page.
Checked by tests/site/test_layout.py (every named snippet is a link) and
test_built_html.py (every link and anchor resolves)."""

import re
from pathlib import Path

from docutils import nodes

SNIPPETS = Path(__file__).resolve().parents[2] / "snippets"
ORDER = ("tutorials/", "how-to/")


def block_id(snippet: str) -> str:
    return "snippet-" + re.sub(r"[^a-z0-9]+", "-", snippet.lower()).strip("-")


def commands(transcript: str) -> str:
    """The commands of a console transcript: `$ ` and `> ` lines without their prompt."""
    out = []
    for line in transcript.splitlines():
        if line.startswith(("$ ", "> ")):
            out.append(line[2:])
        elif line == ">":
            out.append("")
    return "\n".join(out)


def snippets_of(block, texts: dict) -> list[str]:
    """The snippet files a literal block shows (a transcript shows every file of its bytes)."""
    source = block.get("source")
    if source:
        path = Path(source).resolve()
        if path.is_relative_to(SNIPPETS):
            return [path.relative_to(SNIPPETS).as_posix()]
    if "/_captured/" in (source or ""):
        return texts.get(commands(block.astext()), [])
    return []


def rank(snippet: str, docname: str, included: bool):
    folder = snippet.split("/", 1)[0]
    named = folder in docname.rsplit("/", 1)[-1]
    kind = next((i for i, prefix in enumerate(ORDER) if docname.startswith(prefix)), len(ORDER))
    return (not named, not included, kind, docname)


def index(app, env):
    """Where each snippet is shown: {snippet: docname}, from every page's stored doctree."""
    texts = {}
    for path in sorted(SNIPPETS.rglob("*")):
        if path.is_file():
            texts.setdefault(path.read_text().rstrip("\n"), []).append(
                path.relative_to(SNIPPETS).as_posix())
    shown = {}  # snippet -> {docname: whether a block includes the file itself}
    for docname in sorted(env.found_docs):
        for block in env.get_doctree(docname).findall(nodes.literal_block):
            found = snippets_of(block, texts)
            for snippet in found:
                pages = shown.setdefault(snippet, {})
                captured = "/_captured/" in (block.get("source") or "")
                pages[docname] = pages.get(docname, False) or (len(found) == 1 and not captured)
    env.snippet_pages = {s: min(pages, key=lambda d: rank(s, d, pages[d]))
                         for s, pages in shown.items()}
    env.snippet_texts = texts


def link(app, doctree, docname):
    env = app.env
    pages = getattr(env, "snippet_pages", {})
    placed = set()
    for block in doctree.findall(nodes.literal_block):
        for snippet in snippets_of(block, env.snippet_texts):
            if pages.get(snippet) == docname and snippet not in placed:
                block["ids"].append(block_id(snippet))
                placed.add(snippet)
    for literal in list(doctree.findall(nodes.literal)):
        name = literal.astext().removeprefix("snippets/")
        if name not in pages or isinstance(literal.parent, nodes.reference):
            continue
        uri = "" if pages[name] == docname else app.builder.get_relative_uri(docname,
                                                                             pages[name])
        ref = nodes.reference("", "", internal=True, refuri=f"{uri}#{block_id(name)}",
                              reftitle=f"{name}, as the site shows it")
        literal.replace_self(ref)
        ref.append(literal)


def setup(app):
    app.connect("env-updated", index)
    app.connect("doctree-resolved", link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
