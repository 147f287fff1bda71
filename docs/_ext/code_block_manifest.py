"""Writes code-blocks.json next to the built site: every code block on every page, with the
file it was included from (if any). The coverage guard test reads it to prove that nothing
on the site is untested."""

import json
from pathlib import Path

from docutils import nodes

BLOCKS = []


def record(app, doctree, docname):
    for node in doctree.findall(nodes.literal_block):
        BLOCKS.append({
            "page": docname,
            "line": node.line,
            "language": node.get("language"),
            "included_from": node.get("source"),  # set by literalinclude only
            "text": node.astext(),
        })


def write(app, exception):
    if exception is None and app.builder.format == "html":
        out = Path(app.outdir) / "code-blocks.json"
        out.write_text(json.dumps(sorted(BLOCKS, key=lambda b: (b["page"], b["line"] or 0)),
                                  indent=1))


def setup(app):
    app.connect("doctree-resolved", record)
    app.connect("build-finished", write)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
