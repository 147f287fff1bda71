"""Writes code-blocks.json next to the built site: every code block on every page, with the
file it was included from (if any). The coverage guard test reads it to prove that nothing
on the site is untested. Built from every page's stored doctree at the end, so incremental
builds (which re-read only changed pages) still list every block."""

import json
from pathlib import Path

from docutils import nodes


def write(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    blocks = []
    for docname in sorted(app.env.found_docs):
        for node in app.env.get_doctree(docname).findall(nodes.literal_block):
            blocks.append({
                "page": docname,
                "line": node.line,
                "language": node.get("language"),
                "included_from": node.get("source"),  # set by literalinclude only
                "text": node.astext(),
            })
    (Path(app.outdir) / "code-blocks.json").write_text(json.dumps(blocks, indent=1))


def setup(app):
    app.connect("build-finished", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
