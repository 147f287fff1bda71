"""Hostable: Read the Docs builds the site with the README's own commands (nox -s docs, the
pinned constraints) and publishes the folder that build writes."""

from __future__ import annotations

import yaml

from tests.harness.project import ROOT


def test_read_the_docs_builds_as_the_readme_does():
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    commands = config["build"]["commands"]
    readme = (ROOT / "README.md").read_text()
    install = "python3 -m pip install -c conf/constraints.txt nox"
    assert install in readme and commands[0] == install
    assert commands[1] == "python3 -m nox -s docs"
    assert "docs/_build/html" in commands[-1] and "$READTHEDOCS_OUTPUT/html" in commands[-1]
    python = config["build"]["tools"]["python"]
    assert tuple(map(int, python.split("."))) >= (3, 11), "the site's tools need Python 3.11+"


def test_edit_link_points_into_the_named_repository(monkeypatch):
    import runpy
    monkeypatch.setenv("DOCS_SOURCE_REPOSITORY", "https://github.com/example-org/gateway-docs")
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    options = conf["html_theme_options"]
    assert options["source_repository"] == "https://github.com/example-org/gateway-docs/"
    assert options["source_directory"] == "docs/" and "edit" in options["top_of_page_buttons"]
    monkeypatch.delenv("DOCS_SOURCE_REPOSITORY")
    monkeypatch.delenv("READTHEDOCS_GIT_CLONE_URL", raising=False)
    assert "source_repository" not in runpy.run_path(str(ROOT / "docs" / "conf.py"))[
        "html_theme_options"], "no repository named: no edit link pointing nowhere"
