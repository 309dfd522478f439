"""The eval's outputs: a console table, report.json, report.md, JUnit XML and a self-contained HTML page.

Why 340 lines: five formats of one report; the HTML page (about half) is the candidate to split out.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

from .scoring import EvalRun, ItemResult
from .sets import NEWS_KINDS
from .thresholds import INFO, METRICS, _fmt

SETS = ("faq", "answerable", "conversation", "unanswerable", "adversarial")
_SCORE_LABELS = {"retrieval": "retrieval 1/rank", "recall": "reference recall", "f1": "reference F1",
                 "facts": "required facts", "support": "weakest sentence support", "precision": "citation precision"}


def write_all(run: EvalRun, folder: Path) -> dict[str, Path]:
    """Write every report into `folder`; append the Markdown to $GITHUB_STEP_SUMMARY when set."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "report.json", "md": folder / "report.md",
             "junit": folder / "junit.xml", "html": folder / "report.html"}
    paths["json"].write_text(json.dumps(to_json(run), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md = markdown(run)
    paths["md"].write_text(md, encoding="utf-8")
    ET.ElementTree(junit(run)).write(paths["junit"], encoding="utf-8", xml_declaration=True)
    paths["html"].write_text(html_page(run), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(md + "\n")
    return paths


def _verdict(run: EvalRun) -> str:
    return "PASSED" if run.passed else "FAILED"


def _groups(run: EvalRun) -> list[tuple[str, list[ItemResult]]]:
    """The items by set; a news suite's by news kind (factoid, changed, near_miss, ...)."""
    out = [(k, [r for r in run.items if r.item.kind == k and not r.item.news_kind]) for k in SETS]
    out += [(k, [r for r in run.items if r.item.news_kind == k]) for k in NEWS_KINDS]
    return [(k, rs) for k, rs in out if rs]


def _per_set(run: EvalRun) -> list[tuple[str, int, int, int]]:
    return [(kind, len(rs), sum(r.passed for r in rs), sum(r.refused for r in rs)) for kind, rs in _groups(run)]


def _split(run: EvalRun) -> str:
    return f", {run.split} split" if run.split else ""


def _bounds(run: EvalRun) -> dict[str, str]:
    b = {n: f">= {_fmt(v)}" for n, v in run.thresholds.minimum.items()}
    b.update({n: f"<= {_fmt(v)}" for n, v in run.thresholds.maximum.items()})
    return b


def _status(run: EvalRun, name: str) -> str:
    bad = [c for c in run.checks if c.name in (name, f"baseline {name}") and not c.ok]
    if bad:
        return "FAIL"
    return "ok" if name in _bounds(run) else ""


# ---------------------------------------------------------------- console + markdown


def console(run: EvalRun) -> str:
    mode = "strict: FAQ blocks not indexed" if run.strict else "FAQ blocks indexed"
    lines = [f"rag eval: backend {run.backend}, corpus {run.corpus} ({mode}{_split(run)}), {len(run.items)} items "
             f"in {run.seconds.get('total', 0):.1f}s", ""]
    bounds = _bounds(run)
    lines.append(f"{'metric':<28} {'value':>8}  {'bound':<8} ")
    for name, value in run.metrics.items():
        lines.append(f"{name:<28} {_fmt(round(value, 3)):>8}  {bounds.get(name, ''):<8} {_status(run, name)}")
    lines.append("")
    lines.append(f"{'set':<14} {'items':>5} {'passed':>6} {'refused':>7}")
    for kind, n, passed, refused in _per_set(run):
        lines.append(f"{kind:<14} {n:>5} {passed:>6} {refused:>7}")
    i = run.info
    lines += ["", f"backend {run.backend}: median latency {i['latency.median_ms']:.0f} ms (p95 {i['latency.p95_ms']:.0f} ms), "
                  f"fallback {i['backend.fallback_rate']:.0%}, dropped sentences {i['backend.dropped_share']:.0%}, "
                  f"median answer {i['length.median_words']} words",
              _mutation_line(run), _baseline_line(run)]
    if run.judge:
        lines.append(_judge_line(run))
    lines += [f"note: {n}" for n in run.notes]
    problems = run.failures()
    lines.append("")
    if run.passed:
        lines.append(f"PASSED: every check holds ({len(run.checks)} checks).")
        if problems:
            lines.append(f"{len(problems)} item-level problem(s) within the thresholds:")
    else:
        lines.append(f"FAILED: {sum(not c.ok for c in run.checks)} check(s) failed. What failed and why:")
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)


def _mutation_line(run: EvalRun) -> str:
    m = run.mutation
    kinds = ", ".join(f"{k} {r}/{t}" for k, (r, t) in sorted(m.by_kind.items()))
    return (f"mutation self-test: {m.rejected}/{m.total} corrupted answers rejected "
            f"(from {m.bases} known-good answers; {kinds})")


def _baseline_line(run: EvalRun) -> str:
    b = run.baseline
    if not b.get("compared"):
        return f"baseline: {b.get('note', 'not compared')}"
    worse = b.get("newly_failing") or []
    better = b.get("newly_passing") or []
    return (f"baseline: compared; {len(worse)} item(s) newly failing{': ' + ', '.join(worse) if worse else ''}; "
            f"{len(better)} newly passing")


def _judge_line(run: EvalRun) -> str:
    j = run.judge
    errors = f"; {j['errors']} error(s)" if j.get("errors") else ""
    if not j.get("graded"):
        return f"LLM judge (not part of the gate): no grades from {j.get('endpoint')}{errors}"
    return (f"LLM judge (not part of the gate): grounded {j['mean_grounded']:.1f}/5, answers the question "
            f"{j['mean_answers']:.1f}/5, over {j['graded']} answers from {j['endpoint']} ({j['model']}){errors}")


def markdown(run: EvalRun) -> str:
    def esc(s) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    bounds = _bounds(run)
    out = [f"## rag eval: {_verdict(run)}", "",
           f"Backend `{run.backend}`, corpus `{run.corpus}`, {'strict (FAQ blocks not indexed)' if run.strict else 'FAQ indexed'}, "
           f"{len(run.items)} items{_split(run)}, {run.seconds.get('total', 0):.1f}s.", "",
           "| metric | value | bound | status | meaning |", "| --- | ---: | --- | --- | --- |"]
    for name, value in run.metrics.items():
        out.append(f"| `{name}` | {_fmt(round(value, 3))} | {esc(bounds.get(name, ''))} | {_status(run, name)} | {esc(METRICS[name])} |")
    for name, value in run.info.items():
        out.append(f"| `{name}` | {_fmt(round(value, 3)) if isinstance(value, float) else value} |  | info | {esc(INFO.get(name, ''))} |")
    out += ["", "| set | items | passed | refused |", "| --- | ---: | ---: | ---: |"]
    out += [f"| {k} | {n} | {p} | {r} |" for k, n, p, r in _per_set(run)]
    out += ["", f"- {_mutation_line(run)}", f"- {_baseline_line(run)}"]
    if run.judge:
        out.append(f"- {esc(_judge_line(run))}")
    out += [f"- note: {esc(n)}" for n in run.notes]
    problems = run.failures()
    if problems:
        out += ["", "### What failed and why" if not run.passed else "### Item problems (within thresholds)", ""]
        out += [f"- {esc(p)}" for p in problems]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- json + junit


def to_json(run: EvalRun) -> dict:
    return {
        "passed": run.passed, "backend": run.backend, "corpus": run.corpus, "strict": run.strict,
        "corpus_fingerprint": run.fingerprint, "seconds": {k: round(v, 2) for k, v in run.seconds.items()},
        "metrics": run.metrics, "info": run.info, "meanings": METRICS | INFO,
        "thresholds": {"path": run.thresholds.path, "max_words": run.thresholds.max_words,
                       "min_support": run.thresholds.min_support, "faq_min_recall": run.thresholds.faq_min_recall,
                       "faq_min_f1": run.thresholds.faq_min_f1, "faq_min_evidence": run.thresholds.faq_min_evidence,
                       "min": run.thresholds.minimum, "max": run.thresholds.maximum,
                       "baseline_max_drop": run.thresholds.max_drop},
        "checks": [vars(c) for c in run.checks], "failures": run.failures(),
        "mutation": run.mutation.to_dict(), "baseline": run.baseline, "judge": run.judge, "notes": run.notes,
        "items": [r.to_dict() for r in run.items],
    } | ({"split": run.split} if run.split else {})


def junit(run: EvalRun) -> ET.Element:
    """One test case per eval item (grouped by set), plus one per gate check."""
    root = ET.Element("testsuites", name="rag eval", tests=str(len(run.items) + len(run.checks)),
                      failures=str(sum(not r.passed for r in run.items) + sum(not c.ok for c in run.checks)))
    for kind, rs in _groups(run):
        suite = ET.SubElement(root, "testsuite", name=f"rag-eval.{kind}", tests=str(len(rs)),
                              failures=str(sum(not r.passed for r in rs)), errors="0",
                              time=f"{sum((r.answer.latency_ms if r.answer else 0) for r in rs) / 1000:.3f}")
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=f"rag-eval.{kind}", name=r.item.id,
                                 time=f"{(r.answer.latency_ms if r.answer else 0) / 1000:.3f}")
            reasons = ([r.error] if r.error else []) + r.violations + r.failures
            if reasons:
                f = ET.SubElement(case, "failure", message=_xml_safe(reasons[0]), type="violation" if r.violations else "failure")
                f.text = _xml_safe("\n".join(reasons) + f"\n\nQ: {r.item.question}\nA: {r.answer.answer if r.answer else ''}")
            out = ET.SubElement(case, "system-out")
            out.text = _xml_safe(f"Q: {r.item.question}\nA: {r.answer.answer if r.answer else ''}")
    gate = ET.SubElement(root, "testsuite", name="rag-eval.gate", tests=str(len(run.checks)),
                         failures=str(sum(not c.ok for c in run.checks)), errors="0")
    for c in run.checks:
        case = ET.SubElement(gate, "testcase", classname="rag-eval.gate", name=c.name)
        if not c.ok:
            ET.SubElement(case, "failure", message=_xml_safe(f"{c.name} = {_fmt(c.value)} (needs {c.op} {_fmt(c.bound)}) {c.note}"))
    return root


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20 and ch not in "\ufffe\uffff")


# ---------------------------------------------------------------- html


def _e(text) -> str:
    return html.escape(_xml_safe(str(text)), quote=True)


def bar_chart(scores: dict, width: int = 260, bound: dict | None = None) -> str:
    """A small inline SVG: one bar per score in 0..1 (n/a scores are skipped), bounds as ticks."""
    rows = [(k, v) for k, v in scores.items() if v is not None]
    if not rows:
        return ""
    label_w, bar_w, h = 170, width, 16
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 50}" height="{h * len(rows) + 4}" '
             f'role="img" aria-label="scores">']
    for i, (name, value) in enumerate(rows):
        y = i * h + 2
        v = max(0.0, min(1.0, float(value)))
        low = bound and name in bound and value < bound[name] - 1e-9
        color = "#c0392b" if low or v < 0.5 else "#d4a017" if v < 0.8 else "#2e8b57"
        parts.append(f'<text x="0" y="{y + 11}" font-size="11">{_e(_SCORE_LABELS.get(name, name))}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{h - 4}" fill="#eee"/>'
                     f'<rect x="{label_w}" y="{y}" width="{bar_w * v:.1f}" height="{h - 4}" fill="{color}"/>'
                     f'<text x="{label_w + bar_w + 4}" y="{y + 11}" font-size="11">{value:.2f}</text>')
        if bound and name in bound:
            x = label_w + bar_w * max(0.0, min(1.0, bound[name]))
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 1}" y2="{y + h - 3}" stroke="#000" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} .pass{color:#2e8b57;font-weight:600} .fail{color:#c0392b;font-weight:600}
table{border-collapse:collapse;margin:.5em 0} td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
details{border:1px solid #ddd;border-radius:6px;margin:.5em 0;padding:.3em .8em} summary{cursor:pointer}
blockquote{margin:.3em 0 .3em 1em;padding-left:.6em;border-left:3px solid #aaa;color:#444}
.answer{background:#f7f7f7;padding:.5em .8em;border-radius:4px;white-space:pre-wrap}
.reasons li{color:#c0392b} .muted{color:#777;font-size:.9em} code{background:#f2f2f2;padding:0 3px}
"""


def html_page(run: EvalRun) -> str:
    bounds = _bounds(run)
    rate_bounds = {n: v for n, v in run.thresholds.minimum.items() if v <= 1}
    overview = {n: v for n, v in run.metrics.items() if n in METRICS and 0 <= v <= 1
                and n not in ("violations", "errors", "length.over_cap")}
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width,initial-scale=1'>",
           f"<title>rag eval: {_verdict(run)}</title><style>{_CSS}</style></head><body>",
           f"<h1>Eval report: <span class='{'pass' if run.passed else 'fail'}'>{_verdict(run)}</span></h1>",
           f"<p>Backend <code>{_e(run.backend)}</code>, corpus <code>{_e(run.corpus)}</code>, "
           f"{'strict mode (FAQ blocks are not indexed: answers must come from the article body)' if run.strict else 'FAQ blocks indexed'}, "
           f"{len(run.items)} questions{_e(_split(run))}, {run.seconds.get('total', 0):.1f}s.</p>",
           "<h2>Scores</h2>", bar_chart(overview, 320, rate_bounds),
           "<p class='muted'>Black ticks are the thresholds from <code>evals/thresholds.toml</code>.</p>",
           "<table><tr><th>metric</th><th>value</th><th>bound</th><th></th><th>meaning</th></tr>"]
    for name, value in run.metrics.items():
        st = _status(run, name)
        out.append(f"<tr><td><code>{_e(name)}</code></td><td>{_e(_fmt(round(value, 3)))}</td><td>{_e(bounds.get(name, ''))}</td>"
                   f"<td class='{'fail' if st == 'FAIL' else 'pass'}'>{_e(st)}</td><td>{_e(METRICS[name])}</td></tr>")
    for name, value in run.info.items():
        shown = _fmt(round(value, 3)) if isinstance(value, float) else value
        out.append(f"<tr><td><code>{_e(name)}</code></td><td>{_e(shown)}</td><td></td><td class='muted'>info</td>"
                   f"<td>{_e(INFO.get(name, ''))}</td></tr>")
    out.append("</table>")
    out.append(f"<p>{_e(_mutation_line(run))}<br>{_e(_baseline_line(run))}"
               f"{'<br>' + _e(_judge_line(run)) if run.judge else ''}</p>")
    problems = run.failures()
    if problems:
        out.append("<h2>What failed and why</h2><ul class='reasons'>" + "".join(f"<li>{_e(p)}</li>" for p in problems) + "</ul>")
    for kind, rs in _groups(run):
        out.append(f"<h2>{_e(kind)} ({sum(r.passed for r in rs)}/{len(rs)} passed)</h2>")
        out += [_item_html(r, run) for r in rs]
    out.append("</body></html>")
    return "\n".join(out)


def _item_html(r: ItemResult, run: EvalRun) -> str:
    it = r.item
    verdict = "pass" if r.passed else "fail"
    expect = {"answer": "should be answered", "refuse": "should be refused",
              "safe": "refused, or answered from the corpus only"}[it.expect]
    out = [f"<details{'' if r.passed else ' open'}><summary><span class='{verdict}'>{verdict.upper()}</span> "
           f"<code>{_e(it.id)}</code> {_e(it.question[:140])}</summary>",
           f"<p class='muted'>{_e(expect)}{' · ' + _e(it.why) if it.why else ''}"
           f"{' · ' + str(r.words) + ' words' if r.words else ''}"
           f"{' · ' + format(r.answer.latency_ms, '.0f') + ' ms' if r.answer else ''}"
           f"{' · gold passage rank ' + str(r.rank) if r.rank else ' · gold passage not retrieved' if r.gold else ''}</p>"]
    if it.news_kind:
        out.append(f"<p class='muted'>news kind {_e(it.news_kind)} · {_e(it.split)} split · gold: "
                   + ", ".join(f"<code>{_e(u)}</code>" for u in it.gold) + "</p>")
    for t in r.turns:
        out.append(f"<p class='muted'>Earlier: <b>{_e(t['q'])}</b><br>{_e(t['answer'])}</p>")
    out.append(f"<p><b>Question</b><br>{_e(it.question)}</p>")
    if r.answer:
        lead = f"<b>{_e(r.answer.lead)}</b> " if r.answer.lead else ""
        out.append(f"<p><b>Answer</b>{' (refused)' if r.answer.refused else ''}</p><div class='answer'>{lead}{_e(r.answer.answer)}</div>")
        if r.answer.trace.dropped:  # editors see what the checker withheld from readers, and why
            out.append("<p><b>Removed by the citation checker</b> (never shown to readers)</p><ul>" + "".join(
                f"<li>{_e(s)} <span class='muted'>({_e(why)})</span></li>" for s, why in r.answer.trace.dropped) + "</ul>")
    if it.reference:
        out.append(f"<p><b>Editor's FAQ answer</b> (reference, not indexed in strict mode)</p><blockquote>{_e(it.reference)}</blockquote>")
    if it.facts:
        out.append("<p><b>Required facts</b>: " + "; ".join(
            f"{'✔' if f[0] in r.found else '✘'} {_e(' / '.join(f))}" for f in it.facts) + "</p>")
    if it.forbidden:
        out.append(f"<p class='muted'>Forbidden in the output: {_e(', '.join(it.forbidden))}</p>")
    g = r.grounding
    if g and g.citations:
        out.append("<p><b>Citations</b></p>")
        for c in g.citations:
            out.append(f"<blockquote>[{c.n}] {_e(c.quote)}<br><span class='muted'>{_e(c.doc_id)} chars {c.start}-{c.end} · "
                       f"{'verbatim' if c.valid else _e(c.reason)}</span></blockquote>")
    if g and g.sentences:
        out.append("<table><tr><th>sentence</th><th>cites</th><th>support</th><th>verdict</th></tr>")
        for s in g.sentences:
            why = "; ".join(f"{k} missing: {', '.join(v)}" for k, v in s.missing.items())
            verdict_s = "supported" if s.supported else (why or "below min_support")
            if s.irrelevant:
                verdict_s += f"; irrelevant citation(s) {s.irrelevant}"
            out.append(f"<tr><td>{_e(s.text)}</td><td>{_e(' '.join(f'[{m}]' for m in s.markers) or 'none')}</td>"
                       f"<td>{s.recall:.0%}</td><td class='{'pass' if s.supported else 'fail'}'>{_e(verdict_s)}</td></tr>")
        out.append("</table>")
    grade = run.judge.get("items", {}).get(it.id) if run.judge else None
    if grade:
        out.append("<p class='muted'>LLM judge (not part of the gate): " + _e(
            grade["error"] if "error" in grade else
            f"grounded {grade['grounded']}/5, answers {grade['answers']}/5. {grade['reason']}") + "</p>")
    reasons = ([r.error] if r.error else []) + r.violations + r.failures
    if reasons:
        out.append("<p><b>Why it failed</b></p><ul class='reasons'>" + "".join(f"<li>{_e(x)}</li>" for x in reasons) + "</ul>")
    item_bounds = {"recall": run.thresholds.faq_min_recall, "f1": run.thresholds.faq_min_f1,
                   "support": run.thresholds.min_support, "facts": 1.0}
    out.append(bar_chart(r.scores(), 200, item_bounds))
    out.append("</details>")
    return "\n".join(out)
