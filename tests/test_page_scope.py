"""A page-scoped run reruns exactly the tests that used what the page shows, from the last
whole run's map, and falls back to the modules that name a file the map does not know."""

from __future__ import annotations

import json
import threading

from tests.harness.project import ROOT
from tests.harness.proof import page_scope, records

SNIPPET = ROOT / "snippets/routing/01-multi-region.yaml"
UNMAPPED = ROOT / "snippets/routing/02-least-busy.yaml"


def _build(tmp_path, *included):
    (tmp_path / "code-blocks.json").write_text(json.dumps(
        [{"page": "how-to/routing", "included_from": str(p)} for p in included]))
    (tmp_path / "claims.json").write_text("[]")
    return tmp_path


def test_the_map_picks_the_tests_that_used_the_snippet(tmp_path, monkeypatch):
    used = ("tests/guides/test_routing.py::test_pinned_litellm_loads_each_routing_config"
            "[routing/01-multi-region.yaml]")
    gone = "tests/guides/test_routing.py::test_no_longer_exists"
    monkeypatch.setattr(page_scope, "MAP", tmp_path / "used-by.json")
    page_scope.MAP.write_text(json.dumps({"routing/01-multi-region.yaml": [used, gone]}))
    chosen = page_scope.selection(["how-to/routing"], _build(tmp_path, SNIPPET))
    assert chosen == [used, "docs/how-to/routing.md"]


def test_what_the_map_does_not_know_runs_its_whole_module(tmp_path, monkeypatch):
    monkeypatch.setattr(page_scope, "MAP", tmp_path / "absent.json")
    chosen = page_scope.selection(["how-to/routing"], _build(tmp_path, UNMAPPED))
    assert "tests/guides/test_routing.py" in chosen


def test_only_the_running_test_is_noted_as_a_user(tmp_path, monkeypatch):
    monkeypatch.setenv(records.RECORDS_ENV, str(tmp_path))
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "tests/test_x.py::test_a[p (1)] (call)")
    records.used("routing/01-multi-region.yaml")
    other = threading.Thread(target=records.used, args=("routing/02-least-busy.yaml",))
    other.start()
    other.join()
    assert records.USED_BY.all(tmp_path) == {
        ("routing/01-multi-region.yaml", "tests/test_x.py::test_a[p (1)]")}
    monkeypatch.setattr(page_scope, "MAP", tmp_path / "used-by.json")
    assert page_scope.save_map(tmp_path) == 1


def test_one_user_is_enough_and_a_named_tests_own_cases_count(tmp_path, monkeypatch):
    loads = "tests/guides/test_routing.py::test_pinned_litellm_loads_each_routing_config"
    serves = "tests/guides/test_routing.py::test_each_routing_config_serves_claude_code"
    monkeypatch.setattr(page_scope, "MAP", tmp_path / "used-by.json")
    page_scope.MAP.write_text(json.dumps({
        "routing/01-multi-region.yaml": [f"{serves}[x]", f"{loads}[routing/01-multi-region.yaml]"],
        "routing/02-least-busy.yaml": [f"{serves}[routing/02-least-busy.yaml]",
                                       f"{loads}[routing/02-least-busy.yaml]"]}))
    build = _build(tmp_path, SNIPPET, UNMAPPED)
    (build / "claims.json").write_text(json.dumps(
        [{"page": "how-to/routing", "test": "test_pinned_litellm_loads_each_routing_config"}]))
    # The named test's cases that ran these files, not every case it has; each file then
    # already has a user, so nothing else is added.
    assert page_scope.selection(["how-to/routing"], build) == [
        f"{loads}[routing/01-multi-region.yaml]", f"{loads}[routing/02-least-busy.yaml]",
        "docs/how-to/routing.md"]


def test_a_page_is_proven_in_two_lanes_modules_whole():
    from tests.harness import lanes
    args = ["tests/guides/test_routing.py::a", "tests/guides/test_routing.py::b",
            "tests/guides/test_routing.py::c", "tests/test_published_configs.py::p[x]",
            "tests/guides/test_faq.py::f", "tests/guides/test_apps_gateway.py::g",
            "tests/site/test_a11y.py::y", "docs/how-to/routing.md"]
    plan = lanes.split(args, "python")
    runs = {name: argv[5:] for name, [(argv, _)] in plan.items()}
    assert runs["a"][:2] == ["tests/guides/test_apps_gateway.py::g", "tests/site/test_a11y.py::y"]
    assert sorted(sum(runs.values(), [])) == sorted(args)
    for module in ("tests/guides/test_routing.py", "tests/test_published_configs.py"):
        assert len({n for n, items in runs.items()
                    if any(a.startswith(module) for a in items)}) == 1
    assert lanes.split(["tests/guides/test_faq.py::f"], "python").keys() == {"a"}
