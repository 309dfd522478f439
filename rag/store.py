"""The Chroma store: the only module that talks to chromadb.

Two collections: `chunks` (one embedded passage each) and `articles` (the full
text, metadata, FAQ and content hash of each article, plus the store's
fingerprint and generation in the collection metadata).

Writes are ordered so that a crash at any point leaves each article in its old
or its new state: an article record names the chunk version readers may use,
and is switched only after the new chunks are written (see `put_article`).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import _offline  # noqa: F401
from .errors import DiskFull, RagError, StoreBusy, StoreCorrupt, StoreNotFound, StoreReadOnly, StoreUnavailable
from .types import Article, Chunk, QAPair

CHUNKS, ARTICLES = "chunks", "articles"
SENTENCES = "sentences"  # vectors of quotable sentences, keyed by their text: a cache, see put_sentences
SCHEMA = 1
_PAGE = 5000


def _key(doc_id: str) -> str:
    return hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:20]


def sentence_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:24]


def chunk_id(doc_id: str, version: str, index: int) -> str:
    return f"{_key(doc_id)}:{version[:12]}:{index}"


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store holds it (what citations are checked against)."""

    doc_id: str
    title: str
    text: str
    url: str
    published: str
    version: str
    faq: tuple[QAPair, ...]
    path: str = ""
    dek: str = ""
    facts: str = ""  # rag.facts.ArticleFacts as JSON (see rag.facts)


class Store:
    """A Chroma database on disk (`path`) or behind a server (`url`)."""

    def __init__(self, client, where: str, lock_path: Path, create: bool = True, url: str = ""):
        self._client = client
        self.where = where
        self._lock_path = lock_path
        self._url = url
        self._connect(create)

    def _connect(self, create: bool = False) -> None:
        """Fetch the collection handles; only a writer may create them (never an empty store by accident)."""
        try:
            if create:
                self._chunks = self._client.get_or_create_collection(CHUNKS, embedding_function=None,
                                                               configuration={"hnsw": {"space": "cosine"}})
                self._articles = self._client.get_or_create_collection(ARTICLES, embedding_function=None)
            else:
                self._chunks = self._client.get_collection(CHUNKS, embedding_function=None)
                self._articles = self._client.get_collection(ARTICLES, embedding_function=None)
        except Exception as e:  # noqa: BLE001 - chromadb raises many types for a damaged folder
            if type(e).__name__ == "NotFoundError":
                if self._url:
                    raise StoreNotFound(self._url, f"RAG_CHROMA_URL={self._url} rag ingest corpus/") from None
                raise StoreCorrupt(self.where, "it holds no article collections") from None
            raise self._explain(e) from None

    def _explain(self, e: Exception) -> RagError:
        """Turn a chromadb failure into the error that says what to do (disk full, read-only, server down)."""
        msg = f"{type(e).__name__}: {e}"
        if self._url:
            if _is_connection_error(e):
                return StoreUnavailable(self._url, type(e).__name__)
            return StoreCorrupt(self.where, msg[:300])
        if getattr(e, "errno", None) == errno.ENOSPC or re.search(r"disk is full|no space left", msg, re.I) \
                or _free_bytes(self.where) < 1_000_000:
            return DiskFull(self.where)
        if getattr(e, "errno", None) in (errno.EROFS, errno.EACCES) or "readonly database" in msg \
                or not os.access(self.where, os.W_OK):
            return StoreReadOnly(self.where)
        return StoreCorrupt(self.where, msg[:300])

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path | str = "", url: str = "", create: bool = False) -> "Store":
        """Open a store; a missing embedded store is an error unless `create`."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            from urllib.parse import urlparse

            u = urlparse(url)
            if not u.hostname:
                raise RagError(f"RAG_CHROMA_URL={url!r} is not a URL; use e.g. http://127.0.0.1:8000")
            try:
                client = chromadb.HttpClient(host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                                             ssl=u.scheme == "https", settings=chroma_settings)
                client.heartbeat()
            except Exception as e:  # noqa: BLE001
                raise StoreUnavailable(url, type(e).__name__) from None
            return cls(client, url, lock_path(path, url), create=create, url=url)
        path = Path(path)
        if not create:
            if not (path / "chroma.sqlite3").is_file():
                raise StoreNotFound(str(path))
            if not os.access(path, os.R_OK):
                raise StoreCorrupt(str(path), "folder is not readable")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise (DiskFull(str(path)) if e.errno == errno.ENOSPC else StoreReadOnly(str(path))) from None
        # Chroma writes to its folder even to answer: say so plainly instead of a database error.
        if not os.access(path, os.W_OK) or ((path / "chroma.sqlite3").exists()
                                            and not os.access(path / "chroma.sqlite3", os.W_OK)):
            raise StoreReadOnly(str(path))
        try:
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as e:  # noqa: BLE001
            _forget_client(path)
            if _free_bytes(path) < 1_000_000:
                raise DiskFull(str(path)) from None
            raise StoreCorrupt(str(path), f"{type(e).__name__}: {e}") from None
        store = cls(client, str(path), lock_path(path, url), create=create)
        if not create:
            store.check_readable()
        return store

    def check_readable(self) -> None:
        """Touch both collections so a damaged database fails now, with a clear message."""
        try:
            self._articles.count()
            n = self._chunks.count()
            if n:
                self._chunks.peek(1)
                self._chunks.query(query_embeddings=[[0.0] * self._dim()], n_results=1, include=[])
        except RagError:
            raise
        except Exception as e:  # noqa: BLE001
            raise self._explain(e) from None

    def _dim(self) -> int:
        return int((self._articles.metadata or {}).get("dim", 384))

    @contextmanager
    def writer(self, wait_s: float = 10.0):
        """One writer at a time: a second ingest waits briefly, then is refused."""
        with write_lock(self._lock_path, self.where, wait_s):
            yield self

    # ------------------------------------------------------------------ fingerprint

    def meta(self) -> dict:
        return dict(self._articles.metadata or {})

    def fingerprint(self) -> dict:
        return {k: v for k, v in self.meta().items() if k not in ("generation",)}

    def set_fingerprint(self, fp: dict) -> None:
        self._articles.modify(metadata={**fp, "generation": self.generation()})

    def generation(self) -> int:
        try:
            col = self._client.get_collection(ARTICLES, embedding_function=None)
        except Exception as e:  # noqa: BLE001
            if type(e).__name__ == "NotFoundError" and not self._url:
                raise StoreCorrupt(self.where, "it holds no article collections") from None
            raise self._explain(e) from None
        return int((col.metadata or {}).get("generation", 0))

    def bump_generation(self) -> int:
        gen = self.generation() + 1
        self._articles.modify(metadata={**self.fingerprint(), "generation": gen})
        return gen

    def reset(self) -> None:
        """Drop everything (used when settings change and a rebuild is asked for)."""
        self._sentence_handle = None
        for name in (CHUNKS, ARTICLES, SENTENCES):
            try:
                self._client.delete_collection(name)
            except Exception:  # noqa: BLE001 - absent is fine
                pass
        self._connect(create=True)
        self._sweep_segments()

    def _sweep_segments(self) -> None:
        """Chroma leaves a dropped collection's index folder on disk: remove folders no segment uses."""
        if self._url:
            return
        import sqlite3

        folder = Path(self.where)
        try:
            with sqlite3.connect(f"file:{folder / 'chroma.sqlite3'}?mode=ro", uri=True) as con:
                used = {row[0] for row in con.execute("SELECT id FROM segments")}
        except sqlite3.Error:
            return  # an unknown layout: leave the folder alone
        for d in folder.iterdir():
            if d.is_dir() and _UUID.fullmatch(d.name) and d.name not in used:
                shutil.rmtree(d, ignore_errors=True)

    # ------------------------------------------------------------------ writing

    def manifest(self, sigs: bool = False) -> dict[str, dict]:
        """doc_id -> {"version", "pending", "path"} for every article in the store (and "sig", see set_file_sigs)."""
        out = {}
        for _, m in self._paged(self._articles, include=["metadatas"]):
            out[m["doc_id"]] = {"version": m.get("version", ""), "pending": m.get("pending", ""),
                                "path": m.get("path", "")}
            if sigs:
                out[m["doc_id"]]["sig"] = m.get("file_sig", "")
        return out

    def set_file_sigs(self, sigs: dict[str, str]) -> None:
        """Record the size and modification time of the file each article was read from (doc_id -> sig),
        so the next ingest can pass over files that did not change without reading them."""
        items = list(sigs.items())
        for i in range(0, len(items), _PAGE):
            part = items[i:i + _PAGE]
            self._articles.update(ids=[_key(d) for d, _ in part], metadatas=[{"file_sig": s} for _, s in part])

    def put_article(self, article: Article, version: str, chunks: list[Chunk], embeddings: list[list[float]]) -> None:
        """Replace an article's chunks so that readers see the old or the new version, never a mix.

        1. mark the record pending (readers keep using the old version)
        2. write the new chunks under new ids
        3. switch the record to the new version
        4. delete the old chunks, clear the pending mark
        A crash between steps leaves a pending mark that `recover` cleans up.
        """
        rid = _key(article.doc_id)
        old = self._articles.get(ids=[rid], include=["metadatas"])
        old_meta = old["metadatas"][0] if old["ids"] else None
        old_version = old_meta.get("version", "") if old_meta else ""
        if old_meta:
            self._articles.update(ids=[rid], metadatas=[{**old_meta, "pending": version}])
        else:
            self._articles.upsert(ids=[rid], embeddings=[[0.0]], documents=[""],
                                  metadatas=[{"doc_id": article.doc_id, "version": "", "pending": version,
                                              "path": article.path}])
        for i in range(0, len(chunks), _PAGE):
            part = chunks[i:i + _PAGE]
            self._chunks.upsert(
                ids=[chunk_id(c.doc_id, version, c.index) for c in part],
                embeddings=embeddings[i:i + _PAGE],
                documents=[c.text for c in part],
                metadatas=[_chunk_meta(c, version) for c in part],
            )
        self._articles.upsert(ids=[rid], embeddings=[[0.0]], documents=[article.text],
                              metadatas=[_article_meta(article, version, pending=old_version or "-")])
        self._chunks.delete(where={"$and": [{"doc_id": article.doc_id}, {"version": {"$ne": version}}]})
        self._articles.update(ids=[rid], metadatas=[_article_meta(article, version, pending="")])

    def put_articles(self, items: list[tuple[Article, str, list[Chunk], list[list[float]]]]) -> list[str]:
        """`put_article` for many (article, version, chunks, embeddings) at once: the same four steps, each
        done for every article in one or two database calls, so a bulk ingest is not bound by round trips.
        Returns the doc_ids that replaced an earlier version."""
        if not items:
            return []
        rids = [_key(a.doc_id) for a, *_ in items]
        got = self._articles.get(ids=rids, include=["metadatas"])
        old = dict(zip(got["ids"], got["metadatas"]))
        # 1. mark pending
        known = [(rid, {**old[rid], "pending": v}) for rid, (a, v, *_) in zip(rids, items) if rid in old]
        if known:
            self._articles.update(ids=[r for r, _ in known], metadatas=[m for _, m in known])
        fresh = [(rid, a, v) for rid, (a, v, *_) in zip(rids, items) if rid not in old]
        if fresh:
            self._articles.upsert(ids=[r for r, _, _ in fresh], embeddings=[[0.0]] * len(fresh),
                                  documents=[""] * len(fresh),
                                  metadatas=[{"doc_id": a.doc_id, "version": "", "pending": v, "path": a.path}
                                             for _, a, v in fresh])
        # 2. write the new chunks
        rows = [(chunk_id(c.doc_id, v, c.index), e, c.text, _chunk_meta(c, v))
                for a, v, cs, es in items for c, e in zip(cs, es)]
        for i in range(0, len(rows), _PAGE):
            part = rows[i:i + _PAGE]
            self._chunks.upsert(ids=[r[0] for r in part], embeddings=[r[1] for r in part],
                                documents=[r[2] for r in part], metadatas=[r[3] for r in part])
        # 3. switch the records
        for i in range(0, len(items), _PAGE):
            part = list(zip(rids, items))[i:i + _PAGE]
            self._articles.upsert(
                ids=[r for r, _ in part], embeddings=[[0.0]] * len(part), documents=[a.text for _, (a, *_) in part],
                metadatas=[_article_meta(a, v, pending=old.get(r, {}).get("version", "") or "-")
                           for r, (a, v, *_) in part])
        # 4. delete old chunks (an article without an earlier record has none), clear the marks
        for rid, (a, v, *_) in zip(rids, items):
            if rid in old:
                self._chunks.delete(where={"$and": [{"doc_id": a.doc_id}, {"version": {"$ne": v}}]})
        self._articles.update(ids=rids, metadatas=[_article_meta(a, v, pending="") for a, v, *_ in items])
        return [a.doc_id for rid, (a, *_) in zip(rids, items) if rid in old]

    def remove_article(self, doc_id: str) -> None:
        self._chunks.delete(where={"doc_id": doc_id})
        self._articles.delete(ids=[_key(doc_id)])

    def recover(self, manifest: dict | None = None) -> list[str]:
        """Finish or undo writes a crash interrupted; returns the doc_ids touched.

        `manifest`: one the caller just read, to save reading every record again."""
        touched = []
        for doc_id, m in (manifest if manifest is not None else self.manifest()).items():
            if m["pending"]:
                touched.append(doc_id)
                self._chunks.delete(where={"$and": [{"doc_id": doc_id}, {"version": {"$ne": m["version"] or "\x00"}}]})
                rid = _key(doc_id)
                if not m["version"]:  # a new article that was never completed: back to not existing
                    self._articles.delete(ids=[rid])
                    continue
                rec = self._articles.get(ids=[rid], include=["metadatas"])["metadatas"][0]
                self._articles.update(ids=[rid], metadatas=[{**rec, "pending": ""}])
        return touched

    # ------------------------------------------------------------------ reading

    def dense(self, embedding: list[float], n: int) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity."""
        # no count() first: it costs a database round trip, and Chroma returns fewer results by itself
        res = self._chunks.query(query_embeddings=[embedding], n_results=n, include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0])]

    def current_chunks(self) -> list[tuple[str, Chunk]]:
        """Every chunk of the version each article record currently names."""
        versions = {d: m["version"] for d, m in self.manifest().items()}
        out = []
        for cid, meta, doc in self._paged(self._chunks, include=["metadatas", "documents"]):
            if versions.get(meta.get("doc_id")) == meta.get("version"):
                out.append((cid, Chunk(
                    doc_id=meta["doc_id"], index=int(meta["index"]), text=doc, start=int(meta["start"]),
                    end=int(meta["end"]), section=meta.get("section", ""), title=meta.get("title", ""),
                    url=meta.get("url", ""), published=meta.get("published", ""))))
        return out

    def article(self, doc_id: str) -> StoredArticle | None:
        res = self._articles.get(ids=[_key(doc_id)], include=["metadatas", "documents"])
        if not res["ids"]:
            return None
        return _stored(res["metadatas"][0], res["documents"][0])

    def articles(self) -> list[StoredArticle]:
        return [_stored(m, d) for _, m, d in self._paged(self._articles, include=["metadatas", "documents"])]

    def count(self) -> dict:
        return {"articles": self._articles.count(), "chunks": self._chunks.count()}

    # ------------------------------------------------------------------ sentence vectors

    def _sentences(self, create: bool = False):
        handle = getattr(self, "_sentence_handle", None)
        if handle is None:
            try:
                handle = (self._client.get_or_create_collection(SENTENCES, embedding_function=None) if create
                          else self._client.get_collection(SENTENCES, embedding_function=None))
            except Exception:  # noqa: BLE001 - a store written before this collection existed
                return None
            self._sentence_handle = handle
        return handle

    def _on_sentences(self, action, create: bool = False):
        """Run `action(collection)`; fetch the handle again once if another process rebuilt the store."""
        for attempt in (0, 1):
            col = self._sentences(create)
            if col is None:
                return None
            try:
                return action(col)
            except Exception as e:  # noqa: BLE001
                if attempt or type(e).__name__ != "NotFoundError":
                    raise
                self._sentence_handle = None

    def put_sentences(self, rows: list[tuple[str, str, str, list[float]]]) -> None:
        """Keep the vectors of quotable sentences, rows of (doc_id, version, text, vector), so asking does
        not run the model on them.

        Keyed by the sentence text (same text, same model, same vector), so a missing or stale row
        costs only speed: the answer step embeds what it does not find.
        """
        unique = {sentence_key(t): (d, v, e) for d, v, t, e in rows}  # a sentence two articles share: once
        ids = list(unique)

        def write(col):
            for i in range(0, len(ids), _PAGE):
                part = ids[i:i + _PAGE]
                col.upsert(ids=part, embeddings=[unique[k][2] for k in part],
                           metadatas=[{"doc_id": unique[k][0], "version": unique[k][1]} for k in part])

        if ids:
            self._on_sentences(write, create=True)

    def prune_sentences(self, doc_id: str, keep_version: str = "") -> None:
        """Drop an article's sentence vectors from versions other than `keep_version` (all, if empty)."""
        where = {"doc_id": doc_id} if not keep_version else \
            {"$and": [{"doc_id": doc_id}, {"version": {"$ne": keep_version}}]}
        self._on_sentences(lambda col: col.delete(where=where))

    def sentence_vectors(self, texts: list[str]) -> dict[str, list[float]]:
        """Stored vectors for those of `texts` that have one (none if anything goes wrong: only speed is lost)."""
        import numpy as np

        keys = {sentence_key(t): t for t in texts}
        if not keys:
            return {}
        try:
            res = self._on_sentences(lambda col: col.get(ids=list(keys), include=["embeddings"]))
        except Exception:  # noqa: BLE001
            return {}
        if not res or not res["ids"]:
            return {}
        return {keys[i]: v for i, v in zip(res["ids"], np.asarray(res["embeddings"], dtype=np.float32).tolist())}

    @staticmethod
    def _paged(col, include):
        offset = 0
        while True:
            res = col.get(include=include, limit=_PAGE, offset=offset)
            ids = res["ids"]
            if not ids:
                return
            for i, cid in enumerate(ids):
                meta = res["metadatas"][i] if res.get("metadatas") else {}
                if "documents" in include:
                    yield cid, meta, res["documents"][i]
                else:
                    yield cid, meta
            offset += len(ids)


def _reconnecting(method):
    """Another process may have rebuilt the store (new collection ids): fetch the handles again, once.

    Other chromadb failures become the error that says what to do (disk full, read-only, server down).
    """
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            try:
                return method(self, *args, **kwargs)
            except Exception as e:  # noqa: BLE001
                if type(e).__name__ != "NotFoundError" and not (self._url and _is_connection_error(e)):
                    raise
                self._connect()
                return method(self, *args, **kwargs)
        except (RagError, TypeError, ValueError, KeyError):
            raise
        except Exception as e:  # noqa: BLE001
            raise self._explain(e) from None

    return wrapper


for _name in ("check_readable", "meta", "set_fingerprint", "bump_generation", "manifest", "put_article", "put_articles",
              "remove_article", "recover", "dense", "current_chunks", "article", "articles", "count", "reset"):
    setattr(Store, _name, _reconnecting(getattr(Store, _name)))

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HELD: dict[tuple, list] = {}  # (lock path, thread) -> [open file, depth]: re-entrant within one thread


def lock_path(path: Path | str, url: str = "") -> Path:
    """Where the writer lock of a store lives (a server store without a folder locks in the temp dir)."""
    if url and not path:
        return Path(os.environ.get("TMPDIR", "/tmp")) / f"rag-{_key(url)}.lock"
    return Path(path) / "ingest.lock"


@contextmanager
def write_lock(path: Path, where: str, wait_s: float = 10.0):
    """Hold the store's writer lock: taken before Chroma is opened for writing, since two
    clients writing one Chroma folder can block each other for minutes."""
    import threading

    key = (str(Path(path).resolve()), threading.get_ident())
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")
    except OSError as e:
        raise (DiskFull(where) if e.errno == errno.ENOSPC else StoreReadOnly(where)) from None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                fh.close()
                raise StoreBusy(where) from None
            time.sleep(0.2)
    _HELD[key] = [fh, 1]
    try:
        yield
    finally:
        del _HELD[key]
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def set_aside(path: Path | str) -> Path:
    """Move an unreadable store's files to a sibling folder (kept for inspection) so a rebuild starts clean.

    The writer lock file stays: the caller holds it.
    """
    path = Path(path)
    _forget_client(path)
    dest = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    dest.mkdir()
    for f in path.iterdir():
        if f.name != "ingest.lock":
            f.rename(dest / f.name)
    return dest


def _forget_client(path: Path) -> None:
    """Chroma caches one client per folder for the whole process, broken ones too: drop it."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)


def _free_bytes(path) -> int:
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return 1 << 40


def _is_connection_error(e: Exception) -> bool:
    names = {t.__name__ for t in type(e).__mro__}
    return bool(names & {"ConnectError", "ConnectionError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError",
                         "ReadError", "WriteError", "TimeoutException", "NetworkError"}) \
        or "Could not connect" in str(e)


def _chunk_meta(c: Chunk, version: str) -> dict:
    return {"doc_id": c.doc_id, "index": c.index, "start": c.start, "end": c.end, "section": c.section,
            "title": c.title, "url": c.url, "published": c.published, "version": version}


def _article_meta(a: Article, version: str, pending: str) -> dict:
    return {"doc_id": a.doc_id, "title": a.title, "url": a.url, "published": a.published,
            "updated": a.updated, "byline": a.byline, "source": a.source, "dek": a.dek, "path": a.path,
            "version": version, "pending": pending,
            "faq": json.dumps([[p.question, p.answer, p.q_start, p.a_start] for p in a.faq]), "facts": a.facts}


def _stored(m: dict, text: str) -> StoredArticle:
    faq = tuple(QAPair(q, a, int(qs), int(as_)) for q, a, qs, as_ in json.loads(m.get("faq") or "[]"))
    return StoredArticle(doc_id=m["doc_id"], title=m.get("title", ""), text=text or "", url=m.get("url", ""),
                         published=m.get("published", ""), version=m.get("version", ""), faq=faq,
                         path=m.get("path", ""), dek=m.get("dek", ""), facts=m.get("facts", ""))
