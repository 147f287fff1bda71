"""Writes code-blocks.json next to the built site: everything on every page that shows
preformatted text, for the coverage guard (tests/harness/proof/coverage.py) to judge.

Listed, each with its page, line and the text the page shows:
- `block`: every literal block (code fences, code-block/code/sourcecode, literalinclude,
  parsed-literal, `::` literal blocks in eval-rst, include with :literal: or :code:), with
  the file it was included from (if any);
- `doctest`, `line-block`: doctest blocks and line blocks (refused: nothing proves them);
- `raw`: raw output (`{raw} html`, inline HTML), judged by whether it holds <pre>/<code>;
- `literal`: inline code literals (not `{proof}` roles), judged by whether they are
  commands a reader runs;
- `dependency`: every other file a page read while it was built (csv-table :file:, include
  of a non-Markdown file …), which the guard refuses unless it is a page include.
Built from every page's stored doctree at the end, so incremental builds (which re-read only
changed pages) still list everything."""

import json
from pathlib import Path

from docutils import nodes

KINDS = {nodes.literal_block: "block", nodes.doctest_block: "doctest",
         nodes.line_block: "line-block", nodes.raw: "raw", nodes.literal: "literal"}


def _line(node) -> int | None:
    while node is not None:
        if node.line:
            return node.line
        node = node.parent
    return None


def _source(node) -> str | None:
    while node is not None:
        if node.source:
            return node.source
        node = node.parent
    return None


def entries(app, docname: str) -> list[dict]:
    doctree = app.env.get_doctree(docname)
    found = []
    for node in doctree.findall(lambda n: type(n) in KINDS):
        if isinstance(node, nodes.line_block) and isinstance(node.parent, nodes.line_block):
            continue  # a nested line block is part of its parent
        if "proof_test" in node or "evidence" in node:
            continue  # a {proof} role (the claims guard judges it), the tests' own source
        found.append({
            "page": docname,
            "kind": KINDS[type(node)],
            "line": _line(node),
            "file": _source(node),  # the page, or the file a page include brought in
            "language": node.get("language"),
            "format": node.get("format"),  # raw nodes
            "included_from": node.get("source"),  # literalinclude, include :literal:/:code:
            "text": node.astext(),
        })
    srcdir = Path(app.srcdir)
    for dep in sorted(app.env.dependencies.get(docname, ())):
        found.append({"page": docname, "kind": "dependency", "line": None,
                      "file": str(srcdir / app.env.doc2path(docname, False)),
                      "included_from": str((srcdir / dep).resolve()), "text": ""})
    return found


def write(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    blocks = [e for docname in sorted(app.env.found_docs) for e in entries(app, docname)]
    (Path(app.outdir) / "code-blocks.json").write_text(json.dumps(blocks, indent=1))


def setup(app):
    app.connect("build-finished", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
