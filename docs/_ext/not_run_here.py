"""The `not-run-here` directive: advice this site gives although its proof cannot run it (for
example LiteLLM's database features), visibly marked, with the source the advice rests on.

    :::{not-run-here}
    :source: https://docs.litellm.ai/docs/proxy/virtual_keys
    :reason: LiteLLM's database features need Prisma's engine binaries, which ...

    The advice, in MyST.
    :::

`:source:` (one or more http(s) URLs, separated by spaces) and `:reason:` are required: the
block opens with "Not run by this site's proof: <reason>. Source: <link>." Every block is
listed in not-run-here.json next to the built site, where tests/test_not_run_here.py checks
that each one on every page names a source."""

import json
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

CLASS = "not-run-here"


def sources(argument: str) -> list[str]:
    urls = (argument or "").split()
    if not urls:
        raise ValueError("a URL is required")
    for url in urls:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
    return urls


def reason(argument: str) -> str:
    text = " ".join((argument or "").split()).rstrip(".")
    if not text:
        raise ValueError("say why this is not run here")
    return text


class NotRunHere(SphinxDirective):
    has_content = True
    option_spec = {"source": sources, "reason": reason}

    def run(self):
        missing = [name for name in ("source", "reason") if name not in self.options]
        if missing:
            raise self.error(f"not-run-here: :{missing[0]}: is required (" +
                             ("a URL the advice rests on" if missing[0] == "source"
                              else "why this site's proof does not run it") + ")")
        urls, why = self.options["source"], self.options["reason"]
        box = nodes.admonition(classes=["admonition", CLASS, "caution"])
        box["not_run_here_sources"] = urls
        box["not_run_here_line"] = self.lineno
        box += nodes.title("", "Not run here")
        notice = nodes.paragraph(classes=[f"{CLASS}-source"])
        notice += nodes.strong("", "Not run by this site's proof:")
        notice += nodes.Text(f" {why}. Source: ")
        for i, url in enumerate(urls):
            if i:
                notice += nodes.Text(", ")
            notice += nodes.reference("", url, refuri=url)
        notice += nodes.Text(".")
        box += notice
        self.state.nested_parse(self.content, self.content_offset, box)
        return [box]


def write(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    blocks = []
    for docname in sorted(app.env.found_docs):
        for node in app.env.get_doctree(docname).findall(nodes.admonition):
            if CLASS in node["classes"]:
                blocks.append({"page": docname, "line": node.get("not_run_here_line"),
                               "sources": node.get("not_run_here_sources", [])})
    (Path(app.outdir) / "not-run-here.json").write_text(json.dumps(blocks, indent=1))


def setup(app):
    app.add_directive("not-run-here", NotRunHere)
    app.connect("build-finished", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
