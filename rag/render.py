"""HTML for the chat: answers with [n] links, the Sources panel, refusals.

Everything from outside (questions, corpus text, titles, URLs, answers) is
escaped here, so it reaches the page as text: no tag, event handler, link
scheme or image from the corpus or a reader survives. Only http(s) URLs
become links (`sanitize.safe_url`). Each fragment is a single line starting with a block tag, so the
page's markdown renderer passes it through untouched (CommonMark HTML block).
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
    """The answer text with each [n] a link to its source in the panel (quote on hover)."""
    if answer.refused:
        return refusal_html(answer)
    note = f'<p class="notice">{esc(answer.notice)}</p>' if answer.notice else ""
    lead = f'<strong class="lead">{esc(answer.lead)}</strong> ' if answer.lead else ""
    return f'<div class="answer">{lead}{_cited(answer, turn)}{note}</div>'


def _cited(answer: Answer, turn: int) -> str:
    by_n = {c.n: c for c in answer.citations}
    out, pos = [], 0
    for m in MARK.finditer(answer.answer):
        out.append(esc(answer.answer[pos:m.start()]))
        c = by_n.get(int(m.group(1)))
        if c is None:
            out.append(esc(m.group(0)))
        else:
            out.append(f'<a class="cite" href="#src-{turn}-{c.n}" title="{esc(c.quote)}">[{c.n}]</a>')
        pos = m.end()
    out.append(esc(answer.answer[pos:]))
    return "".join(out)


def pending_html(checked: int = 0, partial: Answer | None = None, turn: int = 0) -> str:
    """While a model writes: the sentences verified so far, then a status line. Never the draft itself:
    a drafted sentence reaches the page only after the citation checker has passed it."""
    status = "Checking sources…" + (f" {checked} sentence{'s' if checked != 1 else ''} checked" if checked else "")
    body = f'<p class="verified">{_cited(partial, turn)}</p>' if partial and not partial.refused else ""
    return f'<div class="pending">{body}<p class="status">{status}</p></div>'


def refusal_html(answer: Answer) -> str:
    note = f'<p class="notice">{esc(answer.notice)}</p>' if answer.notice else ""
    return ('<div class="refusal"><p class="refusal-head">Not in our coverage</p>'
            f'<p>{esc(answer.answer)}</p>{note}'
            '<p class="hint">Try one of the example questions below.</p></div>')


def notice_html(message: str) -> str:
    return f'<div class="refusal"><p>{esc(message)}</p></div>'


def user_html(question: str) -> str:
    return f'<div class="question">{esc(question)}</div>'


def sources_html(answer: Answer, turn: int, article_text: Callable[[str], str | None]) -> str:
    """The Sources panel for one answer: per [n], the quote highlighted in its paragraph, title, date, link."""
    if answer.refused or not answer.citations:
        return ""
    items = []
    for c in answer.citations:
        before, quote, after = in_context(article_text(c.doc_id), c)
        link = article_link(c)
        title = esc(c.title or c.doc_id)
        head = (f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer nofollow">{title}</a>'
                if link else f'<span class="title">{title}</span>')
        date = f' <span class="date">· {esc(c.published)}</span>' if c.published else ""
        items.append(
            f'<li id="src-{turn}-{c.n}" class="source"><span class="n">[{c.n}]</span>'
            f'<blockquote>{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}</blockquote>'
            f'<p class="meta">{head}{date}</p></li>')
    return f'<div class="sources"><p class="sources-head">Sources</p><ol>{"".join(items)}</ol></div>'
