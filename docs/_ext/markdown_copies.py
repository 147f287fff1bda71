"""A markdown copy of every page, next to its HTML (`tutorials/quickstart.md` beside
`tutorials/quickstart.html`), for readers and tools that want text: built by
sphinx-markdown-builder as a second builder into the same folder (noxfile.py build_docs,
.readthedocs.yaml). llms.txt (sphinx-llms-txt) links to these copies.

sphinx-design's card titles, literalinclude captions and generic admonitions are nodes the
markdown builder does not know (it would drop them with a warning); their text is kept as it
is."""

from docutils import nodes
from sphinx_design.shared import PassthroughTextElement


def keep_text(self, node):
    pass


def setup(app):
    for node in (PassthroughTextElement, nodes.caption, nodes.admonition):
        app.add_node(node, override=True, markdown=(keep_text, keep_text))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
