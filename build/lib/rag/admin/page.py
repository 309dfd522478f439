"""HTML for the editors' page: the page shell, the report's tables and the usage chart (SVG).

Everything from outside (readers' questions and reasons, answers, corpus titles and
quotes) is escaped here. The shell holds no data: the page's script fetches the
report with the token and puts these fragments in place.
"""
from __future__ import annotations

import html

from ..analytics.groups import Group
from ..analytics.report import Report, faq_entry, when

PAGE_ROWS = 100  # per table; the CSV has every row


def esc(text) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def shell(title: str) -> str:
    """The page without data: a token form, the filters and empty sections the script fills."""
    periods = "".join(f'<option value="{v}"{" selected" if v == "7d" else ""}>{t}</option>' for v, t in (
        ("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days")))
    sections = "".join(
        f'<section aria-labelledby="h-{key}"><div class="head"><h2 id="h-{key}">{head}</h2>'
        f'<button type="button" class="csv" data-table="{key}">Download CSV<span class="visually-hidden">: '
        f'{head}</span></button></div><p class="explain">{explain}</p><div id="{key}" class="body"></div></section>'
        for key, head, explain in (
            ("usage", "Usage over time", "Questions per hour or day; the refused part in amber."),
            ("asked", "Most-asked questions", "Questions grouped by meaning; the most asked wording leads."),
            ("gaps", "Coverage gaps", "Questions the coverage could not answer, most frequent first. Draft a FAQ "
                                      "entry, write its answer into the article, and run rag ingest."),
            ("dislikes", "Disliked answers", "Answers readers disliked, with their reasons and the cited passages.")))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Editors' view · {esc(title)}</title>
<link rel="stylesheet" href="/admin/admin.css"></head>
<body><header><h1>Editors' view</h1><p>What readers asked of “{esc(title)}”. Times are UTC. No reader is identified:
the log keeps no address, cookie or browser details.</p></header>
<main>
<form id="login" hidden><h2>Sign in</h2>
<p><label for="token">Editors' token</label> <input id="token" name="token" type="password" autocomplete="off"
required aria-describedby="token-help"> <button type="submit">Open</button></p>
<p id="token-help" class="explain">The value of RAG_ADMIN_TOKEN. It is kept in this tab only, until you close it.</p>
<p id="login-msg" role="alert"></p></form>
<div id="view" hidden>
<form id="filters"><p><label for="since">Period</label> <select id="since" name="since">{periods}</select>
<label for="article">Article</label> <select id="article" name="article"><option value="">All articles</option></select>
<button type="submit">Show</button> <button type="button" id="signout">Sign out</button></p></form>
<p id="status" role="status" aria-live="polite"></p>
{sections}
<p><button type="button" class="csv" data-table="questions">Download every question of the period (CSV)</button></p>
</div>
<noscript><p>The editors' page needs JavaScript.</p></noscript>
</main><script src="/admin/admin.js"></script></body></html>"""


def disabled() -> str:
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Editors' view is off</title>"
            "<link rel=\"stylesheet\" href=\"/admin/admin.css\"></head><body><main><h1>The editors' view is off</h1>"
            "<p>Set RAG_ADMIN_TOKEN to a long random value (for example the output of "
            "<code>openssl rand -hex 32</code>) and restart the server; then open /admin and enter it.</p>"
            "</main></body></html>")


# --------------------------------------------------------------------------- report fragments


def fragments(report: Report, titles: dict[str, str]) -> dict[str, str]:
    return {"usage": usage(report), "asked": groups(report.asked, titles, "Most-asked questions"),
            "gaps": groups(report.gaps, titles, "Coverage gaps", drafts=True), "dislikes": dislikes(report, titles)}


def _articles(ids, titles: dict[str, str]) -> str:
    return "; ".join(esc(titles.get(i, i)) for i in ids) or "—"


def groups(items: list[Group], titles: dict[str, str], caption: str, drafts: bool = False) -> str:
    if not items:
        return '<p class="empty">None in this period.</p>'
    head = "<th scope=\"col\">Asked</th><th scope=\"col\">Question</th><th scope=\"col\">Also asked as</th>"
    head += "<th scope=\"col\">Draft</th>" if drafts else "<th scope=\"col\">Refused</th><th scope=\"col\">Articles</th>"
    rows = []
    for i, g in enumerate(items[:PAGE_ROWS], 1):
        also = "".join(f"<li>{esc(q)} <span class=\"n\">({n})</span></li>" for q, n in g.wordings[1:])
        cells = (f'<td class="num">{g.count}</td><td class="q">{esc(g.question)}</td>'
                 f'<td>{f"<ul>{also}</ul>" if also else "—"}</td>')
        if drafts:
            cells += (f'<td><details><summary>Draft a FAQ entry</summary><label for="faq-{i}">FAQ entry: paste it '
                      f"under the article's “Frequently asked questions” heading and write the answer</label>"
                      f'<textarea id="faq-{i}" class="faq" rows="4" readonly>{esc(faq_entry(g.question))}</textarea>'
                      f'<button type="button" class="copy" data-for="faq-{i}">Copy</button></details></td>')
        else:
            cells += f'<td class="num">{g.refused}</td><td>{_articles(g.articles, titles)}</td>'
        rows.append(f"<tr>{cells}</tr>")
    more = f'<p class="more">{len(items) - PAGE_ROWS} more in the CSV.</p>' if len(items) > PAGE_ROWS else ""
    return (f'<table><caption class="visually-hidden">{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>{more}')


def dislikes(report: Report, titles: dict[str, str]) -> str:
    if not report.dislikes:
        return '<p class="empty">None in this period.</p>'
    rows = []
    for d in report.dislikes[:PAGE_ROWS]:
        cites = "".join(
            f'<li><blockquote>{esc(c.get("quote", ""))}</blockquote>'
            f'<span class="src">[{esc(c.get("n", ""))}] {esc(c.get("title") or titles.get(c.get("doc_id"), ""))}'
            f"</span></li>" for c in d.citations)
        rows.append(f'<tr><td class="when">{esc(when(d.ts))}</td><td class="q">{esc(d.question)}</td>'
                    f'<td>{esc(d.answer)}</td><td>{esc(d.reason) or "—"}</td>'
                    f'<td>{f"<ol>{cites}</ol>" if cites else "—"}</td></tr>')
    return ('<table><caption class="visually-hidden">Disliked answers</caption><thead><tr>'
            '<th scope="col">When</th><th scope="col">Question</th><th scope="col">Answer</th>'
            '<th scope="col">Reason</th><th scope="col">Cited passages</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def usage(report: Report, width: int = 720, height: int = 200) -> str:
    """A bar chart of questions per bucket (refused stacked below), as inline SVG; its title is the summary."""
    buckets = report.usage
    total, refused = len(report.rows), report.refused
    if not buckets:
        return '<p class="empty">None in this period.</p>'
    left, bottom, top = 40, 28, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max(1, max(b.asked for b in buckets))
    bar = plot_w / len(buckets)
    hours = report.step < 86400
    parts = []
    for tick in sorted({0, (peak + 1) // 2, peak}):
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    every = max(1, len(buckets) // 6)
    for i, b in enumerate(buckets):
        x = left + i * bar
        h_all, h_ref = plot_h * b.asked / peak, plot_h * b.refused / peak
        label = f"{when(b.start, hours)}: {b.asked} question{'s' if b.asked != 1 else ''}, {b.refused} refused"
        parts.append(f'<g><title>{esc(label)}</title>'
                     f'<rect class="answered" x="{x + 1:.1f}" y="{top + plot_h - h_all:.1f}" '
                     f'width="{max(1.0, bar - 2):.1f}" height="{h_all - h_ref:.1f}"/>'
                     f'<rect class="refused" x="{x + 1:.1f}" y="{top + plot_h - h_ref:.1f}" '
                     f'width="{max(1.0, bar - 2):.1f}" height="{h_ref:.1f}"/></g>')
        if i % every == 0:
            text = when(b.start, hours)[5:] if hours else when(b.start, False)[5:]
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle">{esc(text)}</text>')
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-t">'
            f'<title id="chart-t">Questions per {"hour" if hours else "day"}: {total} in all, {refused} refused'
            f'</title>{"".join(parts)}</svg>'
            '<p class="legend"><span class="key answered"></span> answered <span class="key refused"></span> '
            'refused</p>')
