"""What the store holds and how it was built: the manifest of article versions, the settings
fingerprint and the generation number (both in the `articles` collection's metadata).

Readers in other processes compare the generation to know when to reload; a fingerprint
that differs from the current settings means the store must be rebuilt.
"""
from __future__ import annotations

from .chroma import PAGE, Collection
from .records import record_id


class Manifest:
    def __init__(self, articles: Collection):
        self._articles = articles

    def manifest(self, sigs: bool = False) -> dict[str, dict]:
        """doc_id -> {"version", "pending", "path"} for every article in the store (and "sig", see set_file_sigs)."""
        out = {}
        for _, m in self._articles.pages(include=["metadatas"]):
            out[m["doc_id"]] = {"version": m.get("version", ""), "pending": m.get("pending", ""),
                                "path": m.get("path", "")}
            if sigs:
                out[m["doc_id"]]["sig"] = m.get("file_sig", "")
        return out

    def set_file_sigs(self, sigs: dict[str, str]) -> None:
        """Record the size and modification time of the file each article was read from (doc_id -> sig),
        so the next ingest can pass over files that did not change without reading them."""
        items = list(sigs.items())
        for i in range(0, len(items), PAGE):
            part = items[i:i + PAGE]
            self._articles.update(ids=[record_id(d) for d, _ in part], metadatas=[{"file_sig": s} for _, s in part])

    def meta(self) -> dict:
        return self._articles.metadata

    def dim(self) -> int:
        """The dimension of the chunk vectors (the model's, from the fingerprint)."""
        return int(self.meta().get("dim", 384))

    def fingerprint(self) -> dict:
        return {k: v for k, v in self.meta().items() if k not in ("generation",)}

    def set_fingerprint(self, fp: dict) -> None:
        self._articles.modify(metadata={**fp, "generation": self.generation()})

    def generation(self) -> int:
        """Read from the database each time: another process's ingest bumps it."""
        return int(self._articles.fresh_metadata().get("generation", 0))

    def bump_generation(self) -> int:
        gen = self.generation() + 1
        self._articles.modify(metadata={**self.fingerprint(), "generation": gen})
        return gen
