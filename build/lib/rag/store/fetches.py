"""What the last fetch of each URL returned (ETag, Last-Modified, the article or the entries it led
to), so the next `rag ingest URL` asks conditionally and an unchanged page costs one 304.

Written only after the articles it describes are stored: a crash in between costs a full fetch
next time, never an article. Dropped with everything else on a rebuild.
"""
from __future__ import annotations

import hashlib
import json

from .chroma import PAGE, Chroma, Collection

FETCHES = "fetches"
_FIELDS = ("url", "etag", "modified", "kind", "doc_id")


class Fetches:
    def __init__(self, db: Chroma):
        self._db = db
        self._col: Collection | None = None

    def forget(self) -> None:
        """The collection was dropped (a rebuild): fetch it again when next needed."""
        self._col = None

    def _table(self, create: bool = False) -> Collection | None:
        if self._col is None:
            self._col = self._db.collection(FETCHES, create=create, required=False)
        return self._col

    def all(self) -> dict[str, dict]:
        """url -> {"etag", "modified", "kind", "doc_id", "children"} for every URL fetched before; "children":
        what a feed or sitemap listed, {"pages": [entry, ...], "sitemaps": [url, ...]}."""
        col = self._table()
        if col is None:
            return {}
        out = {}
        for _, m, doc in col.pages(include=["metadatas", "documents"]):
            out[m["url"]] = {**{k: m.get(k, "") for k in _FIELDS}, "children": json.loads(doc or "{}")}
        return out

    def put(self, rows: list[dict]) -> None:
        """Remember rows of {"url", "etag", "modified", "kind", "doc_id", "children"?}."""
        unique = {hashlib.sha1(r["url"].encode("utf-8")).hexdigest()[:24]: r for r in rows}
        if not unique:
            return
        col = self._table(create=True)
        ids = list(unique)
        for i in range(0, len(ids), PAGE):
            part = ids[i:i + PAGE]
            col.upsert(ids=part, embeddings=[[0.0]] * len(part),
                       documents=[json.dumps(unique[k].get("children", {}), ensure_ascii=False) for k in part],
                       metadatas=[{f: str(unique[k].get(f, "")) for f in _FIELDS} for k in part])
