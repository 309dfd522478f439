"""RSS and Atom feeds (feedparser): which articles a feed announces, with the dates it gives them.

Also what a fetched document is: a feed, a sitemap or a page, from its first element,
whatever the server's content type claims.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from ..sanitize import safe_url


@dataclass(frozen=True)
class Entry:
    """An article a feed or sitemap announces; its dates stand in for the page's when the page has none."""

    url: str
    published: str = ""
    updated: str = ""
    title: str = ""

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}

    @classmethod
    def from_json(cls, d: dict) -> "Entry":
        return cls(**{k: str(d.get(k, "")) for k in ("url", "published", "updated", "title")})


_FIRST_ELEMENT = re.compile(rb"<\s*([A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)")
_SKIPPED = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S | re.I)


def kind_of(body: bytes, content_type: str) -> str:
    """ "feed", "sitemap" or "page": by the document's first element; the content type only when there is none."""
    head = _SKIPPED.sub(b"", body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n"))
    if body[:2] == b"\x1f\x8b":
        return "sitemap"  # a gzipped sitemap (sitemap.xml.gz); feeds and pages are not sent this way
    m = _FIRST_ELEMENT.search(head)
    name = m.group(2).decode("ascii").lower() if m else ""
    if name in ("urlset", "sitemapindex"):
        return "sitemap"
    if name in ("rss", "feed", "rdf", "channel"):
        return "feed"
    if name:
        return "page"
    return "feed" if "xml" in content_type else "page"


def feed_entries(body: bytes, url: str) -> list[Entry]:
    """The articles a feed lists, in its order (newest first, as feeds are written), with safe http(s) links.
    Raises ValueError for a document that is not a feed at all."""
    import feedparser

    # content-location: relative links resolve against the feed's own address
    parsed = feedparser.parse(body, response_headers={"content-location": url, "content-type": "application/xml"})
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ValueError(f"not an RSS or Atom feed{f' ({str(reason)[:120]})' if reason else ''}")
    out = []
    for e in parsed.entries:
        link = e.get("link") or ""
        if not link:  # Atom entries may give only an id, often the article's URL
            link = next((x.get("href", "") for x in e.get("links", []) if x.get("rel", "alternate") == "alternate"),
                        "") or e.get("id", "")
        link = safe_url(urljoin(url, link.strip())) if link.strip() else ""
        if link:
            # dict.get: feedparser's own get() would hand back the published date as the updated one
            out.append(Entry(link, _when(dict.get(e, "published_parsed")), _when(dict.get(e, "updated_parsed")),
                             " ".join((e.get("title") or "").split())[:300]))
    return out


def _when(parsed) -> str:
    """feedparser's UTC struct_time as ISO 8601."""
    if not parsed:
        return ""
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc).isoformat()
    except (OverflowError, ValueError, OSError):
        return ""
