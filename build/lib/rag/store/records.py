"""Articles and their chunks: the `articles` collection holds each article's full text and metadata
(what citations are checked against), `chunks` one embedded passage each.

Writes are ordered so that a crash at any point leaves each article in its old or
its new state: an article record names the chunk version readers may use, and is
switched only after the new chunks are written (see `Records.put`).
"""
from __future__ import annotations

import hashlib
import json
from typing import Callable

from ..types import Article, Chunk, QAPair, StoredArticle
from .chroma import PAGE, Collection


def record_id(doc_id: str) -> str:
    return hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:20]


def chunk_id(doc_id: str, version: str, index: int) -> str:
    return f"{record_id(doc_id)}:{version[:12]}:{index}"


class Records:
    """Reads and crash-safe writes of article records and chunks. `manifest()` is the store's
    doc_id -> {"version", "pending", "path"} (see manifest.py)."""

    def __init__(self, articles: Collection, chunks: Collection, manifest: Callable[[], dict[str, dict]]):
        self._articles, self._chunks, self._manifest = articles, chunks, manifest

    # ------------------------------------------------------------------ writing

    def put(self, items: list[tuple[Article, str, list[Chunk], list[list[float]]]]) -> list[str]:
        """Replace the chunks of many (article, version, chunks, embeddings) so that readers see each
        article's old or new version, never a mix:

        1. mark the records pending (readers keep using the old version)
        2. write the new chunks under new ids
        3. switch the records to the new version
        4. delete the old chunks, clear the pending marks
        Each step is one or two database calls for all articles, so a bulk ingest is not bound by round
        trips. A crash between steps leaves pending marks that `recover` cleans up.
        Returns the doc_ids that replaced an earlier version."""
        if not items:
            return []
        rids = [record_id(a.doc_id) for a, *_ in items]
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
        for i in range(0, len(rows), PAGE):
            part = rows[i:i + PAGE]
            self._chunks.upsert(ids=[r[0] for r in part], embeddings=[r[1] for r in part],
                                documents=[r[2] for r in part], metadatas=[r[3] for r in part])
        # 3. switch the records
        for i in range(0, len(items), PAGE):
            part = list(zip(rids, items))[i:i + PAGE]
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

    def remove(self, doc_id: str) -> None:
        self._chunks.delete(where={"doc_id": doc_id})
        self._articles.delete(ids=[record_id(doc_id)])

    def recover(self, manifest: dict | None = None) -> list[str]:
        """Finish or undo writes a crash interrupted; returns the doc_ids touched.

        `manifest`: one the caller just read, to save reading every record again."""
        touched = []
        for doc_id, m in (manifest if manifest is not None else self._manifest()).items():
            if m["pending"]:
                touched.append(doc_id)
                self._chunks.delete(where={"$and": [{"doc_id": doc_id}, {"version": {"$ne": m["version"] or "\x00"}}]})
                rid = record_id(doc_id)
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
        versions = {d: m["version"] for d, m in self._manifest().items()}
        out = []
        for cid, meta, doc in self._chunks.pages(include=["metadatas", "documents"]):
            if versions.get(meta.get("doc_id")) == meta.get("version"):
                out.append((cid, Chunk(
                    doc_id=meta["doc_id"], index=int(meta["index"]), text=doc, start=int(meta["start"]),
                    end=int(meta["end"]), section=meta.get("section", ""), title=meta.get("title", ""),
                    url=meta.get("url", ""), published=meta.get("published", ""), updated=meta.get("updated", ""),
                    correction=meta.get("correction", ""))))
        return out

    def article(self, doc_id: str) -> StoredArticle | None:
        res = self._articles.get(ids=[record_id(doc_id)], include=["metadatas", "documents"])
        if not res["ids"]:
            return None
        return _stored(res["metadatas"][0], res["documents"][0])

    def articles(self) -> list[StoredArticle]:
        return [_stored(m, d) for _, m, d in self._articles.pages(include=["metadatas", "documents"])]

    def count(self) -> dict:
        return {"articles": self._articles.count(), "chunks": self._chunks.count()}


def _chunk_meta(c: Chunk, version: str) -> dict:
    return {"doc_id": c.doc_id, "index": c.index, "start": c.start, "end": c.end, "section": c.section,
            "title": c.title, "url": c.url, "published": c.published, "updated": c.updated,
            "correction": c.correction, "version": version}


def _article_meta(a: Article, version: str, pending: str) -> dict:
    return {"doc_id": a.doc_id, "title": a.title, "url": a.url, "published": a.published,
            "updated": a.updated, "byline": a.byline, "source": a.source, "dek": a.dek, "path": a.path,
            "section": a.section, "language": a.language, "correction": a.correction,
            "version": version, "pending": pending,
            "faq": json.dumps([[p.question, p.answer, p.q_start, p.a_start] for p in a.faq]), "facts": a.facts}


def _stored(m: dict, text: str) -> StoredArticle:
    faq = tuple(QAPair(q, a, int(qs), int(as_)) for q, a, qs, as_ in json.loads(m.get("faq") or "[]"))
    return StoredArticle(doc_id=m["doc_id"], title=m.get("title", ""), text=text or "", url=m.get("url", ""),
                         published=m.get("published", ""), version=m.get("version", ""), faq=faq,
                         path=m.get("path", ""), dek=m.get("dek", ""), facts=m.get("facts", ""),
                         updated=m.get("updated", ""), correction=m.get("correction", ""),
                         byline=m.get("byline", ""), section=m.get("section", ""), language=m.get("language", ""))
