"""Ingest: load -> chunk -> embed -> store, doing only the work that changed.

An unchanged article costs a hash comparison; a changed one has its chunks
replaced; an article whose file is gone from an ingested folder is removed.
A file that cannot be read is skipped and reported, and its stored version
(if any) is kept: bad input never loses what the store already had. URLs (feeds,
sitemaps, pages) are fetched by rag/crawl/ into the same articles; a source that
does not exist is an error before anything is touched.
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from .chunking import CHUNKER_VERSION, chunk_article
from .config import FetchSettings, Settings
from .embedding import Embedder
from .errors import RagError
from .facts import VERSION as FACTS_VERSION, article_facts
from .loaders import LoadResult, iter_files, load_file
from .store import SCHEMA, Store
from .text import quotable_sentences
from .types import Article, Skipped

EMBED_GROUP = 512  # chunks embedded and written together: bounds memory on big corpora


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)  # URLs given that could not be fetched or read at all
    recovered: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    rebuilt: str = ""
    seconds: float = 0.0
    requests: int = 0  # HTTP responses received (URL sources)
    not_modified: int = 0  # of them, 304s: pages unchanged since the last run

    def summary(self) -> str:
        line = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed, {len(self.skipped)} skipped; "
                f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f}s")
        return line

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
                "failed": [{"url": s.path, "reason": s.reason} for s in self.failed],
                "requests": self.requests, "not_modified": self.not_modified,
                "recovered": self.recovered, "chunks_embedded": self.chunks_embedded,
                "sentences_embedded": self.sentences_embedded, "rebuilt": self.rebuilt,
                "seconds": round(self.seconds, 3)}


def fingerprint(embedder: Embedder, chunk_tokens: int, chunk_overlap: int, exclude_faq: bool) -> dict:
    """Everything that decides what vectors are in the store; a change means a rebuild."""
    return {"schema": SCHEMA, "embed_model": embedder.model_id, "dim": embedder.dim,
            "chunk_tokens": chunk_tokens, "chunk_overlap": chunk_overlap, "chunker": CHUNKER_VERSION,
            "exclude_faq": exclude_faq, "facts": FACTS_VERSION}


def is_url(source: str) -> bool:
    """Whether a source given to `rag ingest` is a URL (it has a scheme) rather than a path."""
    return "://" in source


def check_sources(paths: list[Path]) -> None:
    """A path that does not exist is a mistake (a typo in a CI job), not an empty corpus."""
    for p in paths:
        if not p.exists():
            raise RagError(f"{p} does not exist: give files or folders of articles, or http(s) URLs of feeds, "
                           f"sitemaps or pages")


def ingest(paths: list[Path], store: Store, embedder: Embedder, *, chunk_tokens: int = 160,
           chunk_overlap: int = 40, exclude_faq: bool = False, max_file_bytes: int = 20_000_000,
           rebuild: bool = False, progress: bool | None = None, urls: list[str] = (),
           fetch: FetchSettings | None = None) -> IngestReport:
    """Bring the store in line with the articles under `paths` and those `urls` lead to (`fetch`: how
    to fetch them, required with `urls`)."""
    check_sources(paths)
    t0 = time.perf_counter()
    report = IngestReport()
    want = fingerprint(embedder, chunk_tokens, chunk_overlap, exclude_faq)
    with store.writer():
        have = store.fingerprint()
        if rebuild or (have and have != want):
            changed = ", ".join(f"{k}: {have.get(k)!r} -> {v!r}" for k, v in want.items() if have.get(k) != v)
            report.rebuilt = "asked for (--rebuild)" if rebuild else f"settings changed ({changed})"
            store.reset()
        manifest = None
        if not report.rebuilt and have:
            manifest = store.manifest(sigs=True)
            report.recovered = store.recover(manifest)
        if store.fingerprint() != want:
            store.set_fingerprint(want)
        if manifest is None or report.recovered:
            manifest = store.manifest(sigs=True)
        loaded, untouched, sigs = _load(paths, manifest, max_file_bytes)
        web = _crawl(urls, fetch, store, manifest, loaded, report) if urls else None
        report.skipped = loaded.skipped
        report.unchanged.extend(untouched)

        todo: list[tuple[Article, str]] = []
        for a in loaded.articles:
            version = a.content_hash()
            old = manifest.get(a.doc_id)
            if old and old["version"] == version and not old["pending"]:
                report.unchanged.append(a.doc_id)
            else:
                todo.append((a, version))
                (report.updated if old and old["version"] else report.added).append(a.doc_id)

        _write(todo, store, embedder, chunk_tokens, chunk_overlap, exclude_faq, report, progress)
        if web:  # after the articles: validators must never describe a page the store does not hold
            store.remember_fetches(web.remember)

        store.set_file_sigs({a.doc_id: sigs[a.path] for a in loaded.articles if sigs.get(a.path)})
        present = {a.doc_id for a in loaded.articles} | set(untouched)
        bad_paths = {_real(p) for s in loaded.skipped for p in (s.path, s.path.rsplit(":", 1)[0])}
        roots = [p.resolve() for p in paths]
        for doc_id, m in manifest.items():
            if doc_id in present or not m["path"]:
                continue
            path = Path(m["path"])
            under = any(path == r or path.is_relative_to(r) for r in roots)
            if under and str(path) not in bad_paths:
                store.remove_article(doc_id)
                store.prune_sentences(doc_id)
                report.removed.append(doc_id)
        if todo or report.removed or report.rebuilt or report.recovered:
            store.bump_generation()
    report.seconds = time.perf_counter() - t0
    return report


def _crawl(urls, fetch, store, manifest, loaded: LoadResult, report: IngestReport):
    """Fetch what `urls` lead to and add it to `loaded`; pages a 304 showed unchanged go to the report."""
    from .crawl import crawl

    known = {d for d, m in manifest.items() if m["version"] and not m["pending"]}
    web = crawl(list(urls), fetch or Settings().fetch, store.fetch_memory(), known)
    files = {a.doc_id: a.path for a in loaded.articles}
    for a in web.articles:  # a file naming the same canonical URL keeps the article
        if a.doc_id in files:
            loaded.skipped.append(Skipped(a.doc_id, f"duplicate article id (also in {files[a.doc_id]})"))
        else:
            loaded.articles.append(a)
    loaded.skipped.extend(web.skipped)
    report.unchanged.extend(d for d in web.unchanged if d not in files)
    report.failed, report.requests, report.not_modified = web.failed, web.requests, web.not_modified
    return web


def _real(path: str) -> str:
    """The resolved path, or the path as given when it cannot be resolved (a symlink loop)."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return path


def _load(paths: list[Path], manifest: dict, max_file_bytes: int) -> tuple[LoadResult, list[str], dict[str, str]]:
    """`load_corpus`, except that a file whose size, modification and change times and inode are those
    recorded when its articles were stored is not read at all: its articles are unchanged (this keeps
    re-ingesting a large, mostly unchanged corpus to a stat call per file). Returns (what was read, doc_ids passed over,
    path -> signature of each file read cleanly)."""
    by_path: dict[str, list[tuple[str, dict]]] = {}
    for doc_id, m in manifest.items():
        if m["path"]:
            by_path.setdefault(m["path"], []).append((doc_id, m))
    files, skipped = iter_files(paths)
    result = LoadResult(skipped=skipped)
    untouched: list[str] = []
    sigs: dict[str, str] = {}
    seen: dict[str, str] = {}
    for root, f in files:
        try:
            st = f.stat()
            # the change time too: it moves on every write, even when a copy puts the old mtime back
            sig = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"
        except OSError:
            sig = ""
        path = str(f.resolve())
        known = by_path.get(path, [])
        if sig and known and all(m["sig"] == sig and m["version"] and not m["pending"] and d not in seen
                                 for d, m in known):
            for d, _ in known:
                seen[d] = path
                untouched.append(d)
            continue
        arts, skips = load_file(root, f, max_file_bytes)
        result.skipped.extend(skips)
        # Not remembered: a file with a bad record (read again, to report it again), and a file changed in
        # the last seconds, which a write within the same clock tick could change again unseen (as git does).
        if sig and not skips and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > 2_000_000_000:
            sigs[path] = sig
        for a in arts:  # as load_corpus: the first file to claim an article id keeps it
            if a.doc_id in seen:
                result.skipped.append(Skipped(a.path, f"duplicate article id {a.doc_id} (also in {seen[a.doc_id]})"))
                continue
            seen[a.doc_id] = a.path
            result.articles.append(a)
    return result, untouched, sigs


_NLP = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-facts")


def _write(todo, store, embedder, chunk_tokens, chunk_overlap, exclude_faq, report, progress) -> None:
    """Embed chunks in large batches across articles; write each article once it is complete.

    The quotable sentences of each article are embedded in the same model call and stored too,
    so that answering a question runs the model on the question alone.
    """
    pending: list[tuple[Article, str, list]] = []
    total = sum(1 for _ in todo)
    bar = None
    if progress or (progress is None and total > 20 and sys.stderr.isatty()):
        from tqdm import tqdm

        bar = tqdm(total=total, unit="article", desc="ingest", file=sys.stderr)

    def flush():
        chunks = [c for _, _, cs in pending for c in cs]
        sentences = [list(dict.fromkeys(s for c in cs for s in quotable_sentences(c.text))) for _, _, cs in pending]
        # What each sentence names and dates, worked out once here so answering runs no NLP on the corpus.
        # spaCy runs on a thread while the encoder runs (ONNX Runtime releases the GIL): the two overlap.
        facts_job = _NLP.submit(article_facts, [a.text for a, _, _ in pending], [a.published for a, _, _ in pending])
        vectors = embedder.documents([c.text for c in chunks] + [s for ss in sentences for s in ss])
        facts = facts_job.result()
        report.chunks_embedded += len(chunks)
        report.sentences_embedded += len(vectors) - len(chunks)
        rows, items = [], []
        i, j = 0, len(chunks)
        for (article, version, cs), ss, f in zip(pending, sentences, facts):
            article = replace(article, facts=f.to_json())
            rows += [(article.doc_id, version, t, v) for t, v in zip(ss, vectors[j:j + len(ss)])]
            items.append((article, version, cs, vectors[i:i + len(cs)]))
            i += len(cs)
            j += len(ss)
        # sentences first: readers switching to the new version find their vectors already there
        store.put_sentences(rows)
        for doc_id in store.put_articles(items):
            store.prune_sentences(doc_id, next(v for a, v, *_ in items if a.doc_id == doc_id))
        if bar:
            bar.update(len(items))
        pending.clear()

    size = 0
    for article, version in todo:
        cs = chunk_article(article, chunk_tokens, chunk_overlap, exclude_faq)
        pending.append((article, version, cs))
        size += len(cs)
        if size >= EMBED_GROUP:
            flush()
            size = 0
    if pending:
        flush()
    if bar:
        bar.close()
