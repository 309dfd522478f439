"""The common part of every format: a `Draft` of an article, and its one way to an `Article`.

A format module only fills a Draft (title, dek, metadata, blocks in reading order);
`finish` lays it out as one text with offsets, the FAQ as Q/A pairs, and cleans what
every format must clean (invisible characters, unsafe URLs).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..sanitize import canonical_url, strip_invisible
from ..types import Article, Block, QAPair, Skipped

# A note that the article was corrected: kept in the text, and recorded on the article for its citations.
_CORRECTION = re.compile(r"^\W{0,3}(corrections?|clarifications?)\b\s*[:.\u2014\u2013-]|\ban earlier version of this "
                         r"(article|story|report|piece)\b", re.I)
_FAQ_HEADING = re.compile(r"^\s*(frequently asked questions|faqs?|questions and answers|q\s*&\s*a)\s*:?\s*$", re.I)

# A format's loader: (file text, path relative to the corpus root, resolved path) -> articles, records skipped.
Loader = Callable[[str, str, str], "tuple[list[Article], list[Skipped]]"]


class Unreadable(Exception):
    """Raised inside a loader; becomes a Skipped reason."""


@dataclass
class Draft:
    """An article being assembled: blocks of (kind, text) in reading order."""

    title: str = ""
    dek: str = ""
    meta: dict = field(default_factory=dict)
    parts: list[tuple[str, str]] = field(default_factory=list)  # (kind, text): heading|paragraph|question

    def add(self, kind: str, text: str) -> None:
        text = text.strip()
        if text:
            self.parts.append((kind, text))


def one_article(parse: Callable[[str], Draft]) -> Loader:
    """The loader of a format that holds one article per file; the article is named by its URL,
    else by its path in the corpus."""

    def load(text: str, rel: str, path: str) -> tuple[list[Article], list[Skipped]]:
        draft = parse(text)
        if not draft.parts and not draft.title:
            raise Unreadable("no article text found")
        return [finish(draft, rel, path)], []

    return load


def finish(draft: Draft, fallback_id: str, path: str) -> Article:
    """The article of a draft: its doc_id is its canonical URL if that is safe to link, else `fallback_id`."""
    draft.meta["url"] = canonical_url(draft.meta.get("url", ""))
    return _build(draft, draft.meta["url"] or fallback_id, path)


def _build(draft: Draft, doc_id: str, path: str) -> Article:
    """Lay title, dek and blocks out as one text and record every offset."""
    # Escapes in JSON, YAML and HTML (\\u202e, &#x202e;) decode after the file-level cleaning: clean again.
    draft.parts = [(kind, t.strip()) for kind, t in ((k, strip_invisible(x)) for k, x in draft.parts) if t.strip()]
    title = one_line(strip_invisible(draft.title)) or Path(path).stem.replace("-", " ").replace("_", " ").strip() or doc_id
    pieces: list[str] = []
    blocks: list[Block] = []
    faq: list[QAPair] = []
    pos = 0

    def emit(text: str, section: str, kind: str) -> int:
        nonlocal pos
        if pieces:
            pieces.append("\n\n")
            pos += 2
        start = pos
        pieces.append(text)
        pos += len(text)
        blocks.append(Block(start, pos, section, kind))
        return start

    emit(title, "title", "title")
    dek = one_line(strip_invisible(draft.dek))
    if dek:
        emit(dek, "dek", "dek")
    section, in_faq = "lead", False
    question: tuple[str, int] | None = None
    answer: list[tuple[str, int]] = []

    def close_pair() -> None:
        nonlocal question, answer
        if question and answer:
            faq.append(QAPair(question[0], " ".join(a for a, _ in answer), question[1], answer[0][1]))
        question, answer = None, []

    for kind, text in draft.parts:
        if kind == "heading" and not (in_faq and text.rstrip().endswith("?")):
            close_pair()
            in_faq = bool(_FAQ_HEADING.match(text))
            section = "faq" if in_faq else one_line(text)[:120]
            emit(text, section, "heading")
        elif in_faq and text.rstrip().endswith("?") and len(text) < 400:
            close_pair()
            question = (text, emit(text, "faq", "faq"))
        elif in_faq:
            start = emit(text, "faq", "faq")
            if question:
                answer.append((text, start))
        else:
            emit(text, section, "paragraph")
    close_pair()
    m = {k: strip_invisible(v) for k, v in draft.meta.items()}
    correction = one_line(m.get("correction", "")) or " ".join(
        one_line(t) for k, t in draft.parts if k == "paragraph" and _CORRECTION.search(t))
    return Article(
        doc_id=doc_id,
        title=title,
        text="".join(pieces),
        blocks=tuple(blocks),
        url=m.get("url", ""),
        published=iso_date(m.get("published", "")),
        updated=iso_date(m.get("updated", "")),
        byline=m.get("byline", ""),
        source=m.get("source", ""),
        dek=dek,
        path=path,
        faq=tuple(faq),
        section=one_line(m.get("section", ""))[:120],
        language=one_line(m.get("language", ""))[:20],
        correction=correction[:600],
    )


def iso_date(value: str) -> str:
    """A date or date-time as ISO 8601 ("2026-03-04", "2026-03-04T09:30:00+00:00"), whatever form it came in
    (RFC 822 from feeds, "March 4, 2026" from front matter); text that holds no year is kept as it is."""
    value = one_line(value)
    if not value or not re.search(r"\b\d{4}\b", value):
        return value
    import datetime as dt

    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime

            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            try:
                from dateutil import parser

                parsed = parser.parse(value, default=dt.datetime(1, 1, 1))
            except (ValueError, OverflowError):
                return value
    if parsed.year == 1:  # dateutil found no year after all
        return value
    if ":" not in value:  # no time of day was given: do not invent midnight
        return parsed.date().isoformat()
    return parsed.isoformat()


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


# --------------------------------------------------------------------------- metadata fields

def meta_str(value, depth: int = 0) -> str:
    """Flatten a metadata value (str, number, list, dict, None) into one line of at most 500 characters.

    Bounded in depth and items: YAML aliases can nest a list a billion items wide in a few lines.
    """
    if value is None or depth > 4:
        return ""
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for v in value[:20]:
            s = meta_str(v, depth + 1)
            if s:
                out.append(s)
            if sum(len(x) + 2 for x in out) >= 500:
                break
        return ", ".join(out)[:500]
    if isinstance(value, dict):
        for key in ("name", "title", "text", "value", "url", "href"):
            if key in value:
                return meta_str(value[key], depth + 1)
        return ""
    if not isinstance(value, (str, int, float, bool)) and not hasattr(value, "isoformat"):
        return ""  # sets, bytes and other YAML oddities carry no headline or date
    return one_line(str(value)[:2000])[:500]


# The names front matter and JSON records use for each field, first match wins.
META_KEYS = {
    "url": ("url", "link", "canonical_url", "canonical", "permalink", "href"),
    "published": ("published", "published_at", "publish_date", "date", "pubdate", "datePublished", "first_published"),
    "updated": ("updated", "updated_at", "modified", "dateModified", "last_modified"),
    "byline": ("byline", "author", "authors", "by", "creator"),
    "source": ("source", "publisher", "publication", "outlet", "site_name"),
    "section": ("section", "category", "desk"),
    "language": ("language", "lang", "inLanguage"),
    "correction": ("correction", "corrections"),
}
DEK_KEYS = ("dek", "summary", "description", "subtitle", "subhead", "standfirst", "excerpt", "abstract")


def pick(obj: dict, keys) -> str:
    for k in keys:
        if k in obj and meta_str(obj[k]):
            return meta_str(obj[k])
    return ""


def meta_from(obj: dict) -> dict:
    return {name: pick(obj, keys) for name, keys in META_KEYS.items()}
