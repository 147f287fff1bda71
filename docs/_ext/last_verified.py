"""A "last verified" line on every page: the pinned versions (conf/versions.toml, via
docs/conf.py) and the date of the proof run that passed with this build.

The build cannot know whether the tests will pass, so it writes "not verified by this build";
`nox -s verify-docs` stamps the date into the built pages only after every test passed
(`python docs/_ext/last_verified.py BUILD_DIR DATE`). A site built any other way (nox -s docs,
Read the Docs) says plainly that its build was not verified."""

import html
import re
import sys
from pathlib import Path

UNVERIFIED = "not verified by this build"
MARK = re.compile(r'(<time class="verified-on"[^>]*>)' + re.escape(UNVERIFIED) + "</time>")


def line(app) -> str:
    versions = " and ".join(f"{name} {html.escape(v)}"
                            for name, v in app.config.last_verified_versions.items())
    return ('<p class="last-verified">Last verified: '
            f'<time class="verified-on">{UNVERIFIED}</time>, against {versions}, by '
            '<a href="{how}">this site\'s tests</a>.</p>')


def add_line(app, pagename, templatename, context, doctree):
    if doctree is None or "body" not in context:
        return
    how = app.builder.get_relative_uri(pagename, "explanation/how-this-site-is-tested")
    context["body"] += line(app).replace("{how}", how)


def stamp(build: Path, day: str) -> int:
    """Write the date of a passed proof run into every built page; returns pages stamped."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise ValueError(f"not an ISO date: {day!r}")
    stamped = 0
    for page in build.rglob("*.html"):
        text = page.read_text()
        new = MARK.sub(lambda m: m.group(1).replace(">", f' datetime="{day}">') + f"{day}</time>",
                       text)
        if new != text:
            page.write_text(new)
            stamped += 1
    return stamped


def setup(app):
    app.add_config_value("last_verified_versions", {}, "html")
    app.connect("html-page-context", add_line)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    print(f"last verified {sys.argv[2]}: {stamp(Path(sys.argv[1]), sys.argv[2])} pages")
