"""`rag ingest FEED` of a 200-item RSS feed served on 127.0.0.1, twice: the whole run, then an unchanged
run, which must make only conditional requests (every answer a 304) and embed nothing.

The pages are the SYNTHETIC articles of benchmarks/synthetic.py laid out as news pages (navigation,
ads, related links, comments around the story), served by rag._testing.Site with ETag and
Last-Modified. The model is loaded before the clock starts; both runs use one fresh store.

    python benchmarks/feed_ingest.py [--items 200] [--concurrency 4] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import html
import json
import sys
import tempfile
import time
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import rag  # noqa: E402,F401  (offline switches first)
import synthetic  # noqa: E402
from rag._testing import Site  # noqa: E402

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Synthetic Gazette</title>
<link rel="canonical" href="/bench/{i:06d}.html"><meta name="description" content="{dek}">
<meta name="author" content="Synthetic Desk"><meta property="article:published_time" content="{published}">
</head><body><header><a href="/">Synthetic Gazette</a><nav><ul><li><a href="/">Home</a></li><li><a href="/business/">
Business</a></li><li><a href="/sport/">Sport</a></li></ul></nav></header>
<div class="ad-slot"><span>Advertisement</span><p>Try the new Skylark phone today.</p></div>
<main><article><h1>{title}</h1><p class="byline">By Synthetic Desk</p>{body}</article>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/bench/{prev:06d}.html">An earlier story</a></li></ul></aside>
<section class="comments"><h2>Comments</h2><div class="comment"><p>First! Great reporting as usual.</p></div></section>
</main><footer><p>(c) Synthetic Gazette. {label}</p></footer></body></html>"""


def build_site(folder: Path, n: int) -> None:
    """n synthetic articles as pages under /bench/, /feed.xml listing them newest first, a robots.txt."""
    (folder / "bench").mkdir(parents=True)
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /search\n", encoding="utf-8")
    items = []
    for i in range(n):
        text, _ = synthetic.article(i)
        front, body = text.split("\n---\n", 1)
        meta = dict(line.split(": ", 1) for line in front.splitlines() if ": " in line and not line.startswith("#"))
        title, dek = json.loads(meta["title"]), json.loads(meta["dek"])
        published = datetime.fromisoformat(meta["published"]).replace(hour=9, tzinfo=timezone.utc)
        blocks = "".join(f"<h2>{html.escape(b[3:])}</h2>" if b.startswith("## ") else f"<p>{html.escape(b)}</p>"
                         for b in body.strip().split("\n\n"))
        (folder / "bench" / f"{i:06d}.html").write_text(PAGE.format(
            i=i, prev=max(i - 1, 0), title=html.escape(title), dek=html.escape(dek), body=blocks,
            published=published.isoformat(), label=synthetic.LABEL), encoding="utf-8")
        items.append((published, f"<item><title>{html.escape(title)}</title><link>/bench/{i:06d}.html?utm_source=rss"
                                 f"</link><pubDate>{format_datetime(published)}</pubDate></item>"))
    items.sort(key=lambda x: x[0], reverse=True)
    (folder / "feed.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Synthetic Gazette'
                                     '</title>' + "".join(x for _, x in items) + "</channel></rss>", encoding="utf-8")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--items", type=int, default=200, help="articles in the feed (default: 200)")
    p.add_argument("--concurrency", type=int, default=4, help="RAG_FETCH_CONCURRENCY for the runs (default: 4)")
    p.add_argument("--json", help="also write the numbers to this file")
    args = p.parse_args(argv)

    from rag import Settings
    from rag.crawl import crawl
    from rag.embedding import Embedder
    from rag.ingest import ingest
    from rag.store import Store

    settings = Settings(fetch_allow_private=("127.0.0.1",), fetch_concurrency=args.concurrency,
                        fetch_max_pages=max(args.items, 1))
    t = time.perf_counter()
    embedder = Embedder.from_settings(settings)
    load_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory(prefix="feed-bench-") as tmp:
        build_site(Path(tmp) / "site", args.items)
        store = Store.open(Path(tmp) / "store", create=True)
        with Site(Path(tmp) / "site") as site:
            # fetching and extraction alone (no store, no model), to split the first run's time
            t = time.perf_counter()
            alone = crawl([site.url("/feed.xml")], settings.fetch, {}, set())
            crawl_s = time.perf_counter() - t
            assert len(alone.articles) == args.items, (len(alone.articles), alone.skipped[:3])
            site.log.clear()
            runs = []
            for name in ("first", "unchanged"):
                before = len(site.log)
                t = time.perf_counter()
                report = ingest([], store, embedder, urls=[site.url("/feed.xml")], fetch=settings.fetch)
                wall = time.perf_counter() - t
                asked = site.log[before:]
                runs.append({"run": name, "seconds": round(wall, 2), "added": len(report.added),
                             "updated": len(report.updated), "unchanged": len(report.unchanged),
                             "skipped": len(report.skipped), "requests": len(asked),
                             "conditional": sum(bool(r["etag_sent"] or r["since_sent"]) for r in asked),
                             "not_modified": sum(r["status"] == 304 for r in asked),
                             "chunks_embedded": report.chunks_embedded,
                             "sentences_embedded": report.sentences_embedded})
    out = {"items": args.items, "concurrency": args.concurrency, "model_load_s": round(load_s, 2),
           "fetch_extract_only_s": round(crawl_s, 2), "runs": runs}
    print(f"model loaded in {load_s:.1f}s (not counted); fetching and extracting the {args.items} pages alone: "
          f"{crawl_s:.1f}s")
    for r in runs:
        print(f"{r['run']:>9}: {r['seconds']:6.1f}s  {r['added']} added, {r['updated']} updated, {r['unchanged']} "
              f"unchanged, {r['skipped']} skipped; {r['requests']} requests ({r['conditional']} conditional, "
              f"{r['not_modified']} answered 304); {r['chunks_embedded']} chunks embedded")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    ok = runs[1]["chunks_embedded"] == 0 and runs[1]["requests"] == runs[1]["not_modified"] == runs[1]["conditional"]
    if not ok:
        print("unchanged run was not all conditional requests answered 304 with nothing embedded", file=sys.stderr)
    return 0 if ok and runs[0]["added"] == args.items else 1


if __name__ == "__main__":
    sys.exit(main())
