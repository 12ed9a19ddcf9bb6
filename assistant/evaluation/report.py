"""Eval reports: the terminal summary, report.md, and a self-contained report.html (inline SVG)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from assistant.evaluation.compare import Delta
from assistant.evaluation.run import EvalReport
from index.errors import ConfigError

COUNT_METRICS = ("invalid_citations", "errors")
DESCRIPTIONS = {
    "hit_at_k": "a gold document among the top k",
    "recall_at_k": "share of gold documents among the top k",
    "mrr": "1 / rank of the first gold document",
    "ndcg_at_k": "rank-discounted gold documents (binary relevance)",
    "key_fact_recall": "share of key facts in the answer",
    "all_key_facts": "answers with every key fact",
    "token_f1": "word overlap with the reference answer (SQuAD F1)",
    "citation_precision": "citations that point at a gold document",
    "citation_recall": "gold documents cited",
    "cited_facts": "key facts the answer states that its cited sentences state too",
    "abstention_precision": "abstentions that were on unanswerable questions",
    "abstention_recall": "unanswerable questions abstained on",
    "false_abstention_rate": "answerable questions abstained on (lower is better)",
    "invalid_citations": "answers with an invalid citation (should be 0)",
    "errors": "questions that raised an error",
    "latency_p50": "median seconds per question",
    "latency_p95": "95th percentile seconds per question",
}
CELL_CHARS = 300  # answer text shown per Markdown cell; the HTML shows it whole


def fmt(name: str, value: Any) -> str:
    """A metric value for people: 0.812, 3, 1.42 s, n/a."""
    if value is None:
        return "n/a"
    if name in COUNT_METRICS:
        return str(int(value))
    if name.startswith("latency"):
        return f"{value:.2f} s"
    return f"{value:.3f}"


def _signed(name: str, delta: float | None) -> str:
    if delta is None:
        return ""
    if name in COUNT_METRICS:
        return f"{int(delta):+d}"
    return f"{delta:+.2f} s" if name.startswith("latency") else f"{delta:+.3f}"


def _is_share(name: str) -> bool:
    """True for the metrics in 0..1 (not the counts, not latency)."""
    return name not in COUNT_METRICS and not name.startswith("latency")


def failures_first(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Failed records first, each group in file order."""
    return sorted(records, key=lambda r: not r["failures"])


# -- files -----------------------------------------------------------------------
def write_report(report: EvalReport, out_dir: str | Path, *, comparison: Sequence[Delta] | None = None) -> Path:
    """Write results.jsonl, summary.json, report.md and report.html into `out_dir`; return it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in report.records)
    (out / "results.jsonl").write_text(lines, encoding="utf-8")
    summary = {"config": report.config, **report.summary}
    if comparison is not None:
        summary["comparison"] = [d._asdict() for d in comparison]
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report, comparison), encoding="utf-8")
    (out / "report.html").write_text(render_html(report, comparison), encoding="utf-8")
    return out


def load_summary(path: str | Path) -> dict[str, Any]:
    """A previous run's summary, from its output folder or its summary.json; ConfigError if absent."""
    path = Path(path)
    file = path / "summary.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read a previous summary at {file} ({exc}); pass an eval --out folder") from exc
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ConfigError(f"{file} is not an eval summary.json (no 'metrics')")
    return data


# -- terminal ----------------------------------------------------------------------
def format_summary(summary: Mapping[str, Any]) -> str:
    """A compact table of the summary for stdout."""
    counts = summary["counts"]
    lines = [
        f"{counts['questions']} questions ({counts['answerable']} answerable, {counts['unanswerable']} not); "
        f"{counts['abstained']} abstained, {counts['failed']} with a failure, {counts['errors']} errors",
        "",
    ]
    applicable = summary.get("applicable", {})
    for name in summary["metrics"]:
        over = f"  (over {applicable[name]})" if name in applicable else ""
        lines.append(f"  {name:<22} {fmt(name, summary['metrics'].get(name)):>9}{over}")
    if summary.get("tokens"):
        lines.append("  tokens: " + ", ".join(f"{k} {v}" for k, v in summary["tokens"].items()))
    if summary.get("judge"):
        lines.append("  judge: " + ", ".join(f"{k} {fmt(k, v)}" for k, v in summary["judge"].items()))
    return "\n".join(lines)


def format_comparison(deltas: Sequence[Delta]) -> str:
    """The comparison with an earlier run, regressions marked."""
    lines = ["Compared with the previous run:"]
    for d in deltas:
        flag = "  REGRESSION" if d.regressed else ""
        old, new, delta = fmt(d.metric, d.old), fmt(d.metric, d.new), _signed(d.metric, d.delta)
        lines.append(f"  {d.metric:<22} {old:>9} -> {new:>9} {delta:>9}{flag}")
    regressions = sum(d.regressed for d in deltas)
    lines.append(f"  {regressions} regression(s)" if regressions else "  no regressions")
    return "\n".join(lines)


# -- Markdown ----------------------------------------------------------------------
def _cell(text: Any, limit: int = CELL_CHARS) -> str:
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|") or " "


def _config_line(config: Mapping[str, Any]) -> str:
    keys = ("answerer", "k", "questions", "embed_model", "calibration", "git_commit", "when")
    return " · ".join(f"{k}: {config[k]}" for k in keys if config.get(k) is not None)


def render_markdown(report: EvalReport, comparison: Sequence[Delta] | None = None) -> str:
    """report.md: summary table, comparison, per-tag table, per-question table (failures first)."""
    summary = report.summary
    out = ["# Evaluation report", "", _config_line(report.config), "", "## Summary", ""]
    out += ["| metric | value | over | meaning |", "|---|---:|---:|---|"]
    for name in summary["metrics"]:
        over = summary["applicable"].get(name, "")
        out.append(f"| {name} | {fmt(name, summary['metrics'].get(name))} | {over} | {DESCRIPTIONS.get(name, '')} |")
    counts = summary["counts"]
    out += ["", ", ".join(f"{k}: {v}" for k, v in counts.items())]
    if summary.get("tokens"):
        out += ["", "Tokens: " + ", ".join(f"{k} {v}" for k, v in summary["tokens"].items())]
    if summary.get("judge"):
        out += ["", "## LLM judge (not deterministic)", ""]
        out += [f"- {k}: {fmt(k, v) if k != 'judged' else v}" for k, v in summary["judge"].items()]
    if comparison is not None:
        out += [
            "",
            "## Compared with the previous run",
            "",
            "| metric | previous | now | delta | |",
            "|---|---:|---:|---:|---|",
        ]
        for d in comparison:
            out.append(
                f"| {d.metric} | {fmt(d.metric, d.old)} | {fmt(d.metric, d.new)} | {_signed(d.metric, d.delta)} "
                f"| {'**regression**' if d.regressed else ''} |"
            )
    out += ["", "## By tag", "", *_markdown_tags(summary["by_tag"])]
    out += ["", "## Questions (failures first)", "", *_markdown_questions(report.records), ""]
    return "\n".join(out)


def _markdown_tags(by_tag: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not by_tag:
        return ["(no tags)"]
    columns = list(next(iter(by_tag.values())))
    rows = ["| tag | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for tag, row in by_tag.items():
        rows.append(
            f"| {tag} | " + " | ".join(str(row[c]) if c == "questions" else fmt(c, row[c]) for c in columns) + " |"
        )
    return rows


def _markdown_questions(records: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = ["| id | result | question | answer | cited | gold | hit | facts |", "|---|---|---|---|---|---|---:|---:|"]
    for r in failures_first(records):
        result = "; ".join(r["failures"]) or "ok"
        cited = ", ".join(dict.fromkeys(c["doc_id"] for c in r["citations"])) or "-"
        gold = ", ".join(r["gold_sources"]) or "(unanswerable)"
        values = r["metrics"]
        rows.append(
            f"| {r['id']} | {_cell(result)} | {_cell(r['question'])} | {_cell(r['answer'])} | {_cell(cited)} "
            f"| {_cell(gold)} | {fmt('', values['hit_at_k'])} | {fmt('', values['key_fact_recall'])} |"
        )
    return rows


# -- HTML --------------------------------------------------------------------------
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}tr.fail td:first-child{border-left:4px solid #c0392b}
tr.ok td:first-child{border-left:4px solid #27ae60}.reasons{color:#c0392b}.muted{color:#777}
blockquote{margin:.3em 0;padding-left:.6em;border-left:3px solid #ddd}.reg{color:#c0392b;font-weight:bold}
"""


def render_html(report: EvalReport, comparison: Sequence[Delta] | None = None) -> str:
    """report.html: self-contained (inline CSS and SVG, no scripts); all text escaped."""
    summary = report.summary
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Evaluation report</title>",
        f"<style>{STYLE}</style></head><body><h1>Evaluation report</h1>",
        f"<p class='muted'>{escape(_config_line(report.config))}</p>",
        f"<p>{escape(', '.join(f'{k}: {v}' for k, v in summary['counts'].items()))}</p>",
        "<h2>Metrics</h2>",
        bar_chart({n: v for n, v in summary["metrics"].items() if _is_share(n)}),
        _html_summary_table(summary),
        "<h2>Latency</h2>",
        histogram([r["latency_s"] for r in report.records]),
    ]
    if summary.get("judge"):
        items = "".join(
            f"<li>{escape(k)}: {escape(str(v if k == 'judged' else fmt(k, v)))}</li>"
            for k, v in summary["judge"].items()
        )
        parts.append(f"<h2>LLM judge <span class='muted'>(not deterministic)</span></h2><ul>{items}</ul>")
    if comparison is not None:
        parts.append(_html_comparison(comparison))
    parts += ["<h2>By tag</h2>", _html_tags(summary["by_tag"]), "<h2>Questions (failures first)</h2>"]
    parts += [_html_questions(report.records), "</body></html>"]
    return "\n".join(parts)


def bar_chart(values: Mapping[str, float | None], width: int = 360) -> str:
    """Inline SVG: one horizontal bar per 0..1 metric (n/a drawn as a label only)."""
    row, label_w = 22, 170
    height = row * len(values) + 10
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{label_w + width + 70}' height='{height}' role='img'>"]
    for i, (name, value) in enumerate(values.items()):
        y = 5 + i * row
        out.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end' font-size='12'>{escape(name)}</text>")
        out.append(f"<rect x='{label_w}' y='{y + 3}' width='{width}' height='{row - 6}' fill='#eee'/>")
        if value is not None:
            colour = "#c0392b" if name == "false_abstention_rate" else "#2e86c1"
            length = max(0.0, min(1.0, value)) * width
            out.append(f"<rect x='{label_w}' y='{y + 3}' width='{length:.1f}' height='{row - 6}' fill='{colour}'/>")
        out.append(f"<text x='{label_w + width + 6}' y='{y + 15}' font-size='12'>{escape(fmt(name, value))}</text>")
    out.append("</svg>")
    return "".join(out)


def histogram(latencies: Sequence[float], width: int = 480, height: int = 160) -> str:
    """Inline SVG histogram of seconds per question (about sqrt(n) bins, at most 20)."""
    if not latencies:
        return "<p class='muted'>no questions</p>"
    low, high = min(latencies), max(latencies)
    bins = max(1, min(20, round(math.sqrt(len(latencies)))))
    step = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in latencies:
        counts[min(bins - 1, int((value - low) / step))] += 1
    top, bar_w, base = max(counts), width / bins, height - 20
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width + 20}' height='{height + 10}' role='img'>"]
    for i, count in enumerate(counts):
        h = (base - 15) * count / top
        x = 10 + i * bar_w
        out.append(f"<rect x='{x:.1f}' y='{base - h:.1f}' width='{bar_w - 2:.1f}' height='{h:.1f}' fill='#2e86c1'>"
                   f"<title>{low + i * step:.2f}-{low + (i + 1) * step:.2f} s: {count}</title></rect>")  # fmt: skip
        if count:
            middle, above = x + bar_w / 2, base - h - 3
            out.append(f"<text x='{middle:.1f}' y='{above:.1f}' text-anchor='middle' font-size='10'>{count}</text>")
    out.append(f"<text x='10' y='{height + 2}' font-size='11'>{low:.2f} s</text>")
    out.append(f"<text x='{width + 10}' y='{height + 2}' text-anchor='end' font-size='11'>{high:.2f} s</text>")
    out.append("</svg>")
    return "".join(out)


def _html_summary_table(summary: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{escape(n)}</td><td class='num'>{escape(fmt(n, summary['metrics'].get(n)))}</td>"
        f"<td class='num'>{summary['applicable'].get(n, '')}</td><td>{escape(DESCRIPTIONS.get(n, ''))}</td></tr>"
        for n in summary["metrics"]
    )
    return f"<table><tr><th>metric</th><th>value</th><th>over</th><th>meaning</th></tr>{rows}</table>"


def _html_comparison(comparison: Sequence[Delta]) -> str:
    rows = "".join(
        f"<tr><td>{escape(d.metric)}</td><td class='num'>{escape(fmt(d.metric, d.old))}</td>"
        f"<td class='num'>{escape(fmt(d.metric, d.new))}</td><td class='num'>{escape(_signed(d.metric, d.delta))}</td>"
        f"<td>{'<span class=reg>regression</span>' if d.regressed else ''}</td></tr>"
        for d in comparison
    )
    head = "<tr><th>metric</th><th>previous</th><th>now</th><th>delta</th><th></th></tr>"
    return f"<h2>Compared with the previous run</h2><table>{head}{rows}</table>"


def _html_tags(by_tag: Mapping[str, Mapping[str, Any]]) -> str:
    if not by_tag:
        return "<p class='muted'>no tags</p>"
    columns = list(next(iter(by_tag.values())))
    head = "<tr><th>tag</th>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    rows = "".join(
        f"<tr><td>{escape(tag)}</td>"
        + "".join(
            f"<td class='num'>{escape(str(row[c]) if c == 'questions' else fmt(c, row[c]))}</td>" for c in columns
        )
        + "</tr>"
        for tag, row in by_tag.items()
    )
    return f"<table>{head}{rows}</table>"


def _html_questions(records: Sequence[Mapping[str, Any]]) -> str:
    head = "<tr><th>question</th><th>answer</th><th>citations</th><th>gold</th><th>metrics</th></tr>"
    return f"<table>{head}{''.join(_html_question(r) for r in failures_first(records))}</table>"


def _html_question(r: Mapping[str, Any]) -> str:
    cells = (_html_asked(r), _html_answer(r), _html_cited(r), _html_gold(r), _html_numbers(r))
    status = "fail" if r["failures"] else "ok"
    return f"<tr class='{status}'>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _html_asked(r: Mapping[str, Any]) -> str:
    html = f"<b>{escape(r['id'])}</b> {escape(r['question'])}"
    if r["query"] and r["query"] != r["question"]:
        html += f"<div class='muted'>searched: {escape(r['query'])}</div>"
    if r["failures"]:
        html += "<ul class='reasons'>" + "".join(f"<li>{escape(x)}</li>" for x in r["failures"]) + "</ul>"
    return html


def _html_answer(r: Mapping[str, Any]) -> str:
    html = escape(r["answer"]).replace("\n", "<br>")
    return html + (" <span class='muted'>(abstained)</span>" if r["abstained"] else "")


def _html_cited(r: Mapping[str, Any]) -> str:
    items = [
        f"<div>[{c['number']}] <b>{escape(c['doc_id'])}</b> <span class='muted'>{escape(c['location'])}</span>"
        f"<blockquote>{escape(c['quote'])}</blockquote></div>"
        for c in r["citations"]
    ]
    return "".join(items) or "<span class='muted'>none</span>"


def _html_gold(r: Mapping[str, Any]) -> str:
    html = f"<div><b>{escape(', '.join(r['gold_sources']) or 'unanswerable')}</b></div>"
    html += f"<div>{escape(r['reference_answer'])}</div>"
    facts = "; ".join(" / ".join(f) for f in r["key_facts"])
    return html + (f"<div class='muted'>key facts: {escape(facts)}</div>" if facts else "")


def _html_numbers(r: Mapping[str, Any]) -> str:
    names = ("hit_at_k", "mrr", "key_fact_recall", "token_f1", "citation_precision", "cited_facts")
    lines = [f"{n}: {escape(fmt(n, r['metrics'][n]))}" for n in names]
    return "<br>".join([*lines, f"latency: {r['latency_s']:.2f} s"])
