"""The sentence-vector table: the vectors of quotable sentences, so asking runs the model on the
question alone.

Keyed by the sentence text (same text, same model, same vector), so a missing or stale
row costs only speed: the answer step embeds what it does not find. A store written
before this collection existed simply has none.
"""
from __future__ import annotations

import hashlib
import logging

from .chroma import PAGE, Chroma, Collection

SENTENCES = "sentences"
log = logging.getLogger(__name__)


def sentence_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:24]


class Sentences:
    def __init__(self, db: Chroma):
        self._db = db
        self._col: Collection | None = None

    def forget(self) -> None:
        """The collection was dropped (a rebuild): fetch it again when next needed."""
        self._col = None

    def _table(self, create: bool = False) -> Collection | None:
        if self._col is None:
            self._col = self._db.collection(SENTENCES, create=create, required=False)
        return self._col

    def put(self, rows: list[tuple[str, str, str, list[float]]]) -> None:
        """Keep rows of (doc_id, version, text, vector)."""
        unique = {sentence_key(t): (d, v, e) for d, v, t, e in rows}  # a sentence two articles share: once
        ids = list(unique)
        if not ids:
            return
        col = self._table(create=True)
        for i in range(0, len(ids), PAGE):
            part = ids[i:i + PAGE]
            col.upsert(ids=part, embeddings=[unique[k][2] for k in part],
                       metadatas=[{"doc_id": unique[k][0], "version": unique[k][1]} for k in part])

    def prune(self, doc_id: str, keep_version: str = "") -> None:
        """Drop an article's sentence vectors from versions other than `keep_version` (all, if empty)."""
        col = self._table()
        if col is None:
            return
        where = {"doc_id": doc_id} if not keep_version else \
            {"$and": [{"doc_id": doc_id}, {"version": {"$ne": keep_version}}]}
        col.delete(where=where)

    def vectors(self, texts: list[str]) -> dict[str, list[float]]:
        """Stored vectors for those of `texts` that have one; on a failure none (only speed is lost)."""
        import numpy as np

        keys = {sentence_key(t): t for t in texts}
        if not keys:
            return {}
        try:
            col = self._table()
            res = col.get(ids=list(keys), include=["embeddings"]) if col is not None else None
        except Exception as e:  # noqa: BLE001 - a cache: answering goes on, embedding the sentences itself
            log.warning("stored sentence vectors unavailable, embedding %d sentences instead (%s: %s)",
                        len(keys), type(e).__name__, e)
            return {}
        if not res or not res["ids"]:
            return {}
        return {keys[i]: v for i, v in zip(res["ids"], np.asarray(res["embeddings"], dtype=np.float32).tolist())}
