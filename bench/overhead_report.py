"""The gateway-overhead table and chart, rendered from docs/_generated/bench-gateways.json."""

from __future__ import annotations

from html import escape


def _quote(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _ms(s: dict, key: str, sign: str = "") -> str:
    return f"{sign}{s[key]:.2f} ms" if key in s else "—"


def render_md(r: dict) -> str:
    v, direct = r["variants"], r["variants"]["direct"]
    load = ""
    if "loadavg_start" in r:
        load = (f"; load average {r['loadavg_start']:.2f} when it started, "
                f"{r['loadavg_end']:.2f} when it ended")
    lines = [f"Measured on {r['date']} by the project's `bench-gateways` session "
             f"({r['machine']}{load}; LiteLLM "
             f"{r['litellm']}{'; Claude Code ' + r['claude_code'] if 'claude_code' in r else ''}"
             f"; {r['rounds']} interleaved rounds; one streaming "
             f"`/v1/messages` request of {r['body_bytes'] // 1024} KB per round).", "",
             "| Path | first byte p50 | p95 | whole stream p50 | p95 | added p50 (paired) "
             "| added p95 (paired) | × direct (p50) | errors |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, s in v.items():
        ratio = (f"{s['total_p50_ms'] / direct['total_p50_ms']:.1f}"
                 if "total_p50_ms" in s else "—")
        added = "—" if name == "direct" else _ms(s, "paired_p50_ms", "+")
        added95 = "—" if name == "direct" else _ms(s, "paired_p95_ms", "+")
        errors = f"{s['errors']} of {s['errors'] + s['n']}" if s["errors"] else "0"
        lines.append(f"| {name} | {_ms(s, 'ttfb_p50_ms')} | {_ms(s, 'ttfb_p95_ms')} | "
                     f"{_ms(s, 'total_p50_ms')} | {_ms(s, 'total_p95_ms')} | {added} | "
                     f"{added95} | {ratio} | {errors} |")
    if r.get("answers"):
        lines += ["", "What a path answered to the same request before the rounds, quoted from "
                      "this run:", ""]
        for name, a in r["answers"].items():
            said = [f"streaming (as Claude Code asks) {_quote(a['streaming'])}"]
            if "non-streaming" in a:
                said.append(f"the same body with `\"stream\": false` "
                            f"{_quote(a['non-streaming'])}")
            if "log" in a:
                said.append(f"its log: {_quote(a['log'])}")
            lines.append(f"- {name}: " + "; ".join(said) + ".")
    if r.get("left_out"):
        lines += ["", "Left out of this run:", ""]
        lines += [f"- {name}: {why}" for name, why in r["left_out"].items()]
    levels = next(iter(r["concurrency"].values()))
    lines += ["", "Throughput with several developers at once (each thread one keep-alive "
                  "connection sending the same request):", "",
              "| Path | " + " | ".join(f"{c['threads']} at once" for c in levels) + " |",
              "|---|" + "---|" * len(levels)]
    for name, levels in r["concurrency"].items():
        lines.append(f"| {name} | " + " | ".join(
            f"{c['req_per_s']:.0f} req/s (p50 "
            f"{'—' if c['p50_ms'] is None else format(c['p50_ms'], '.0f') + ' ms'}, "
            f"{c['ok']}/{c['requests']} ok)" for c in levels) + " |")
    for name, why in r.get("not_concurrent", {}).items():
        lines += ["", f"{name}: not run at concurrency ({why})."]
    lines += ["", "Resident memory of the gateway's processes:", ""]
    for name, mb in r["rss_mb"].items():  # {when: MB}; a plain number in older results
        lines.append(f"- {name}: " + (f"{mb:.0f} MB" if isinstance(mb, (int, float)) else
                                      ", ".join(f"{x:.0f} MB {when}" for when, x in mb.items())))
    if r.get("claude_round_trip_ms"):
        lines += ["", "A real `claude -p` round trip (median of interleaved runs):", ""]
        lines += [f"- {name}: {ms:.0f} ms" for name, ms in r["claude_round_trip_ms"].items()]
    return "\n".join(lines) + "\n"


def render_svg(r: dict) -> str:
    """Bars: whole-stream p50 and p95 per path, in milliseconds."""
    v = r["variants"]
    row = 46
    left = max(170, int(7.5 * max(len(name) for name in v)) + 16)  # room for the names
    width = left + 470
    top = max((s["total_p95_ms"] for s in v.values() if s.get("n")), default=1) or 1
    scale = (width - left - 110) / top  # room for the figures after the longest bar
    height = 40 + row * len(v)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" aria-labelledby="t"><title id="t">Whole-stream latency per path, '
           f'p50 and p95, milliseconds</title>',
           '<style>text{font:13px sans-serif;fill:#333}.p95{fill:#9bb7d4}.p50{fill:#1f5f99}'
           '@media (prefers-color-scheme:dark){text{fill:#ddd}}</style>']
    for i, (name, s) in enumerate(v.items()):
        y = 20 + i * row
        out.append(f'<text x="{left - 8}" y="{y + 20}" text-anchor="end">{escape(name)}</text>')
        if not s.get("n"):
            out.append(f'<text x="{left + 6}" y="{y + 20}">no successful answer '
                       f'({s["errors"]} errors)</text>')
            continue
        out.append(f'<rect class="p95" x="{left}" y="{y + 4}" height="24" '
                   f'width="{s["total_p95_ms"] * scale:.1f}"/>')
        out.append(f'<rect class="p50" x="{left}" y="{y + 4}" height="24" '
                   f'width="{s["total_p50_ms"] * scale:.1f}"/>')
        out.append(f'<text x="{left + s["total_p95_ms"] * scale + 6:.1f}" y="{y + 20}">'
                   f'{s["total_p50_ms"]:.1f} / {s["total_p95_ms"]:.1f} ms</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
