"""HTML pages: the main text (article/main if marked) and news metadata (Open Graph, meta tags).

Scripts, page chrome and text hidden from readers (and so aimed at a model) are dropped.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from .draft import Draft, Unreadable, one_article, one_line

SUFFIXES = (".html", ".htm")

# Ways pages hide text from readers (and so hide instructions aimed at a model).
_HIDDEN_STYLE = re.compile(r"display:none|visibility:hidden|font-size:0(?![.\d]*[1-9])|opacity:0(?![.\d]*[1-9])"
                           r"|(left|top|text-indent):-\d{3,}")
_HIDDEN_CLASS = {"hidden", "d-none", "sr-only", "visually-hidden", "screen-reader-text", "invisible"}


def hidden(attrs: dict) -> bool:
    """Whether an element with these (lower-cased) attributes is hidden from readers."""
    return "hidden" in attrs or attrs.get("aria-hidden") == "true" or bool(
        _HIDDEN_STYLE.search((attrs.get("style") or "").replace(" ", "").lower())
        or _HIDDEN_CLASS & set((attrs.get("class") or "").lower().split()))


class _HTMLText(HTMLParser):
    """Collects the main text and news metadata of a page; drops scripts and chrome."""

    SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside",
            "form", "button", "svg", "iframe", "object", "select", "head"}
    BLOCK = {"p", "li", "blockquote", "figcaption", "pre", "td", "dd", "dt", "div", "section", "article", "main", "br", "tr"}
    HEAD = {"h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.blocks: list[tuple[str, str, int]] = []  # (kind, text, region) region 1=article/main
        self._skip = 0
        self._in_title = False
        self._region = 0
        self._buf: list[str] = []
        self._kind = "paragraph"
        self._hidden_stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, a["content"])
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.meta.setdefault("canonical", a["href"])
            return
        if tag == "time" and a.get("datetime"):
            self.meta.setdefault("time", a["datetime"])
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP or hidden(a):
            if tag not in {"br", "img", "input", "hr", "meta", "link"}:
                self._skip += 1
                self._hidden_stack.append(tag)
            return
        if tag in ("article", "main"):
            self._region += 1
        if tag in self.HEAD or tag in self.BLOCK:
            self._flush()
            self._kind = "heading" if tag in self.HEAD else "paragraph"
        if tag == "img" and a.get("alt") and not self._skip:
            self._buf.append(" " + a["alt"] + " ")

    def handle_endtag(self, tag):
        if self._hidden_stack and tag == self._hidden_stack[-1]:
            self._hidden_stack.pop()
            self._skip -= 1
            return
        if tag == "title":
            self._in_title = False
        if tag in self.HEAD or tag in self.BLOCK:
            self._flush()
        if tag in ("article", "main") and self._region:
            self._flush()
            self._region -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._buf.append(data)

    def _flush(self):
        text = one_line("".join(self._buf))
        if text:
            self.blocks.append((self._kind, text, 1 if self._region else 0))
        self._buf = []
        self._kind = "paragraph"


def load_html(text: str) -> Draft:
    p = _HTMLText()
    try:
        p.feed(text)
        p.close()
    except (AssertionError, RecursionError) as e:  # pragma: no cover - html.parser is forgiving
        raise Unreadable(f"HTML could not be parsed ({e})") from None
    p._flush()
    main = [b for b in p.blocks if b[2]] or p.blocks
    m = p.meta
    draft = Draft()
    draft.title = m.get("og:title") or m.get("twitter:title") or one_line(p.title)
    h1 = next((t for k, t, _ in main if k == "heading"), "")
    if h1 and (not draft.title or h1 in draft.title):
        draft.title = h1
    draft.dek = m.get("description") or m.get("og:description") or ""
    draft.meta = {
        "url": m.get("og:url") or m.get("canonical") or "",
        "published": m.get("article:published_time") or m.get("datepublished") or m.get("date") or m.get("time") or "",
        "updated": m.get("article:modified_time") or m.get("datemodified") or "",
        "byline": m.get("author") or m.get("article:author") or m.get("byl") or "",
        "source": m.get("og:site_name") or "",
    }
    skipped_title = False
    for kind, t, _ in main:
        if not skipped_title and t == draft.title:
            skipped_title = True  # already the article's first line
            continue
        draft.add(kind, t)
    if not draft.parts:
        raise Unreadable("no article text found in the HTML")
    return draft


load = one_article(load_html)
