"""`rag ingest URL`: feeds, sitemaps and pages from a real HTTP server in this process (tests/fixtures/site/,
a small news site: pages with navigation, ads, related links and comments, an AMP copy, an RSS feed, a
sitemap index with a Google News sitemap, robots.txt), into a real store with the bundled model.
Nothing here touches the internet."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace

import httpx
import pytest

from conftest import ROOT, make_bot
from rag import Settings
from rag._testing import Site
from rag.crawl.feeds import kind_of
from rag.crawl.fetch import USER_AGENT, address_problem
from rag.crawl.sitemaps import sitemap_entries
from rag.ingest import ingest
from rag.loaders.draft import iso_date
from rag.store import Store

SITE = ROOT / "tests" / "fixtures" / "site"
STRIKE, BRIDGE = "/2026/03/port-strike-ends.html", "/2026/04/bridge-reopens.html"
COUNCIL, FERRY, DREDGING = "/2026/05/council-budget.html", "/2026/05/ferry-timetable.html", "/2025/11/harbour-dredging.html"
# page furniture around the stories: none of it may reach the store
FURNITURE = ["Skylark 9", "Advertisement", "Harbour Motors", "Related stories", "Union rejects 4 percent offer",
             "Comments", "About time!", "harbourwatcher", "Sign up for our free newsletter", "All rights reserved",
             "Search the Gazette", "More from Local", "Eight months for a bridge repair is a scandal",
             "Holm Brewery", "Most read", "Island Lodge", "Share"]


def _big(h):
    Site.send(h, 200, b"<html><body><p>" + b"filler text " * 200_000 + b"</p></body></html>", "text/html")


def _drip(h):  # headers at once, then a byte at a time: the time limit is for the whole page
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    try:
        for _ in range(40):
            h.wfile.write(b"<p>slow</p>")
            h.wfile.flush()
            time.sleep(0.25)
    except OSError:
        pass


def routes(site_ref: dict) -> dict:
    """Pages that are not files: what a hostile or broken feed item leads to."""
    def redirect_to_loopback(h):
        Site.send(h, 302, b"", None, {"Location": f"http://127.0.0.1:{site_ref['port']}{BRIDGE}?via=redirect"})

    def hostile_feed(h):
        items = [f"http://localhost:{site_ref['port']}{p}" for p in
                 ("/redirect-to-loopback", "/big.html", "/report.pdf", "/drip.html", "/missing.html", FERRY)]
        items += ["http://169.254.169.254/latest/meta-data/iam/security-credentials/", "javascript:alert(1)",
                  "ftp://localhost/x", "http://[::ffff:10.0.0.1]/admin"]
        xml = "".join(f"<item><title>Item {i}</title><link>{u.replace('&', '&amp;')}</link></item>"
                      for i, u in enumerate(items))
        Site.send(h, 200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>{xml}'
                          f"</channel></rss>".encode(), "application/rss+xml")

    return {"/redirect-to-loopback": redirect_to_loopback, "/hostile-feed.xml": hostile_feed, "/big.html": _big,
            "/drip.html": _drip, "/report.pdf": lambda h: Site.send(h, 200, b"%PDF-1.7 ...", "application/pdf")}


@pytest.fixture()
def site(tmp_path):
    """The fixture site, copied so a test may change it, served on a free port."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    ref: dict = {}
    with Site(root, routes(ref)) as s:
        ref["port"] = s.port
        yield s


def web_settings(**kw) -> Settings:
    return Settings(fetch_allow_private=kw.pop("allow", ("*",)), fetch_timeout=kw.pop("timeout", 5.0), **kw)


def run(store, embedder, urls, settings=None):
    return ingest([], store, embedder, urls=urls, fetch=(settings or web_settings()).fetch)


# ------------------------------------------------------------------------------ feeds, sitemaps, pages


def test_feed_sitemaps_and_an_amp_copy_become_each_article_once(site, tmp_path, embedder):
    store = Store.open(tmp_path / "store", create=True)
    report = run(store, embedder, [site.url("/feed.xml"), site.url("/sitemap-index.xml"),
                                   site.url("/amp/2026/03/port-strike-ends.html?utm_source=share")])
    # the feed links carry utm_* parameters, the news sitemap lists the pages bare, the AMP copy points to
    # its canonical page: one article each, named by its canonical URL
    assert sorted(report.added) == sorted(site.url(p) for p in (STRIKE, BRIDGE, COUNCIL, FERRY, DREDGING))
    assert not report.failed and report.chunks_embedded > 0
    assert [(s.path, s.reason) for s in report.skipped] == [
        (site.url("/private/embargoed-story.html"), "disallowed by robots.txt")]
    asked = [r["path"] for r in site.log]
    assert not any(p.startswith("/private/") for p in asked)  # robots.txt is honoured, not just reported
    assert not any("utm_" in p for p in asked)  # tracking parameters are not even fetched
    assert {r["agent"] for r in site.log} == {USER_AGENT}

    a = store.article(site.url(STRIKE))
    assert a.title == "Varno port strike ends after 41 days"
    assert a.dek.startswith("Dockworkers vote to accept a 6 percent raise")
    assert a.url == site.url(STRIKE) and a.path == ""
    assert (a.published, a.updated) == ("2026-03-04T09:30:00+00:00", "2026-03-05T16:10:00+00:00")
    assert a.correction == ("Correction: An earlier version of this article misstated the length of the strike. "
                            "It lasted 41 days, not 40.")
    assert a.text.endswith(a.correction)  # kept in the text too: it can be quoted
    paragraphs = a.text.split("\n\n")
    assert "What the strike cost" in paragraphs and len(paragraphs) == 9
    assert paragraphs[2].startswith("VARNO — Dockworkers at the Port of Varno voted on Tuesday")
    for junk in FURNITURE + ["By Mara Lind"]:
        assert all(junk not in store.article(site.url(p)).text for p in (STRIKE, BRIDGE, COUNCIL, FERRY)), junk

    assert (a.byline, a.section, a.language) == ("Mara Lind", "Business", "en-GB")
    # a page without dates takes the Google News sitemap's publication date; a plain sitemap's page its own
    assert store.article(site.url(FERRY)).published == "2026-05-02T10:00:00+00:00"
    assert store.article(site.url(DREDGING)).published == "2025-11-03T08:00:00+00:00"
    assert store.article(site.url(BRIDGE)).updated == ""  # the page's only date is its publication


def test_an_unchanged_site_costs_one_conditional_request_per_url_and_embeds_nothing(site, tmp_path, embedder):
    store = Store.open(tmp_path / "store", create=True)
    sources = [site.url("/feed.xml"), site.url("/sitemap-index.xml")]
    first = run(store, embedder, sources)
    before = len(site.log)
    again = run(store, embedder, sources)
    assert sorted(again.unchanged) == sorted(first.added) and not again.added and not again.updated
    assert again.chunks_embedded == 0 and again.sentences_embedded == 0
    second = site.log[before:]
    assert {r["status"] for r in second} == {304} and all(r["etag_sent"] for r in second)
    # robots.txt, the feed, the index, both sitemaps, five pages: each once
    assert len(second) == len({r["path"] for r in second}) == 10 == again.not_modified == again.requests


def test_an_updated_feed_item_replaces_its_chunks_and_its_citations_show_the_correction(site, tmp_path, embedder):
    store = Store.open(tmp_path / "store", create=True)
    run(store, embedder, [site.url("/feed.xml")])
    page = site.root / BRIDGE.lstrip("/")
    html = page.read_text()
    html = html.replace("The repair cost 6.8 million euros", "The repair cost 7.1 million euros")
    html = html.replace("2.3 million euros more", "2.6 million euros more")
    html = html.replace('<meta property="article:published_time" content="2026-04-14T07:00:00+00:00">',
                        '<meta property="article:published_time" content="2026-04-14T07:00:00+00:00">\n'
                        '<meta property="article:modified_time" content="2026-04-15T11:20:00+00:00">')
    html = html.replace("<p>The bridge will open for shipping",
                        "<p>Correction, April 15: An earlier version of this story gave the cost of the repair as "
                        "6.8 million euros. The council's final figure is 7.1 million euros.</p>\n<p>The bridge will "
                        "open for shipping")
    page.write_text(html)
    feed = site.root / "feed.xml"
    feed.write_text(feed.read_text().replace("<pubDate>Tue, 14 Apr 2026 07:00:00 GMT</pubDate>",
                                             "<pubDate>Tue, 14 Apr 2026 07:00:00 GMT</pubDate>"
                                             "<atom:updated>2026-04-15T11:20:00Z</atom:updated>"))
    report = run(store, embedder, [site.url("/feed.xml")])
    assert report.updated == [site.url(BRIDGE)] and len(report.unchanged) == 2

    texts = [c.text for _, c in store.current_chunks() if c.doc_id == site.url(BRIDGE)]
    assert any("The repair cost 7.1 million euros" in t for t in texts)
    assert not any("The repair cost 6.8 million euros" in t for t in texts)
    assert store.count()["chunks"] == len(store.current_chunks())  # the old version's chunks are gone
    a = store.article(site.url(BRIDGE))
    assert a.updated == "2026-04-15T11:20:00+00:00" and a.correction.startswith("Correction, April 15: An earlier")

    bot = make_bot(store, embedder, Settings(store_dir=tmp_path / "store"))
    ans = bot.ask("How much did the Calder swing bridge repair cost?")
    assert not ans.refused, ans.trace.notes
    cite = next(c for c in ans.to_dict()["citations"] if c["doc_id"] == site.url(BRIDGE))
    assert cite["url"] == site.url(BRIDGE)
    assert (cite["published"], cite["updated"]) == ("2026-04-14T07:00:00+00:00", "2026-04-15T11:20:00+00:00")
    assert cite["correction"] == a.correction


# ------------------------------------------------------------------------------ the network boundary


def test_hostile_and_broken_items_are_skipped_with_a_reason_and_the_run_goes_on(site, tmp_path, embedder):
    store = Store.open(tmp_path / "store", create=True)
    # the site is reached as localhost, the one host allowed private addresses: 127.0.0.1 is not
    settings = web_settings(allow=("localhost",), fetch_max_mb=1.0, timeout=2.0)
    report = run(store, embedder, [f"http://localhost:{site.port}/hostile-feed.xml"], settings)
    local = f"http://localhost:{site.port}"
    assert report.added == [local + FERRY] and not report.failed
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons[local + "/redirect-to-loopback"] == (
        "127.0.0.1 is a loopback address (set RAG_FETCH_ALLOW_PRIVATE=1, or to the host's name, to fetch from it)")
    assert reasons["http://169.254.169.254/latest/meta-data/iam/security-credentials/"] == \
        "169.254.169.254 is a link-local address (cloud metadata services live there)"
    assert "is a private address" in reasons["http://[::ffff:10.0.0.1]/admin"]
    assert reasons[local + "/big.html"] == "too large (2.4 MB > 1 MB limit, RAG_FETCH_MAX_MB)"
    assert reasons[local + "/report.pdf"] == "content type application/pdf, not an HTML page"
    assert reasons[local + "/drip.html"] == "not complete within 2 s (RAG_FETCH_TIMEOUT)"
    assert reasons[local + "/missing.html"] == "HTTP 404"
    assert len(reasons) == 7  # javascript: and ftp: links are not taken from the feed at all
    assert not any("via=redirect" in r["path"] for r in site.log)  # the redirect was never followed

    # the same redirect with every private address allowed is followed: the refusal above was the rule's
    fine = run(store, embedder, [local + "/redirect-to-loopback"], web_settings(allow=("*",)))
    assert fine.added == [site.url(BRIDGE)]
    assert any("via=redirect" in r["path"] for r in site.log)


def test_a_source_that_cannot_be_used_fails_the_run(site, tmp_path, embedder):
    store = Store.open(tmp_path / "store", create=True)
    report = run(store, embedder, [site.url("/feed.xml"), site.url("/nothing.xml"), site.url("/report.pdf")],
                 web_settings(allow=()))
    loopback = "127.0.0.1 is a loopback address (set RAG_FETCH_ALLOW_PRIVATE=1, or to the host's name, to fetch from it)"
    assert sorted((f.path, f.reason) for f in report.failed) == sorted(
        (site.url(p), loopback) for p in ("/feed.xml", "/nothing.xml", "/report.pdf"))
    assert not site.log  # nothing was asked of a refused address, not even robots.txt
    report = run(store, embedder, [site.url("/feed.xml"), site.url("/nothing.xml"), site.url("/report.pdf")])
    assert len(report.added) == 3
    assert {(f.path, f.reason) for f in report.failed} == {
        (site.url("/nothing.xml"), "HTTP 404"),
        (site.url("/report.pdf"), "content type application/pdf, not an HTML page, a feed or a sitemap")}


def test_robots_txt_that_cannot_be_read_allows_nothing(site, tmp_path, embedder):
    site.routes["/robots.txt"] = lambda h: Site.send(h, 503, b"busy", "text/plain")
    report = run(Store.open(tmp_path / "store", create=True), embedder, [site.url("/feed.xml")])
    assert [f.reason for f in report.failed] == ["robots.txt could not be read"]
    assert [r["path"] for r in site.log] == ["/robots.txt"]


# ------------------------------------------------------------------------------ the command line


def rag(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "rag", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.mark.slow
def test_cli_missing_path_and_refused_url_are_errors_with_one_line(site, tmp_path):
    r = rag("ingest", tmp_path / "corpus-typo", "--store", tmp_path / "store")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (f"error: {tmp_path / 'corpus-typo'} does not exist: give files or folders of articles, "
                        f"or http(s) URLs of feeds, sitemaps or pages\n")
    assert not (tmp_path / "store").exists()
    r = rag("ingest", site.url("/feed.xml"), "--store", tmp_path / "store")
    assert r.returncode == 1 and "0 added" in r.stdout
    assert r.stderr.splitlines() == [f"error: cannot ingest {site.url('/feed.xml')}: 127.0.0.1 is a loopback address "
                                     f"(set RAG_FETCH_ALLOW_PRIVATE=1, or to the host's name, to fetch from it)"]


@pytest.mark.slow
def test_cli_watch_polls_then_ask_json_carries_dates_and_canonical_urls(site, tmp_path):
    store = tmp_path / "store"
    env = {**os.environ, "RAG_FETCH_ALLOW_PRIVATE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "rag", "ingest", "--watch", site.url("/feed.xml"),
                             "--interval", "0.5", "--store", str(store)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(30)
    assert "3 added, 0 updated, 0 unchanged, 0 removed, 0 skipped;" in lines[0], (lines, proc.stderr.read())
    assert "0 added, 0 updated, 3 unchanged, 0 removed, 0 skipped; 0 chunks embedded" in lines[1]
    r = rag("ask", "What raise did the Varno dockworkers accept?", "--json", "--store", store)
    assert r.returncode == 0, r.stderr
    cites = json.loads(r.stdout)["citations"]
    assert cites and all(c["url"] == site.url(STRIKE) for c in cites), cites
    assert {(c["published"], c["updated"]) for c in cites} == {("2026-03-04T09:30:00+00:00",
                                                              "2026-03-05T16:10:00+00:00")}
    assert all(c["correction"].startswith("Correction: An earlier version") for c in cites)


@pytest.mark.slow
def test_api_citations_carry_dates_and_canonical_urls(site, tmp_path, embedder):
    import threading

    import uvicorn

    from rag._testing import free_port
    from rag.server import create_app

    store = Store.open(tmp_path / "store", create=True)
    run(store, embedder, [site.url("/feed.xml")])
    bot = make_bot(store, embedder, Settings(store_dir=tmp_path / "store"))
    app = create_app(replace(bot.settings, feedback_path=tmp_path / "fb.sqlite3"), explainer=bot)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        body = httpx.post(f"http://127.0.0.1:{port}/api/ask", timeout=60,
                          json={"question": "How much will the cruise passenger levy raise each year?"}).json()
    finally:
        server.should_exit = True
        thread.join(15)
    assert not body["refused"], body
    cite = body["citations"][0]
    assert (cite["url"], cite["published"], cite["updated"], cite["correction"]) == (
        site.url(COUNCIL), "2026-05-21T18:45:00+00:00", "", "")


# ------------------------------------------------------------------------------ pure rules


@pytest.mark.parametrize("ip, host, allow, problem", [
    ("93.184.216.34", "news.example", (), ""),
    ("2606:4700::1111", "news.example", (), ""),
    ("127.0.0.1", "localhost", (), "localhost resolves to 127.0.0.1, which is a loopback address"),
    ("10.1.2.3", "cms.intranet", (), "cms.intranet resolves to 10.1.2.3, which is a private address"),
    ("10.1.2.3", "cms.intranet", ("cms.intranet",), ""),
    ("10.1.2.3", "other.intranet", ("cms.intranet",), "private address"),
    ("100.64.0.1", "cgnat.example", (), "non-public address"),
    ("::ffff:192.168.1.1", "mapped.example", (), "private address"),
    ("0.0.0.0", "zero.example", (), "unspecified address"),
    ("224.0.0.1", "multicast.example", (), "non-public address"),
    ("169.254.169.254", "metadata.google.internal", ("*",), "link-local address"),
    ("fe80::1%eth0", "fe80::1", ("*",), "link-local address"),
    ("192.168.0.10", "anything", ("*",), ""),
])
def test_address_rules(ip, host, allow, problem):
    got = address_problem(ip, host, allow)
    assert (problem in got and got) if problem else got == ""


def test_what_a_document_is_comes_from_its_first_element():
    assert kind_of((SITE / "feed.xml").read_bytes(), "text/html") == "feed"
    assert kind_of((SITE / "sitemap-index.xml").read_bytes(), "text/html") == "sitemap"
    assert kind_of(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><feed xmlns="http://www.w3.org/2005/Atom">',
                   "") == "feed"
    assert kind_of((SITE / STRIKE.lstrip("/")).read_bytes(), "application/xml") == "page"
    assert kind_of(gzip.compress(b"<urlset/>"), "application/gzip") == "sitemap"


def test_gzipped_sitemaps_are_read_and_a_gzip_bomb_is_refused():
    xml = (SITE / "sitemap-2025.xml").read_bytes()
    pages, children = sitemap_entries(gzip.compress(xml), "https://news.example/sitemap.xml.gz", 1_000_000)
    assert [p.url for p in pages] == ["https://news.example/2025/11/harbour-dredging.html"] and not children
    bomb = gzip.compress(b"<urlset>" + b" " * 50_000_000 + b"</urlset>")
    assert len(bomb) < 100_000
    with pytest.raises(ValueError, match="larger than 1 MB once decompressed"):
        sitemap_entries(bomb, "https://news.example/s.xml.gz", 1_000_000)
    with pytest.raises(ValueError, match="not a sitemap"):
        sitemap_entries(b"<html><body>hi</body></html>", "https://news.example/s.xml", 1_000_000)
    entity = b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]><urlset><url><loc>&x;</loc></url></urlset>'
    assert sitemap_entries(entity, "https://news.example/s.xml", 1_000_000) == ([], [])


@pytest.mark.parametrize("raw, iso", [
    ("2026-03-04", "2026-03-04"), ("2026-03-04T09:30:00Z", "2026-03-04T09:30:00+00:00"),
    ("Wed, 04 Mar 2026 09:30:00 GMT", "2026-03-04T09:30:00+00:00"), ("March 4, 2026", "2026-03-04"),
    ("4 March 2026 09:30", "2026-03-04T09:30:00"), ("Tuesday", "Tuesday"), ("", ""),
])
def test_dates_become_iso_8601(raw, iso):
    assert iso_date(raw) == iso


def test_a_correction_note_in_any_format_is_recorded(tmp_path):
    from rag.loaders import load_corpus

    (tmp_path / "a.md").write_text("---\ntitle: Budget vote\npublished: 2026-05-21\n---\nThe council voted.\n\n"
                                   "*Clarification: An earlier version of this article said the vote was "
                                   "unanimous.*\n\nIt was not the first vote on the levy.\n")
    (tmp_path / "b.md").write_text("---\ntitle: Other\n---\nA story about corrections officers.\n")
    arts = {a.doc_id: a for a in load_corpus([tmp_path]).articles}
    assert arts["a.md"].correction == ("Clarification: An earlier version of this article said the vote was "
                                       "unanimous.")
    assert arts["b.md"].correction == ""
    assert arts["a.md"].content_hash() != replace(arts["a.md"], correction="").content_hash()
