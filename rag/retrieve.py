"""Hybrid retrieval: dense (Chroma) and lexical (BM25) fused by reciprocal rank.

The lexical index is rebuilt from the chunk texts Chroma holds, so it survives a
restart and follows ingests made by other processes (the store's generation
number tells when to reload).
"""
from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from .embedding import Embedder
from .lexicon import country_of
from .store import Store
from .text import content_terms, quotable_sentences
from .types import Chunk, Hit

RRF_K = 60
RECENCY = 0.5  # the default of Settings.recency_bonus (RAG_RECENCY_BONUS), in first places of one ranking


class Lexical:
    """Okapi BM25 over stemmed content words; postings are numpy arrays, so a query costs a few
    vector operations per query term rather than a Python loop over every posting."""

    def __init__(self, chunks: list[Chunk], k1: float = 1.2, b: float = 0.75,
                 counts: list[Counter] | None = None):
        if counts is None:
            counts = [term_counts(c.text) for c in chunks]
        self.k1, self.b = k1, b
        self.n = len(counts)
        lengths = np.fromiter((sum(c.values()) for c in counts), dtype=np.float64, count=self.n)
        self.avgdl = float(lengths.mean()) if self.n else 1.0
        self._norm = k1 * (1 - b + b * lengths / (self.avgdl or 1.0))
        postings: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
        for i, c in enumerate(counts):
            for t, tf in c.items():
                p = postings[t]
                p[0].append(i)
                p[1].append(tf)
        self._postings = {t: (np.array(ix, dtype=np.int64), np.array(tf, dtype=np.float64))
                          for t, (ix, tf) in postings.items()}

    def idf(self, term: str) -> float:
        p = self._postings.get(term)
        df = len(p[0]) if p else 0
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def knows(self, term: str) -> bool:
        return term in self._postings

    def search(self, query: str, n: int) -> list[tuple[int, float]]:
        """The n best (chunk index, score), best first; ties go to the earlier chunk."""
        scores = None
        for t in set(content_terms(query)):
            p = self._postings.get(t)
            if p is None:
                continue
            if scores is None:
                scores = np.zeros(self.n)
            idx, tf = p
            scores[idx] += self.idf(t) * tf * (self.k1 + 1) / (tf + self._norm[idx])
        if scores is None:
            return []
        found = np.flatnonzero(scores)
        if len(found) > 4 * n:  # narrow to a superset of the top n before the exact sort
            found = found[np.argpartition(-scores[found], n - 1)[:n]]
        order = found[np.lexsort((found, -scores[found]))][:n]
        return [(int(i), float(scores[i])) for i in order]


def term_counts(text: str) -> Counter:
    return Counter(content_terms(text))


@dataclass(frozen=True)
class _Index:
    """Everything a search reads, swapped in as one object so a concurrent refresh never mixes states."""

    ids: list[str]
    chunks: list[Chunk]
    pos: dict[str, int]
    counts: dict[str, Counter]
    lexical: Lexical


_EMPTY = _Index([], [], {}, {}, Lexical([]))


class Retriever:
    """Finds the passages for a question; reloads its lexical state when the store changes."""

    def __init__(self, store: Store, embedder: Embedder, top_k: int = 6, recheck_s: float = 2.0,
                 recency: float = RECENCY):
        self.store, self.embedder, self.top_k = store, embedder, top_k
        self.recency = recency  # Settings.recency_bonus: how far "latest/now" moves the newest coverage up
        self._recheck_s = recheck_s
        self._lock = threading.Lock()
        self._generation = -1
        self._checked = 0.0
        self._index = _EMPTY
        self.refresh(force=True)

    @property
    def ids(self) -> list[str]:
        return self._index.ids

    @property
    def chunks(self) -> list[Chunk]:
        return self._index.chunks

    @property
    def lexical(self) -> Lexical:
        return self._index.lexical

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
            old = self._index.counts
            # chunk ids name their article version, so a chunk seen before has the same text
            counts = {cid: old[cid] if cid in old else term_counts(c.text) for cid, c in pairs}
            ids = [cid for cid, _ in pairs]
            self._index = _Index(ids, [c for _, c in pairs], {cid: i for i, cid in enumerate(ids)}, counts,
                                 Lexical([], counts=[counts[cid] for cid in ids]))
            self._generation = gen
            return True

    @property
    def generation(self) -> int:
        return self._generation

    def search(self, query: str, top_k: int | None = None, embedding: list[float] | None = None,
               asked=None, holds=None, dated=None, prefer_doc: str = "") -> list[Hit]:
        """The top_k passages by reciprocal-rank fusion of dense and BM25 rankings, shaped by what the
        question pins down (`asked`, a rag.understand.Asked): its years and quarters, the names it asks
        about, "latest", "originally"; given `holds` (chunk -> whether it holds an answer of the asked
        kind), by that too. `dated` (chunk -> (years, quarters) its sentences are about, from the stored
        facts) says what a passage is about where its words alone do not ("the third quarter" in
        January 2023 is 2022's). `prefer_doc` (the story an embed sits in) moves that article's passages
        up by PREFER_DOC; other articles stay in the running (the per-article cap still holds)."""
        self.refresh()
        index = self._index
        k = top_k or self.top_k
        pool = max(4 * k, 20)
        emb = embedding if embedding is not None else self.embedder.query(query)
        dense = [(index.pos[cid], sim) for cid, sim in self.store.dense(emb, pool) if cid in index.pos]
        lexical = index.lexical.search(_with_countries(query), pool)
        fused: dict[int, float] = defaultdict(float)
        dense_sim: dict[int, float] = {}
        lex_score: dict[int, float] = {}
        for rank, (i, sim) in enumerate(dense):
            fused[i] += 1.0 / (RRF_K + rank + 1)
            dense_sim[i] = sim
        for rank, (i, s) in enumerate(lexical):
            fused[i] += 1.0 / (RRF_K + rank + 1)
            lex_score[i] = s
        if asked is not None:
            _shape(fused, index.chunks, asked, holds, dated, self.recency)
        for i in fused if prefer_doc else ():
            if index.chunks[i].doc_id == prefer_doc:
                fused[i] += PREFER_DOC * STEP
        ranked = sorted(fused, key=lambda i: -fused[i])
        hits = [Hit(index.chunks[i], fused[i], dense_sim.get(i, 0.0), lex_score.get(i, 0.0))
                for i in _diverse(ranked, index.chunks, k)]
        self._prefetch(hits)
        return hits

    def _prefetch(self, hits: list[Hit]) -> None:
        """Load the stored vectors of the hits' sentences the embedder lacks: the answer step scores
        every sentence by meaning, and embedding them here would cost far more than the question."""
        missing = self.embedder.missing(s for h in hits for s in quotable_sentences(h.chunk.text))
        if missing:
            self.embedder.remember(self.store.sentence_vectors(missing))


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
def _with_countries(query: str) -> str:
    """The query with each country's other names and demonym beside it ("China": "Chinese"): an article
    about "the Chinese market" answers a question about China."""
    extra = {w for x in re.findall(r"\b[A-Z][a-z]+\b", query) for w in country_of(x).split()}
    return f"{query} {' '.join(sorted(extra))}" if extra else query


_REL_YEAR = re.compile(r"\b(last|next|previous|following|this)\s+year\b", re.I)
_RELATIVE = {"last": -1, "previous": -1, "next": 1, "following": 1, "this": 0}
STEP = 1.0 / (RRF_K + 1)  # what one first place in one ranking is worth
PREFER_DOC = 0.5  # in STEPs: as much as naming the asked-about name, so a much better passage elsewhere still wins


def as_of(chunk: Chunk) -> str:
    """The date an article's text stands as of: its update, else its publication (ISO 8601 compares as text)."""
    return max(chunk.published, chunk.updated)


def _shape(fused: dict[int, float], chunks: list[Chunk], asked, holds=None, dated=None,
           recency: float = RECENCY) -> None:
    """Move passages about the question's year, quarter and names up, and those about other years down:
    "the 2021 final" must not be answered from the 2019 report because it ranks higher.
    A passage is about the years it names ("next year" read against its article's date) and the year its
    article was published. "Latest" moves the newest coverage of what is asked about up, "originally"
    the oldest: of the passages about its names and years, not the newest or oldest article in the pool
    (a question about the past is never pushed towards today's coverage)."""
    names = [n for n in (re.sub(r"\s+", " ", _YEAR.sub(" ", e.norm)).strip() for e in asked.entities) if n]
    when = {i: _about(chunks[i], dated) for i in fused} if (asked.years or asked.quarters) else {}
    top = sorted(fused, key=lambda i: -fused[i])[:10]
    about = [i for i in (fused if names else top) if chunks[i].published
             and all(n in f"{chunks[i].title} {chunks[i].text}".casefold() for n in names)
             and (not asked.years or when[i][0] & asked.years)]
    newest = max((as_of(chunks[i]) for i in about), default="") if asked.latest else ""
    oldest = min((chunks[i].published for i in about), default="") if getattr(asked, "earliest", False) else ""
    for i in fused:
        c = chunks[i]
        bonus = 0.0
        if asked.years:
            years = when[i][0]
            # a question naming several years ("in early 2023, up on 2022") is best answered by a passage
            # about all of them: the bonus is the share of the asked years the passage is about
            shared = len(years & asked.years) / len(asked.years)
            bonus += 0.75 * shared if shared else -0.75 if years else 0.0
        if asked.quarters and when[i][1]:
            bonus += 0.5 if any((y is None or y == hy) and q == hq for y, q in asked.quarters
                                for hy, hq in when[i][1]) else -0.5
        if names:
            low = f"{c.title} {c.text}".casefold()
            # "Kessling-Askvik" is named by a passage about trains from Kessling to Askvik
            bonus += 0.5 * sum(n in low or ("-" in n and all(p in low for p in n.split("-") if p))
                               for n in names) / len(names)
        # "which scientist keeps being quoted": the passages quoting a person beat closer-worded ones
        # that name only the council
        if holds is not None and holds(c):
            bonus += 0.5
        if newest and as_of(c) == newest:
            bonus += recency
        if oldest and c.published == oldest:
            bonus += 0.5
        fused[i] += bonus * STEP


def _about(c: Chunk, dated=None) -> tuple[set, set]:
    """(years, quarters) a passage is about: from its stored facts when given, else from its words;
    and always the year its article was published."""
    published = {int(c.published[:4])} if c.published[:4].isdigit() else set()
    if dated is not None:
        found = dated(c)
        if found is not None:
            return set(found[0]) | published, set(found[1])
    years = {int(y) for y in _YEAR.findall(c.text)} | published
    if published:  # "next year" in an article of 2023 is 2024
        years |= {min(published) + _RELATIVE[m.group(1).lower()] for m in _REL_YEAR.finditer(c.text)}
    return years, set()


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
