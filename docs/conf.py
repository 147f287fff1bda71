"""Sphinx configuration. Versions shown on pages come from conf/versions.toml, the same file
the test harness installs from, so a version on a page is the tested one."""

import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).parent
VERSIONS = tomllib.loads((DOCS.parent / "conf" / "versions.toml").read_text())
sys.path.insert(0, str(DOCS / "_ext"))

project = "Claude Code through an LLM gateway"
author = "The gateway-docs maintainers"
copyright = "2026, the gateway-docs maintainers"

extensions = ["myst_parser", "sphinx_design", "sphinx_copybutton", "code_block_manifest",
              "proof_role", "not_run_here"]
exclude_patterns = ["_build", "_captured", "_generated", "_includes", "conftest.py"]
myst_enable_extensions = ["substitution", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_substitutions = {
    "litellm_version": VERSIONS["litellm"]["version"],
    "claude_code_version": VERSIONS["claude_code"]["version"],
    "claude_code_package": VERSIONS["claude_code"]["package"],
    "python_min": VERSIONS["requirements"]["python"],
    "python_below": VERSIONS["requirements"]["python_below"],
    "node_min": VERSIONS["requirements"]["node"],
}

html_theme = "furo"
html_title = project

# --- Reader experience (tests/site/ proves each setting in the built site) -------------------
import os  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

extensions += ["sphinx_sitemap", "sphinxext.opengraph", "notfound.extension", "sphinx_llms_txt",
               "sphinx_markdown_builder", "markdown_copies", "reader_a11y", "search_numbers",
               "last_verified", "snippet_links"]

# Where the site is published. Read the Docs sets READTHEDOCS_CANONICAL_URL; elsewhere set
# DOCS_BASE_URL. The placeholder (an .example domain, reserved by RFC 2606) marks a build
# that has not been told where it lives; sitemap, canonical and OpenGraph URLs use it.
html_baseurl = (os.environ.get("READTHEDOCS_CANONICAL_URL") or os.environ.get("DOCS_BASE_URL")
                or "https://gateway-docs.example/")
sitemap_url_scheme = "{link}"
sitemap_excludes = ["404.html", "search.html", "genindex.html"]
sitemap_show_lastmod = False  # the per-page "last verified" line says what was proven when
ogp_site_url = html_baseurl
ogp_site_name = project
ogp_enable_meta_description = True
ogp_social_cards = {"enable": False}  # image cards need matplotlib; a text preview is enough
# 404.html is served at any address: its links are absolute, under the base URL's path.
notfound_urls_prefix = urlsplit(html_baseurl).path
notfound_context = {
    "title": "Page not found",
    "body": ("<h1>Page not found</h1><p>There is no page at this address. If you followed a "
             "link, the page may have a new name: try the search box, or start from "
             f'<a href="{notfound_urls_prefix}tutorials/quickstart.html">the quickstart</a> or '
             f'<a href="{notfound_urls_prefix}troubleshooting/index.html">troubleshooting'
             "</a>.</p>"),
}
llms_txt_uri_template = "{base_url}{docname}.md"  # the markdown copies (nox: build_docs)
llms_txt_full_file = False  # it would concatenate MyST sources, directives unexpanded
llms_txt_summary = ("Guides for running Claude Code through an LLM gateway (LiteLLM and others), "
                    "behind corporate proxies, in front of Anthropic, Amazon Bedrock and Google "
                    "Vertex AI. Every copyable block is executed by the project's tests.")

# The edit-this-page link. The repository comes from Read the Docs (READTHEDOCS_GIT_CLONE_URL)
# or DOCS_SOURCE_REPOSITORY; without either the link is left out rather than pointing nowhere.
_repo = (os.environ.get("DOCS_SOURCE_REPOSITORY")
         or os.environ.get("READTHEDOCS_GIT_CLONE_URL", "").removesuffix(".git"))
proof_source_repository = _repo  # the evidence page links each test's source at the built commit
html_theme_options = {
    "top_of_page_buttons": ["view", "edit"],
    **({"source_repository": _repo.rstrip("/") + "/",
        "source_branch": os.environ.get("DOCS_SOURCE_BRANCH", "main"),
        "source_directory": "docs/"} if _repo.startswith("https://") else {}),
}
# Pages that send the reader to the repository (gateway-assistant installs from a checkout)
# write {{ source_repository }}: a link where the build knows the repository, plain words where not.
myst_substitutions["source_repository"] = (
    f"[this site's repository]({_repo})" if _repo.startswith("https://")
    else "this site's repository")
html_static_path = ["_static"]
html_search_scorer = str(DOCS / "_static" / "search-scorer.js")
html_css_files = ["reader.css"]
html_js_files = ["reader.js"]

# "Last verified" on every page: these versions, and the date verify-docs stamps into the built
# pages after every test passed (docs/_ext/last_verified.py); never a typed date.
last_verified_versions = {"LiteLLM": VERSIONS["litellm"]["version"],
                          "Claude Code": VERSIONS["claude_code"]["version"]}

# Copy buttons copy exactly the commands: `$ ` starts a command, `> ` continues it (see
# tests/harness/proof/captures.py::console); output lines, empty lines and prompts are never copied.
# Blocks that are only output (captured files without a prompt) get no copy button at all.
copybutton_prompt_text = r"\$ |>(?: |$)"
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_copy_empty_lines = False
copybutton_selector = "div:not(.output-only) > div.highlight pre"
