"""Accessibility fixes the site needs before Sphinx ships them, and the marks the stylesheet
and copy buttons use. Checked by tests/site/test_a11y.py (axe-core on every page).

- Toctree captions (in pages and in furo's sidebar) are `<p role="heading">` without
  `aria-level`, which ARIA requires (axe: aria-required-attr, upstream sphinx#14030). They
  sit under the page's `<h1>`, so they get level 2.
- Code blocks included from docs/_captured/ are observed output: class `captured` (the
  stylesheet wraps their long lines on narrow screens); those without a `$ ` command line are
  output only: class `output-only` (no copy button: there is nothing to paste).
"""

from docutils import nodes
from sphinx import addnodes

CAPTION = 'role="heading"'


def mark_captured_blocks(app, doctree):
    for block in doctree.findall(nodes.literal_block):
        if "/_captured/" not in (block.get("source") or ""):
            continue
        block["classes"].append("captured")
        if not any(line.startswith("$ ") for line in block.astext().splitlines()):
            block["classes"].append("output-only")


def with_caption_level(base):
    class Translator(base):
        def visit_title(self, node):
            start = len(self.body)
            super().visit_title(node)
            if (isinstance(node.parent, addnodes.compact_paragraph)
                    and node.parent.get("toctree") and CAPTION in self.body[start]):
                self.body[start] = self.body[start].replace(
                    CAPTION, CAPTION + ' aria-level="2"', 1)
    Translator.__name__ = f"CaptionLevel{base.__name__}"
    return Translator


def fix_translator(app):
    if app.builder.format != "html":
        return
    base = app.registry.get_translator_class(app.builder)
    app.set_translator(app.builder.name, with_caption_level(base), override=True)


def setup(app):
    app.connect("doctree-read", mark_captured_blocks)
    app.connect("builder-inited", fix_translator)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
