"""HTML for the chat: answers with [n] links, the Sources panel, refusals.

Everything from outside (questions, corpus text, titles, URLs, answers) is
escaped here, so it reaches the page as text: no tag, event handler, link
scheme or image from the corpus or a reader survives. Only http(s) URLs
become links (`sanitize.safe_url`). Each fragment is a single line starting with a block tag, so the
page's markdown renderer passes it through untouched (CommonMark HTML block).

Ids tie a citation to its source and back, all under `src-{turn}-{n}`: the entry in the Sources panel
is `src-T-N`, the k-th `[n]` in answer T is `src-T-N-ref` (k = 1) or `src-T-N-refK`, its quote
`src-T-N-qK`; a bot message is `turn-T` (`turn-T-draft` while checked). Gradio's sanitizer drops every
aria-* and data-* attribute, so what assistive technology needs rides on attributes it keeps (class, id,
role, tabindex, title) and rag/assets/chat.js turns it into ARIA: a [n]'s `title` becomes its accessible
name, its quote its description; the message's class names it.
"""
from __future__ import annotations

import html
import re
from typing import Callable
from urllib.parse import quote as _pct

from .sanitize import MARK, safe_url
from .types import Answer, Citation

_SENT_END = re.compile(r"[.!?][\"'”’)\]]*\s+")


def esc(text) -> str:
    """Text as HTML text. Newlines become spaces: every fragment here is one line, which a markdown
    renderer passes through as an HTML block, so nothing inside is read as markdown."""
    return html.escape(re.sub(r"[\r\n\u2028\u2029]+", " ", str(text or "")), quote=True)


def text_fragment(quote: str, words: int = 5) -> str:
    """`#:~:text=` pointing at the quote; long quotes as start,end so small edits upstream still match."""
    parts = quote.split()
    if not parts:
        return ""
    enc = lambda s: _pct(s, safe="").replace("-", "%2D")  # noqa: E731 - '-' and ',' are syntax in fragments
    if len(parts) <= 2 * words:
        return "#:~:text=" + enc(" ".join(parts))
    return "#:~:text=" + enc(" ".join(parts[:words])) + "," + enc(" ".join(parts[-words:]))


def article_link(c: Citation) -> str:
    url = safe_url(c.url)
    if not url:
        return ""
    return url.split("#", 1)[0] + text_fragment(c.quote)


def in_context(text: str | None, c: Citation, width: int = 240) -> tuple[str, str, str]:
    """(before, quote, after): the quote with up to a sentence or so of its paragraph on each side."""
    if not text or text[c.start:c.end] != c.quote:
        return "", c.quote, ""
    # Articles are stored as blocks (paragraphs, headings, FAQ answers) joined by blank lines.
    p_start = text.rfind("\n\n", 0, c.start)
    p_start = 0 if p_start < 0 else p_start + 2
    p_end = text.find("\n\n", c.end)
    p_end = len(text) if p_end < 0 else p_end
    before, after = text[p_start:c.start], text[c.end:p_end]
    if len(before) > width:
        cut = before[-width:]
        ends = list(_SENT_END.finditer(cut))
        before = cut[ends[0].end():] if ends else "…" + cut[cut.find(" ") + 1:]
    if len(after) > width:
        cut = after[:width]
        ends = list(_SENT_END.finditer(cut))
        after = cut[:ends[-1].end()].rstrip() if ends else cut[:cut.rfind(" ")] + "…"
    return before, c.quote, after


def answer_html(answer: Answer, turn: int) -> str:
    """The answer text with each [n] a link to its source in the panel (quote shown on hover and focus)."""
    if answer.refused:
        return refusal_html(answer, turn)
    note = f'<p class="notice">{esc(answer.notice)}</p>' if answer.notice else ""
    lead = f'<strong class="lead">{esc(answer.lead)}</strong> ' if answer.lead else ""
    return f'<div class="answer" id="turn-{turn}">{lead}{_cited(answer, turn)}{note}</div>'


def source_name(c: Citation) -> str:
    """What a screen reader says for [n]: 'Source 1: <article title>'."""
    return f"Source {c.n}: {c.title or c.doc_id}"


def _cited(answer: Answer, turn: int) -> str:
    by_n = {c.n: c for c in answer.citations}
    out, pos, seen = [], 0, {}
    for m in MARK.finditer(answer.answer):
        out.append(esc(answer.answer[pos:m.start()]))
        c = by_n.get(int(m.group(1)))
        if c is None:
            out.append(esc(m.group(0)))
        else:
            k = seen[c.n] = seen.get(c.n, 0) + 1
            ref, q = f"src-{turn}-{c.n}-ref{k if k > 1 else ''}", f"src-{turn}-{c.n}-q{k}"
            # The quote is a tooltip in the text, not in `title`: it shows on keyboard focus as well as hover.
            out.append(f'<a class="cite" href="#src-{turn}-{c.n}" id="{ref}" title="{esc(source_name(c))}">'
                       f'[{c.n}]</a><span class="quote" role="tooltip" id="{q}">{esc(c.quote)}</span>')
        pos = m.end()
    out.append(esc(answer.answer[pos:]))
    return "".join(out)


def pending_html(checked: int = 0, partial: Answer | None = None, turn: int = 0) -> str:
    """While a model writes: the sentences verified so far, then a status line. Never the draft itself:
    a drafted sentence reaches the page only after the citation checker has passed it."""
    status = "Checking sources…" + (f" {checked} sentence{'s' if checked != 1 else ''} checked" if checked else "")
    body = f'<p class="verified">{_cited(partial, turn)}</p>' if partial and not partial.refused else ""
    return (f'<div class="pending" id="turn-{turn}-draft">{body}'
            f'<p class="status">{status}</p></div>')


def refusal_html(answer: Answer, turn: int = 0) -> str:
    note = f'<p class="notice">{esc(answer.notice)}</p>' if answer.notice else ""
    return (f'<div class="refusal" id="turn-{turn}">'
            '<p class="refusal-head">Not in our coverage</p>'
            f'<p>{esc(answer.answer)}</p>{note}'
            '<p class="hint">Try one of the example questions below.</p></div>')


def notice_html(message: str, turn: int = 0) -> str:
    return f'<div class="refusal is-notice" id="turn-{turn}"><p>{esc(message)}</p></div>'


def user_html(question: str) -> str:
    return f'<div class="question">{esc(question)}</div>'


def sources_html(answer: Answer, turn: int, article_text: Callable[[str], str | None], question: str = "") -> str:
    """One answer's sources: per [n], the quote highlighted in its paragraph, title, date, a link to the
    passage, and a way back to the [n]. Each entry takes focus (tabindex=-1) when its [n] is followed."""
    if answer.refused or not answer.citations:
        return ""
    items = []
    for c in answer.citations:
        before, quote, after = in_context(article_text(c.doc_id), c)
        link = article_link(c)
        title = esc(c.title or c.doc_id)
        head = (f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer nofollow">{title}'
                '<span class="rag-sr-only"> (opens the article at the quote, in a new tab)</span></a>'
                if link else f'<span class="title">{title}</span>')
        date = f' <span class="date">· {esc(c.published)}</span>' if c.published else ""
        items.append(
            f'<li id="src-{turn}-{c.n}" class="source" tabindex="-1"><span class="n">[{c.n}]</span>'
            f'<blockquote>{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}</blockquote>'
            f'<p class="meta">{head}{date}</p>'
            f'<p class="back"><a class="back" href="#src-{turn}-{c.n}-ref">Back to the answer'
            f'<span class="rag-sr-only"> (source {c.n})</span></a></p></li>')
    asked = f'<h3 class="asked">{esc(question)}</h3>' if question else ""
    return f'<div class="sources">{asked}<ol>{"".join(items)}</ol></div>'


def sources_panel(groups: list[str]) -> str:
    """The Sources region: every kept answer's sources, newest first, so an earlier [n] still has its target."""
    body = "".join(g for g in groups if g) or ('<p class="empty">The passages behind each answer appear here, '
                                               'with a link to each article.</p>')
    # A <section> is a region landmark once named; chat.js names it after its heading (no aria-* survives here).
    return (f'<section class="sources-panel">'
            f'<h2 id="sources-head" class="sources-head">Sources</h2>{body}</section>')
