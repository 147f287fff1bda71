"""The `{proof}` role: a sentence that states a behaviour names the test that proves it,
e.g. ``{proof}`test_first_request``` or ``{proof}`tests/guides/test_quickstart.py::test_x```.
Rendered as the test's name; listed in claims.json next to the built site, where the guard
(tests/test_claims_guard.py) checks that every named test exists and passed in this run."""

import json
from pathlib import Path

from docutils import nodes


def proof_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    target = text.strip()
    node = nodes.literal(rawtext, target, classes=["proof"])
    node["proof_test"] = target
    node["proof_line"] = lineno
    return [node], []


def write(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    claims = []
    for docname in sorted(app.env.found_docs):
        for node in app.env.get_doctree(docname).findall(nodes.literal):
            if "proof_test" in node:
                claims.append({"page": docname, "line": node.get("proof_line"),
                               "test": node["proof_test"]})
    (Path(app.outdir) / "claims.json").write_text(json.dumps(claims, indent=1))


def setup(app):
    app.add_role("proof", proof_role)
    app.connect("build-finished", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
