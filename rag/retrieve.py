"""Hybrid retrieval: dense (Chroma) and lexical (BM25) fused by reciprocal rank.

The lexical index is rebuilt from the chunk texts Chroma holds, so it survives a
restart and follows ingests made by other processes (the store's generation
number tells when to reload).
"""
from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict

from .embedding import Embedder
from .store import Store
from .text import content_terms
from .types import Chunk, Hit

RRF_K = 60


class Lexical:
    """Okapi BM25 over stemmed content words."""

    def __init__(self, chunks: list[Chunk], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []
        for i, c in enumerate(chunks):
            terms = content_terms(c.text)
            self.lengths.append(len(terms))
            for t, tf in Counter(terms).items():
                self.postings[t].append((i, tf))
        self.n = len(chunks)
        self.avgdl = (sum(self.lengths) / self.n) if self.n else 1.0
        self.postings = dict(self.postings)

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def knows(self, term: str) -> bool:
        return term in self.postings

    @property
    def generation(self) -> int:
        return self._generation

    def search(self, query: str, n: int) -> list[tuple[int, float]]:
        scores: dict[int, float] = defaultdict(float)
        for t in set(content_terms(query)):
            plist = self.postings.get(t)
            if not plist:
                continue
            idf = self.idf(t)
            for i, tf in plist:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avgdl)
                scores[i] += idf * tf * (self.k1 + 1) / (tf + norm)
        return sorted(scores.items(), key=lambda kv: -kv[1])[:n]


class Retriever:
    """Finds the passages for a question; reloads its lexical state when the store changes."""

    def __init__(self, store: Store, embedder: Embedder, top_k: int = 6, recheck_s: float = 2.0):
        self.store, self.embedder, self.top_k = store, embedder, top_k
        self._recheck_s = recheck_s
        self._lock = threading.Lock()
        self._generation = -1
        self._checked = 0.0
        self.ids: list[str] = []
        self.chunks: list[Chunk] = []
        self._pos: dict[str, int] = {}
        self.lexical = Lexical([])
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> bool:
        """Reload chunks and BM25 if another ingest bumped the store's generation."""
        now = time.monotonic()
        if not force and now - self._checked < self._recheck_s:
            return False
        with self._lock:
            self._checked = now
            gen = self.store.generation()
            if gen == self._generation and not force:
                return False
            pairs = self.store.current_chunks()
            self.ids = [cid for cid, _ in pairs]
            self.chunks = [c for _, c in pairs]
            self._pos = {cid: i for i, cid in enumerate(self.ids)}
            self.lexical = Lexical(self.chunks)
            self._generation = gen
            return True

    @property
    def generation(self) -> int:
        return self._generation

    def search(self, query: str, top_k: int | None = None, embedding: list[float] | None = None) -> list[Hit]:
        """The top_k passages by reciprocal-rank fusion of dense and BM25 rankings."""
        self.refresh()
        k = top_k or self.top_k
        pool = max(4 * k, 20)
        emb = embedding if embedding is not None else self.embedder.query(query)
        dense = [(self._pos[cid], sim) for cid, sim in self.store.dense(emb, pool) if cid in self._pos]
        lexical = self.lexical.search(query, pool)
        fused: dict[int, float] = defaultdict(float)
        dense_sim: dict[int, float] = {}
        lex_score: dict[int, float] = {}
        for rank, (i, sim) in enumerate(dense):
            fused[i] += 1.0 / (RRF_K + rank + 1)
            dense_sim[i] = sim
        for rank, (i, s) in enumerate(lexical):
            fused[i] += 1.0 / (RRF_K + rank + 1)
            lex_score[i] = s
        ranked = sorted(fused, key=lambda i: -fused[i])
        return [Hit(self.chunks[i], fused[i], dense_sim.get(i, 0.0), lex_score.get(i, 0.0))
                for i in _diverse(ranked, self.chunks, k)]


def _diverse(ranked: list[int], chunks: list[Chunk], k: int) -> list[int]:
    """Cap passages per article so one article (say, a keyword-stuffed one) cannot fill every slot."""
    docs = {chunks[i].doc_id for i in ranked[: 3 * k]}
    if len(docs) < 2:
        return ranked[:k]
    cap = max(2, math.ceil(k / 2))
    per: Counter = Counter()
    out, rest = [], []
    for i in ranked:
        (out if per[chunks[i].doc_id] < cap else rest).append(i)
        per[chunks[i].doc_id] += 1
        if len(out) == k:
            break
    return (out + rest)[:k]
