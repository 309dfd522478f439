"""Sitemaps (sitemaps.org) and sitemap indexes, gzipped or not, and Google News sitemaps with their
`<news:publication_date>` and `<news:title>`.

Parsed with lxml with entities, DTDs and the network off: a sitemap is outside input.
"""
from __future__ import annotations

import zlib
from urllib.parse import urljoin

from ..loaders.draft import iso_date
from ..sanitize import safe_url
from .feeds import Entry


def sitemap_entries(body: bytes, url: str, max_bytes: int) -> tuple[list[Entry], list[str]]:
    """(articles, child sitemaps) of a sitemap or sitemap index, articles newest first.
    Raises ValueError for a document that is not a sitemap."""
    from lxml import etree

    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, max_bytes)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as e:
        raise ValueError(f"not valid XML ({str(e)[:120]})") from None
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap (its root element is <{kind}>)")
    pages: list[Entry] = []
    children: list[str] = []
    for item in root:
        if not isinstance(item.tag, str):
            continue  # comments, processing instructions
        fields = _fields(item)
        loc = safe_url(urljoin(url, fields["loc"])) if fields.get("loc") else ""
        if not loc:
            continue
        if etree.QName(item).localname == "sitemap":
            children.append(loc)
        elif etree.QName(item).localname == "url":
            pages.append(Entry(loc, iso_date(fields.get("publication_date", "")), iso_date(fields.get("lastmod", "")),
                               fields.get("title", "")[:300]))
    pages.sort(key=lambda e: e.published or e.updated, reverse=True)  # stable: undated ones keep their order
    return pages, children


def _fields(item) -> dict[str, str]:
    """The text of an entry's elements by local name: its own children first (<loc>, <lastmod>), then
    nested ones (<news:news><news:publication_date>, <news:title>), so an <image:loc> never wins."""
    out: dict[str, str] = {}
    for el in [*item, *item.iter()]:
        if el is item or not isinstance(el.tag, str):
            continue
        text = " ".join((el.text or "").split())
        if text:
            out.setdefault(el.tag.rsplit("}", 1)[-1], text)
    return out


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """Decompress within the size limit: a few KB of gzip can expand to gigabytes."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(body, max_bytes + 1)
    except zlib.error as e:
        raise ValueError(f"not valid gzip ({e})") from None
    if len(out) > max_bytes or d.unconsumed_tail:
        raise ValueError(f"larger than {max_bytes / 1e6:g} MB once decompressed (RAG_FETCH_MAX_MB)")
    return out
