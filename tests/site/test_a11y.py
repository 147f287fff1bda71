"""Accessibility: axe-core (WCAG 2.1 A and AA rules) on every page of the built site, in
light and dark, at laptop and phone width, in the reader's Chromium. Any violation fails.
What axe cannot decide ("incomplete": mostly contrast over backgrounds it cannot compute) is
written to docs/_build/a11y-incomplete.json for a look by eye; the report says what was seen.

axe-core comes pinned inside the axe-playwright-python package (its axe.min.js, axe 4.12.1);
only that file is used, injected into each page."""

from __future__ import annotations

import json
from collections import Counter
from importlib.resources import files

import pytest

from .conftest import VARIANTS

AXE = (files("axe_playwright_python") / "axe.min.js").read_text()
WCAG21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                     resultTypes: ["violations", "incomplete"]});
  const brief = (list) => list.map((x) => ({id: x.id, impact: x.impact,
                                            nodes: x.nodes.map((n) => n.target.join(" "))}));
  return {version: axe.version, violations: brief(r.violations),
          incomplete: brief(r.incomplete)};
}"""
DARK_BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"
INCOMPLETE: dict[str, dict] = {}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_page_has_no_axe_violations(chromium, site_url, site_pages, site_build, variant):
    context = chromium.new_context(**VARIANTS[variant])
    context.add_init_script(AXE)  # once, not sent again with every page
    page = context.new_page()
    violations, incomplete = [], Counter()
    try:
        for rel in site_pages:
            page.goto(site_url + rel)
            result = page.evaluate(RUN_AXE, WCAG21_A_AA)
            assert result["version"] == "4.12.1"
            violations += [f"{rel}: {v['id']} ({v['impact']}) at {', '.join(v['nodes'][:3])}"
                           f"{' …' if len(v['nodes']) > 3 else ''}"
                           for v in result["violations"]]
            for item in result["incomplete"]:
                incomplete[item["id"]] += len(item["nodes"])
                INCOMPLETE.setdefault(variant, {}).setdefault(rel, []).append(item)
        # The scheme really switched: furo follows prefers-color-scheme by default.
        background = page.evaluate(DARK_BACKGROUND)
        channels = [int(c) for c in background[background.index("(") + 1:-1].split(",")[:3]]
        assert (sum(channels) < 200) == variant.startswith("dark"), background
    finally:
        context.close()
        report = site_build.parent / "a11y-incomplete.json"
        report.write_text(json.dumps(INCOMPLETE, indent=1))
    print(f"{variant}: {len(site_pages)} pages, undecided by axe: {dict(incomplete)}")
    assert not violations, "axe-core (WCAG 2.1 A+AA) violations:\n" + "\n".join(violations)
