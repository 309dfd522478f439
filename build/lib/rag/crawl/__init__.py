"""Articles from where news lives: RSS/Atom feeds, sitemaps (and Google News sitemaps), single pages.

    fetch.py     the network boundary: allowed addresses, redirects, size, time and content-type limits
    robots.py    robots.txt, once per site and run
    feeds.py     RSS/Atom entries (feedparser); what a fetched document is
    sitemaps.py  sitemaps and sitemap indexes, gzipped or not
    extract.py   a page -> Article (trafilatura, htmldate), identified by its canonical URL
    crawl.py     following sources to their articles, each once, with conditional requests

`rag ingest URL...` calls `crawl`; the articles then go through the same chunking, embedding and
store as files do.
"""
from .crawl import Crawl, crawl
from .fetch import USER_AGENT, FetchError, Fetcher

__all__ = ["Crawl", "crawl", "Fetcher", "FetchError", "USER_AGENT"]

