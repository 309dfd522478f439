"""The Chroma store behind one small façade.

Three collections: `chunks` (one embedded passage each), `articles` (the full text,
metadata, FAQ and content hash of each article, plus the store's fingerprint and
generation in the collection metadata) and `sentences` (vectors of quotable sentences).

    chroma.py     the only chromadb code; its failures become our errors there, once
    records.py    article records and chunks: crash-safe replacement, reads
    manifest.py   article versions, settings fingerprint, generation
    sentences.py  the sentence-vector table
    fetches.py    what the last fetch of each URL returned (ETag, Last-Modified), for conditional requests
    lock.py       the writer lock (one file per store)
    folder.py     an embedded store's folder: set aside when unreadable, swept after a rebuild
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from ..types import Article, Chunk, StoredArticle
from .chroma import Chroma
from .fetches import FETCHES, Fetches
from .folder import set_aside, sweep_segments
from .lock import lock_path, write_lock
from .manifest import Manifest
from .records import Records, chunk_id, record_id
from .sentences import SENTENCES, Sentences, sentence_key

CHUNKS, ARTICLES = "chunks", "articles"
SCHEMA = 1

__all__ = ["Store", "StoredArticle", "SCHEMA", "lock_path", "write_lock", "set_aside",
           "chunk_id", "record_id", "sentence_key"]


class Store:
    """A Chroma database on disk (`path`) or behind a server (`url`)."""

    def __init__(self, db: Chroma, lock: Path, create: bool = True):
        self._db = db
        self.where = db.where
        self._lock_path = lock
        self._sentences = Sentences(db)
        self._fetches = Fetches(db)
        self._connect(create)

    def _connect(self, create: bool = False) -> None:
        """Fetch the collection handles; only a writer may create them (never an empty store by accident)."""
        self._chunks = self._db.collection(CHUNKS, create=create, cosine=True)
        self._articles = self._db.collection(ARTICLES, create=create)
        self._manifest = Manifest(self._articles)
        self._records = Records(self._articles, self._chunks, self._manifest.manifest)

    @classmethod
    def open(cls, path: Path | str = "", url: str = "", create: bool = False) -> "Store":
        """Open a store; a missing embedded store is an error unless `create`."""
        store = cls(Chroma.connect(path, url, create), lock_path(path, url), create=create)
        if not create and not url:
            store.check_readable()
        return store

    def check_readable(self) -> None:
        """Touch both collections so a damaged database fails now, with a clear message."""
        self._articles.count()
        if self._chunks.count():
            self._chunks.peek(1)
            self._chunks.query(query_embeddings=[[0.0] * self._manifest.dim()], n_results=1, include=[])

    @contextmanager
    def writer(self, wait_s: float = 10.0):
        """One writer at a time: a second ingest waits briefly, then is refused."""
        with write_lock(self._lock_path, self.where, wait_s):
            yield self

    # ------------------------------------------------------------------ fingerprint and generation

    def meta(self) -> dict:
        return self._manifest.meta()

    def fingerprint(self) -> dict:
        return self._manifest.fingerprint()

    def set_fingerprint(self, fp: dict) -> None:
        self._manifest.set_fingerprint(fp)

    def generation(self) -> int:
        return self._manifest.generation()

    def bump_generation(self) -> int:
        return self._manifest.bump_generation()

    def reset(self) -> None:
        """Drop everything (used when settings change and a rebuild is asked for)."""
        self._sentences.forget()
        self._fetches.forget()  # else the next ingest would get 304s for pages the store no longer has
        for name in (CHUNKS, ARTICLES, SENTENCES, FETCHES):
            self._db.drop(name)
        self._connect(create=True)
        if not self._db.url:
            sweep_segments(Path(self.where))

    # ------------------------------------------------------------------ writing

    def manifest(self, sigs: bool = False) -> dict[str, dict]:
        """doc_id -> {"version", "pending", "path"} for every article in the store (and "sig", see set_file_sigs)."""
        return self._manifest.manifest(sigs)

    def set_file_sigs(self, sigs: dict[str, str]) -> None:
        self._manifest.set_file_sigs(sigs)

    def put_articles(self, items: list[tuple[Article, str, list[Chunk], list[list[float]]]]) -> list[str]:
        """Replace the chunks of many (article, version, chunks, embeddings), crash-safely (see records.py).
        Returns the doc_ids that replaced an earlier version."""
        return self._records.put(items)

    def remove_article(self, doc_id: str) -> None:
        self._records.remove(doc_id)

    def recover(self, manifest: dict | None = None) -> list[str]:
        """Finish or undo writes a crash interrupted; returns the doc_ids touched."""
        return self._records.recover(manifest)

    def put_sentences(self, rows: list[tuple[str, str, str, list[float]]]) -> None:
        """Keep the vectors of quotable sentences, rows of (doc_id, version, text, vector)."""
        self._sentences.put(rows)

    def prune_sentences(self, doc_id: str, keep_version: str = "") -> None:
        self._sentences.prune(doc_id, keep_version)

    def fetch_memory(self) -> dict[str, dict]:
        """url -> what its last fetch returned (see fetches.py)."""
        return self._fetches.all()

    def remember_fetches(self, rows: list[dict]) -> None:
        """Keep the validators of fetched URLs; call only once the articles they led to are stored."""
        self._fetches.put(rows)

    # ------------------------------------------------------------------ reading

    def dense(self, embedding: list[float], n: int) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity."""
        return self._records.dense(embedding, n)

    def current_chunks(self) -> list[tuple[str, Chunk]]:
        return self._records.current_chunks()

    def article(self, doc_id: str) -> StoredArticle | None:
        return self._records.article(doc_id)

    def articles(self) -> list[StoredArticle]:
        return self._records.articles()

    def count(self) -> dict:
        return self._records.count()

    def sentence_vectors(self, texts: list[str]) -> dict[str, list[float]]:
        """Stored vectors for those of `texts` that have one (none if anything goes wrong: only speed is lost)."""
        return self._sentences.vectors(texts)

