"""Accessibility: axe-core (WCAG 2.1 A and AA rules) on every page of the built site, in
light and dark, at laptop and phone width, in the reader's Chromium. Any violation fails.

Colour contrast, nearly all of axe's cost, is checked on every page at laptop width and, at
phone width, on the fewest pages that together hold every element and CSS class the site
uses (17 of 58 on 2026-12-07): no stylesheet changes a colour with the width
(test_no_stylesheet_changes_a_colour_with_the_width), so what the phone layout can change is
which elements show and what lies under them, and every kind of element is on those pages.
What axe cannot decide ("incomplete": mostly contrast over backgrounds it cannot compute) is
written to docs/_build/a11y-incomplete.json for a look by eye; the report says what was seen.

axe-core comes pinned inside the axe-playwright-python package (its axe.min.js, axe 4.12.1);
only that file is used, injected into each page."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest
import tinycss2

from .conftest import VARIANTS

AXE = (files("axe_playwright_python") / "axe.min.js").read_text()
WCAG21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async ([tags, contrast]) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                     rules: {"color-contrast": {enabled: contrast}},
                                     resultTypes: ["violations", "incomplete"]});
  const brief = (list) => list.map((x) => ({id: x.id, impact: x.impact,
                                            nodes: x.nodes.map((n) => n.target.join(" "))}));
  return {version: axe.version, violations: brief(r.violations),
          incomplete: brief(r.incomplete)};
}"""
DARK_BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"
INCOMPLETE: dict[str, dict] = {}
# What decides a text's contrast: its colour, what is under it, and effects on both.
COLOUR_PROPERTIES = re.compile(r"color|background|opacity|filter|mix-blend-mode|text-shadow"
                               r"|-webkit-text-fill-color")
COLOUR_VALUE = re.compile(r"#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|"
                          r"var\(--[\w-]*colou?r", re.I)


def every_kind_of_element(build: Path, pages: list[str]) -> list[str]:
    """The fewest pages (greedily) that together hold every tag and every class the site uses."""
    kinds = {}
    for rel in pages:
        html = (build / rel).read_text(encoding="utf-8")
        kinds[rel] = {f"<{t}" for t in re.findall(r"<([a-z][a-z0-9-]*)", html)} | {
            c for value in re.findall(r'class="([^"]*)"', html) for c in value.split()}
    left, chosen = set().union(*kinds.values()), []
    while left:
        best = max(sorted(kinds), key=lambda rel: len(kinds[rel] & left))
        chosen.append(best)
        left -= kinds[best]
    return chosen


def width_dependent_colours(css: str) -> list[str]:
    """Declarations inside an @media rule on the width that set a colour (or a custom property
    holding one), as 'condition: selector { property: value }'."""
    found = []

    def walk(rules, condition):
        for rule in rules:
            if rule.type == "at-rule" and rule.content is not None:
                prelude = tinycss2.serialize(rule.prelude).strip()
                inner = prelude if rule.lower_at_keyword == "media" and "width" in prelude \
                    else condition
                walk(tinycss2.parse_rule_list(rule.content, True, True), inner)
            elif rule.type == "qualified-rule" and condition:
                for d in tinycss2.parse_declaration_list(rule.content, True, True):
                    value = tinycss2.serialize(d.value).strip() if d.type == "declaration" else ""
                    if d.type == "declaration" and (
                            COLOUR_VALUE.search(value) if d.name.startswith("--")
                            else COLOUR_PROPERTIES.match(d.lower_name)):
                        selector = tinycss2.serialize(rule.prelude).strip()
                        found.append(f"{condition}: {selector} {{ {d.name}: {value} }}")

    walk(tinycss2.parse_stylesheet(css, True, True), None)
    return found


def test_no_stylesheet_changes_a_colour_with_the_width(site_build):
    stylesheets = sorted((site_build / "_static").rglob("*.css"))
    assert any(p.name == "furo.css" for p in stylesheets), stylesheets
    found = [f"{p.relative_to(site_build)}: {x}" for p in stylesheets
             for x in width_dependent_colours(p.read_text(encoding="utf-8"))]
    assert not found, "colours that change with the width: check contrast at phone width " \
        "on every page again\n" + "\n".join(found)


def test_width_dependent_colours_are_found():
    """The reader of stylesheets finds the colour changes it must (and nothing else)."""
    css = ("@media (max-width: 46em) { a { color: #123; border-top: 1px solid red }"
           " .x { --color-fg: rgb(1 2 3); --sd-gutter-x: 0 } }"
           "@media print { a { color: black } } @media (min-width: 9em) { p { opacity: .5 } }"
           "@supports (x: y) { @media (max-width: 5em) { b { background: var(--color-bg) } } }")
    assert width_dependent_colours(css) == [
        "(max-width: 46em): a { color: #123 }",
        "(max-width: 46em): .x { --color-fg: rgb(1 2 3) }",
        "(min-width: 9em): p { opacity: .5 }",
        "(max-width: 5em): b { background: var(--color-bg) }"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_page_has_no_axe_violations(chromium, site_url, site_pages, site_build, variant):
    context = chromium.new_context(**VARIANTS[variant])
    context.add_init_script(AXE)  # once, not sent again with every page
    page = context.new_page()
    violations, incomplete = [], Counter()
    phone = VARIANTS[variant]["is_mobile"]
    contrast = set(every_kind_of_element(site_build, site_pages) if phone else site_pages)
    try:
        for rel in site_pages:
            page.goto(site_url + rel)
            result = page.evaluate(RUN_AXE, [WCAG21_A_AA, rel in contrast])
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
    print(f"{variant}: {len(site_pages)} pages, colour contrast on {len(contrast)}, "
          f"undecided by axe: {dict(incomplete)}")
    assert not violations, "axe-core (WCAG 2.1 A+AA) violations:\n" + "\n".join(violations)
