"""The production guide's alert rules (snippets/production/15-alert-rules.yml): the check a
reader runs in CI passes on them, and Prometheus's own rule unit tests (promtool, the
version the production stack runs) show each alert firing on the series that should fire it
and staying quiet on those that should not. That the series exist in the pinned LiteLLM's
/metrics is test_faq.py::test_alert_rules_name_what_litellm_exports."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet

RULES = "production/15-alert-rules.yml"
CHECK = "production/16-check-alert-rules.sh"
REQUESTS = "litellm_proxy_total_requests_metric_total"
TOKENS = "litellm_input_tokens_metric_total"


def test_alert_rules_pass_promtools_check(terminal):
    terminal.place(RULES, terminal.project / "alert-rules.yml")
    result = terminal.run(CHECK)
    assert result.code == 0 and "SUCCESS: 4 rules found" in result.output, result.output
    ran(RULES)  # promtool loaded and checked the file's bytes
    captures.check("production/check-alert-rules.console",
                   captures.console(snippet(CHECK).read_text(), result.stdout + result.stderr))


def _unit(tmp_path, series: list[dict], alerts: list[dict], exprs=()):
    shutil.copyfile(snippet(RULES), tmp_path / "alert-rules.yml")
    ran(RULES)
    tests = {"rule_files": ["alert-rules.yml"], "evaluation_interval": "1m",
             "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": alerts,
                        "promql_expr_test": list(exprs)}]}
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    return subprocess.run(["promtool", "test", "rules", "tests.yml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def _requests(ok_per_min: int, failed_per_min: int, minutes: int = 30) -> list[dict]:
    return [{"series": f'{REQUESTS}{{status_code="200"}}', "values": f"0+{ok_per_min}x{minutes}"},
            {"series": f'{REQUESTS}{{status_code="500"}}',
             "values": f"0+{failed_per_min}x{minutes}"}]


def test_instance_down_fires_after_a_minute(tmp_path):
    series = [{"series": 'up{job="litellm", instance="localhost:4001"}', "values": "1 0 0 0"},
              {"series": 'up{job="litellm", instance="localhost:4002"}', "values": "1 1 1 1"}]
    down = {"exp_labels": {"severity": "page", "job": "litellm", "instance": "localhost:4001"},
            "exp_annotations": {"summary": "LiteLLM instance localhost:4001 does not answer"}}
    result = _unit(tmp_path, series, [
        {"eval_time": "1m", "alertname": "GatewayInstanceDown", "exp_alerts": []},  # pending
        {"eval_time": "2m", "alertname": "GatewayInstanceDown", "exp_alerts": [down]}])
    assert result.returncode == 0, result.stdout + result.stderr


def test_error_rate_fires_above_the_objective_only(tmp_path):
    # 1 % of requests fail for 30 minutes: the alert fires, and the availability reads 99 %.
    high = {"exp_labels": {"severity": "page"},
            "exp_annotations": {"summary": "1% of gateway requests fail"}}
    result = _unit(tmp_path, _requests(198, 2), [
        {"eval_time": "20m", "alertname": "GatewayErrorRateHigh", "exp_alerts": [high]}],
        exprs=[{"expr": "gateway:availability:ratio_rate30d", "eval_time": "20m",
                "exp_samples": [{"labels": "gateway:availability:ratio_rate30d",
                                 "value": 0.99}]}])
    assert result.returncode == 0, result.stdout + result.stderr
    # 0.1 % fail, inside a 99.5 % objective: quiet.
    result = _unit(tmp_path, _requests(999, 1), [
        {"eval_time": "20m", "alertname": "GatewayErrorRateHigh", "exp_alerts": []}])
    assert result.returncode == 0, result.stdout + result.stderr


def test_token_jump_fires_at_three_times_yesterday(tmp_path):
    # 100 input tokens a minute for a day, then 400 a minute for two hours: fires; a day
    # at 100 then 250 a minute (2.5 times): quiet.
    for after, fires in ((400, True), (250, False)):
        series = [{"series": f'{TOKENS}{{model="claude-opus-5-5"}}',
                   "values": f"0+100x1440 144000+{after}x120"}]
        expected = [{"exp_labels": {"severity": "ticket"},
                     "exp_annotations": {"summary": "Input tokens at 6.667 per second, three "
                                                    "times yesterday's"}}] if fires else []
        result = _unit(tmp_path, series, [
            {"eval_time": "26h", "alertname": "GatewayTokenUseJump", "exp_alerts": expected}])
        assert result.returncode == 0, (after, result.stdout + result.stderr)
