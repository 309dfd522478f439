"""A news page -> `Article`: trafilatura finds the main text (never navigation, related links, comments
or ads) and the metadata, htmldate the published and updated dates; the result is a `Draft` like
every loader's, so chunking, embedding and the store treat it as any other article.

Text hidden from readers is removed first, by the same rule as for HTML files (`loaders.html.hidden`):
it is where instructions aimed at a model hide.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from ..loaders.draft import Draft, finish, iso_date, one_line
from ..loaders.html import hidden
from ..sanitize import canonical_url
from ..types import Article
from .feeds import Entry


def declared_canonical(tree, url: str) -> str:
    """The page's own canonical URL (rel=canonical, else og:url), resolved against `url` and cleaned;
    "" when it declares none that is safe."""
    for href in tree.xpath('//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
                           ' | //meta[@property="og:url"]/@content'):
        found = canonical_url(urljoin(url, href.strip()))
        if found:
            return found
    return ""


def parse(body: bytes):
    """The page's lxml tree, or ValueError when it is not HTML at all."""
    import trafilatura

    tree = trafilatura.load_html(body)
    if tree is None:
        raise ValueError("not an HTML page")
    return tree


def extract(tree, url: str, hint: Entry | None = None) -> Article:
    """The article of a parsed page fetched from `url`; `hint`: what the feed or sitemap said about it,
    used for what the page does not say. Its id is its canonical URL (`declared_canonical`, else `url`).
    Raises ValueError when the page holds no article text."""
    import htmldate
    import trafilatura

    for el in [e for e in tree.iter() if isinstance(e.tag, str) and hidden({k.lower(): v for k, v in e.attrib.items()})]:
        if el.getparent() is not None:
            el.drop_tree()
    language = (tree.get("lang") or "").strip()
    canonical = declared_canonical(tree, url) or canonical_url(url)
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                      include_tables=True, include_images=False, include_links=False,
                                      favor_precision=True, deduplicate=False)
    if doc is None or doc.body is None:
        raise ValueError("no article text found on the page")
    # The page's markup first, then what the feed or sitemap said, then htmldate's guesses from the text and URL.
    fmt = "%Y-%m-%dT%H:%M:%S%z"
    published = _iso(htmldate.find_date(tree, original_date=True, extensive_search=False, outputformat=fmt)) or \
        (hint.published if hint else "") or \
        _iso(htmldate.find_date(tree, url=url, original_date=True, outputformat=fmt))
    updated = _iso(htmldate.find_date(tree, original_date=False, extensive_search=False, outputformat=fmt))
    if hint and not updated:
        updated = hint.updated
    if updated and published and updated[:19] <= published[:19]:
        updated = ""  # the page's only date, or an "update" older than the story
    draft = Draft(title=doc.title or (hint.title if hint else ""), dek=doc.description or "")
    draft.meta = {"url": canonical, "published": published, "updated": updated, "byline": doc.author or "",
                  "source": doc.sitename or "", "section": (doc.categories or [""])[0], "language": language}
    for kind, text in _blocks(doc.body):
        if not draft.parts and kind == "heading" and one_line(text) == one_line(draft.title):
            continue  # the headline: already the article's first line
        if len(draft.parts) < 3 and _is_byline(text, doc.author):
            continue
        draft.add(kind, text)
    if not draft.parts:
        raise ValueError("no article text found on the page")
    return finish(draft, canonical or url, "")


def _blocks(body):
    """(kind, text) of trafilatura's output elements in reading order: headings, paragraphs, list
    items, quotes, table rows (cells joined by " | ")."""
    for lb in body.iter("lb"):  # a line break inside a paragraph is a space, not glue between words
        lb.tail = " " + (lb.tail or "")
    for el in body:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "head":
            yield "heading", _text(el)
        elif tag == "list":
            for item in el.iter("item"):
                yield "paragraph", _text(item)
        elif tag == "table":
            for row in el.iter("row"):
                cells = [_text(c) for c in row.iter("cell")]
                yield "paragraph", " | ".join(c for c in cells if c)
        elif tag in ("p", "quote", "code", "div"):
            yield "paragraph", _text(el)


def _text(el) -> str:
    return one_line("".join(el.itertext()))


def _is_byline(text: str, author: str | None) -> bool:
    """A paragraph that only names the author ("By Mara Lind", "Mara Lind, Business reporter")."""
    if not author:
        return False
    names = [a.strip() for a in re.split(r";|,| and ", author) if a.strip()]
    rest = re.sub(r"^\s*(by|from)\s+", "", text, flags=re.I)
    for name in names:
        rest = rest.replace(name, "")
    return len(text) < 160 and len(re.findall(r"\w+", rest)) <= 4 and len(rest) < len(text)


def _iso(value: str | None) -> str:
    """htmldate's "2026-03-04T09:30:00+0000" as ISO 8601; midnight with no zone is how it gives a date
    it found without a time, which stays a date."""
    if not value:
        return ""
    if value.endswith("T00:00:00"):
        return value[:10]
    return iso_date(re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value))
