"""The compatibility table, rendered from docs/_generated/matrix.json (written by
`nox -s matrix`): one row per Claude Code × LiteLLM pair, one column per check, each failure
with the first line of its test's message."""

from __future__ import annotations

MARK = {"pass": "✅ pass", "fail": "❌ fail", "skip": "⏭ skip", "not run": "⏱ not run"}


def render(results: dict) -> str:
    checks = list(results["checks"])
    pinned = results["pinned"]
    notes: list[str] = []
    dates = sorted({p.get("date", results["date"]) for p in results["pairs"]})
    when = dates[0] if len(dates) == 1 else (
        ", ".join(dates[:-1]) + f" and {dates[-1]} (each row on one of these days)")
    lines = [f"Measured on {when} by the project's `matrix` session "
             f"({results['machine']}).", "",
             "| Claude Code | LiteLLM | " + " | ".join(checks) + " |",
             "|---|---|" + "---|" * len(checks)]
    for pair in results["pairs"]:
        cc, lite = pair["claude-code"], pair["litellm"]
        is_pinned = cc == pinned["claude-code"] and lite == pinned["litellm"]
        row = [f"**{cc}** (pinned)" if is_pinned else cc,
               f"**{lite}** (pinned)" if is_pinned else lite]
        for check in checks:
            cell = pair["cells"][check]
            text = MARK[cell["outcome"]]
            if cell["outcome"] != "pass" and cell.get("detail"):
                notes.append(f"{cc} × {lite}, {check}: {cell['detail']}")
                text += f" [{len(notes)}]"
            if cell.get("output_differs"):
                notes.append(f"{cc} × {lite}, {check}: works, but its output differs from the "
                             f"page's capture ({', '.join(cell['output_differs'])})")
                text += f" [{len(notes)}]"
            row.append(text)
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Each column is one check of a guide, run unchanged with that pair under test "
              "(the mark leads to what it asserts):", ""]
    lines += [f"- {check} {{proof}}`{test}`" for check, test in results["checks"].items()]
    if results["unavailable"]:
        lines += ["", "Releases that could not be measured here:", ""]
        lines += [f"- {name}: {why}" for name, why in sorted(results["unavailable"].items())]
    if notes:
        lines += ["", "Notes (the first line of each failing test's message):", ""]
        lines += [f"{i}. {note.replace('|', '/')}" for i, note in enumerate(notes, 1)]
    flips = _flips(results, checks)
    if flips:
        lines += ["", "Where a check changes between neighbouring Claude Code releases:", ""]
        lines += [f"- {f}" for f in flips]
    return "\n".join(lines) + "\n"


def _flips(results: dict, checks: list[str]) -> list[str]:
    by_litellm: dict[str, list[dict]] = {}
    for pair in results["pairs"]:
        by_litellm.setdefault(pair["litellm"], []).append(pair)
    out = []
    for lite, pairs in by_litellm.items():
        for check in checks:
            for before, after in zip(pairs, pairs[1:]):
                a, b = before["cells"][check]["outcome"], after["cells"][check]["outcome"]
                if a != b:
                    out.append(f"LiteLLM {lite}, {check}: {a} with Claude Code "
                               f"{before['claude-code']}, {b} with {after['claude-code']}")
    return out
