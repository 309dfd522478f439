"""What `rag ingest URL...` does with the URLs: fetch each (a feed, a sitemap or sitemap index, or one
article: told apart by the document itself), follow feeds and sitemaps to their articles, and
return the articles, each once, under its canonical URL.

- An article reached through a copy (an AMP page, a link with tracking parameters, a redirect) is
  fetched again at its canonical URL and taken from there; the copy stands in only when the
  canonical page cannot be fetched and the copy is on the same site.
- Conditional requests: each URL's ETag/Last-Modified from the last run (`memory`, kept in the
  store) is sent back, so an unchanged page costs one 304 and nothing is extracted or embedded.
  Validators are only sent for pages whose article the store still holds (`known`).
- A bad page or feed item is skipped with its reason; a URL the user gave that cannot be used at
  all is `failed` (the command then exits non-zero).
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..config import FetchSettings
from ..sanitize import canonical_url
from ..types import Article, Skipped
from .extract import extract, parse
from .feeds import Entry, feed_entries, kind_of
from .fetch import HTML, XML, FetchError, Fetcher
from .robots import Robots

MAX_SITEMAP_DEPTH = 2  # an index of sitemaps of articles; deeper nesting is not followed


@dataclass
class Crawl:
    articles: list[Article] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # doc_ids a 304 showed unchanged
    skipped: list[Skipped] = field(default_factory=list)  # pages and items, with why
    failed: list[Skipped] = field(default_factory=list)  # URLs given that could not be used at all
    remember: list[dict] = field(default_factory=list)  # validators to store once the articles are written
    requests: int = 0
    not_modified: int = 0


@dataclass(frozen=True)
class _Job:
    url: str
    role: str  # "source" (given by the user), "sitemap" (from an index), "page", "canonical"
    hint: Entry | None = None
    depth: int = 0


@dataclass
class _Done:
    job: _Job
    url: str
    error: str = ""
    kind: str = ""  # feed | sitemap | page
    status: int = 0
    entries: list[Entry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    article: Article | None = None
    memo: dict = field(default_factory=dict)


def crawl(sources: list[str], settings: FetchSettings, memory: dict[str, dict], known: set[str]) -> Crawl:
    """Fetch `sources` and what they lead to. `memory`: url -> {"etag", "modified", "kind", "doc_id",
    "children"} from earlier runs; `known`: the doc_ids the store holds."""
    out = Crawl()
    with Fetcher(settings) as fetcher, ThreadPoolExecutor(settings.concurrency) as pool:
        robots = Robots(fetcher, memory)
        seen: set[str] = set()
        pending: set = set()
        final: dict[str, Article] = {}  # doc_id -> the article as its canonical URL serves it
        copies: dict[str, tuple[Article, str]] = {}  # doc_id -> (article, URL) from a copy
        unchanged: dict[str, None] = {}
        canonical_failed: set[str] = set()

        def submit(job: _Job) -> None:
            key = canonical_url(job.url) or job.url
            if key not in seen:
                seen.add(key)
                pending.add(pool.submit(_visit, job, fetcher, robots, memory, known))

        for s in sources:
            submit(_Job(s, "source"))
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                pending.discard(f)
                d = f.result()
                if d.error:
                    (out.failed if d.job.role == "source" else out.skipped).append(Skipped(d.job.url, d.error))
                    if d.job.role == "canonical":
                        canonical_failed.add(d.url)
                elif d.kind in ("feed", "sitemap"):
                    if d.status == 304:  # unchanged: what it listed last time
                        listed = d.memo.get("children") or {}
                        d.entries = [Entry.from_json(e) for e in listed.get("pages", [])]
                        d.children = [str(u) for u in listed.get("sitemaps", [])]
                    else:
                        out.remember.append({**d.memo, "children": {"pages": [e.to_json() for e in d.entries],
                                                                    "sitemaps": d.children}})
                    for child in d.children if d.job.depth < MAX_SITEMAP_DEPTH else ():
                        submit(_Job(child, "sitemap", depth=d.job.depth + 1))
                    for e in d.entries[:settings.max_pages]:
                        submit(_Job(e.url, "page", hint=e))
                elif d.status == 304:
                    unchanged[d.memo["doc_id"]] = None
                    if d.memo["doc_id"] != d.url:  # a copy did not change; its canonical page may have
                        submit(_Job(d.memo["doc_id"], "canonical"))
                else:
                    a = d.article
                    out.remember.append(d.memo)
                    if a.doc_id == d.url or d.job.role == "canonical":
                        final.setdefault(a.doc_id, a)
                    else:
                        copies.setdefault(a.doc_id, (a, d.url))
                        submit(_Job(a.doc_id, "canonical"))
        for doc_id, (a, url) in copies.items():
            if doc_id in final or doc_id in unchanged or doc_id not in canonical_failed:
                continue
            if _site(url) == _site(doc_id):
                final[doc_id] = a
            else:
                out.skipped.append(Skipped(url, f"a copy of {doc_id} on another site, which could not be fetched"))
        out.remember += robots.remember
        out.articles = list(final.values())
        out.unchanged = [d for d in unchanged if d not in final]
        out.requests, out.not_modified = fetcher.requests, fetcher.not_modified
    return out


def _visit(job: _Job, fetcher: Fetcher, robots: Robots, memory: dict, known: set[str]) -> _Done:
    """Fetch one URL and parse it (in a worker thread); every failure becomes `_Done.error`."""
    try:
        return _fetch_and_parse(job, fetcher, robots, memory, known)
    except Exception as e:  # noqa: BLE001 - a page nothing expected must not stop the run
        return _Done(job, job.url, error=f"could not be read ({type(e).__name__}: {str(e)[:120]})")


def _fetch_and_parse(job: _Job, fetcher: Fetcher, robots: Robots, memory: dict, known: set[str]) -> _Done:
    url = canonical_url(job.url)  # tracking parameters are not fetched either
    if not url:
        return _Done(job, job.url, error="not a plain http(s) URL")
    try:
        why = robots.check(url)
        if why:
            return _Done(job, url, error=why)
        mem = memory.get(url) or {}
        ask = bool(mem) and (mem.get("kind") != "page" or mem.get("doc_id") in known)
        accept = {"page": HTML, "canonical": HTML, "sitemap": XML}.get(job.role, HTML + XML)
        r = fetcher.get(url, accept, etag=mem.get("etag", "") if ask else "",
                        modified=mem.get("modified", "") if ask else "")
    except FetchError as e:
        return _Done(job, url, error=str(e))
    if r.status == 304:
        return _Done(job, url, kind=mem.get("kind", "page"), status=304, memo=mem)
    kind = kind_of(r.body, r.content_type) if job.role == "source" else "sitemap" if job.role == "sitemap" else "page"
    d = _Done(job, url, kind=kind, status=r.status,
              memo={"url": url, "etag": r.etag, "modified": r.last_modified, "kind": kind, "doc_id": ""})
    try:
        if kind == "feed":
            d.entries = feed_entries(r.body, r.final_url)
        elif kind == "sitemap":
            from .sitemaps import sitemap_entries

            d.entries, d.children = sitemap_entries(r.body, r.final_url, fetcher.settings.max_bytes)
        else:
            d.article = extract(parse(r.body), r.final_url, job.hint)
            d.memo["doc_id"] = d.article.doc_id
    except ValueError as e:
        return _Done(job, url, error=str(e))
    return d


def _site(url: str) -> str:
    """The registered domain of a URL (amp.news.example and www.news.example are one site)."""
    from courlan import get_hostinfo

    return get_hostinfo(url)[0] or urlsplit(url).hostname or ""
