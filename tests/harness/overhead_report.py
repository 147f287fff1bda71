"""The gateway-overhead table and chart, rendered from docs/_generated/bench-gateways.json."""

from __future__ import annotations

from html import escape


def render_md(r: dict) -> str:
    v, direct = r["variants"], r["variants"]["direct"]
    lines = [f"Measured on {r['date']} by the project's `bench-gateways` session "
             f"({r['machine']}; LiteLLM "
             f"{r['litellm']}; {r['rounds']} interleaved rounds; one streaming "
             f"`/v1/messages` request of {r['body_bytes'] // 1024} KB per round).", "",
             "| Path | first byte p50 | p95 | whole stream p50 | p95 | added p50 (paired) "
             "| added p95 (paired) | × direct (p50) | errors |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, s in v.items():
        ratio = s["total_p50_ms"] / direct["total_p50_ms"]
        added = "—" if name == "direct" else f"+{s['paired_p50_ms']:.2f} ms"
        added95 = "—" if name == "direct" else f"+{s['paired_p95_ms']:.2f} ms"
        lines.append(f"| {name} | {s['ttfb_p50_ms']:.2f} ms | {s['ttfb_p95_ms']:.2f} ms | "
                     f"{s['total_p50_ms']:.2f} ms | {s['total_p95_ms']:.2f} ms | {added} | "
                     f"{added95} | {ratio:.1f} | {s['errors']} |")
    lines += ["", "Throughput with several developers at once (each thread one keep-alive "
                  "connection sending the same request):", "",
              "| Path | " + " | ".join(f"{c['threads']} at once" for c in
                                      next(iter(r["concurrency"].values()))) + " |",
              "|---|" + "---|" * len(next(iter(r["concurrency"].values())))]
    for name, levels in r["concurrency"].items():
        lines.append(f"| {name} | " + " | ".join(
            f"{c['req_per_s']:.0f} req/s (p50 {c['p50_ms']:.0f} ms, {c['ok']}/{c['requests']} ok)"
            for c in levels) + " |")
    lines += ["", "Resident memory of the gateway's processes:", ""]
    lines += [f"- {name}: {mb:.0f} MB" for name, mb in r["rss_mb"].items()]
    if r.get("claude_round_trip_ms"):
        lines += ["", "A real `claude -p` round trip (median of interleaved runs):", ""]
        lines += [f"- {name}: {ms:.0f} ms" for name, ms in r["claude_round_trip_ms"].items()]
    return "\n".join(lines) + "\n"


def render_svg(r: dict) -> str:
    """Bars: whole-stream p50 and p95 per path, in milliseconds."""
    v = r["variants"]
    width, row, left = 640, 46, 170
    top = max(s["total_p95_ms"] for s in v.values()) or 1
    scale = (width - left - 80) / top
    height = 40 + row * len(v)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" aria-labelledby="t"><title id="t">Whole-stream latency per path, '
           f'p50 and p95, milliseconds</title>',
           '<style>text{font:13px sans-serif;fill:#333}.p95{fill:#9bb7d4}.p50{fill:#1f5f99}'
           '@media (prefers-color-scheme:dark){text{fill:#ddd}}</style>']
    for i, (name, s) in enumerate(v.items()):
        y = 20 + i * row
        out.append(f'<text x="{left - 8}" y="{y + 20}" text-anchor="end">{escape(name)}</text>')
        out.append(f'<rect class="p95" x="{left}" y="{y + 4}" height="24" '
                   f'width="{s["total_p95_ms"] * scale:.1f}"/>')
        out.append(f'<rect class="p50" x="{left}" y="{y + 4}" height="24" '
                   f'width="{s["total_p50_ms"] * scale:.1f}"/>')
        out.append(f'<text x="{left + s["total_p95_ms"] * scale + 6:.1f}" y="{y + 20}">'
                   f'{s["total_p50_ms"]:.1f} / {s["total_p95_ms"]:.1f} ms</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
