"""The Chroma adapter: the only code that calls chromadb.

Every chromadb failure is turned into the error that says what to do (disk full,
read-only, server down, damaged folder) here, once: the rest of the store calls
`Collection` methods, which cannot let a chromadb exception through.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

from .. import _offline  # noqa: F401
from ..errors import DiskFull, RagError, StoreCorrupt, StoreNotFound, StoreReadOnly, StoreUnavailable

PAGE = 5000  # ids per database call: bounds the size of one request
# Mistakes in our own calls: never hidden behind a store error.
_OURS = (RagError, TypeError, ValueError, KeyError)


class Chroma:
    """One store's chromadb client: an embedded folder (`where` is its path) or a server (`url`)."""

    def __init__(self, client, where: str, url: str = ""):
        self._client, self.where, self.url = client, where, url

    @classmethod
    def connect(cls, path: Path | str = "", url: str = "", create: bool = False) -> "Chroma":
        """The client of a store; a missing embedded store is an error unless `create`."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            u = urlparse(url)
            if not u.hostname:
                raise RagError(f"RAG_CHROMA_URL={url!r} is not a URL; use e.g. http://127.0.0.1:8000")
            try:
                client = chromadb.HttpClient(host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                                             ssl=u.scheme == "https", settings=chroma_settings)
                client.heartbeat()
            except Exception as e:  # noqa: BLE001 - whatever the transport raises, the server is not there
                raise StoreUnavailable(url, type(e).__name__) from None
            return cls(client, url, url)
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
        except Exception as e:  # noqa: BLE001 - chromadb raises many types for a damaged folder
            forget_client(path)
            if _free_bytes(path) < 1_000_000:
                raise DiskFull(str(path)) from None
            raise StoreCorrupt(str(path), f"{type(e).__name__}: {e}") from None
        return cls(client, str(path))

    def collection(self, name: str, create: bool = False, cosine: bool = False,
                   required: bool = True) -> "Collection | None":
        """A collection; only a writer may create one (never an empty store by accident).
        A missing one is an error if `required`, else None."""
        handle = self.fetch(name, create, cosine, required)
        if handle is None:
            return None
        # an optional collection opened for writing comes back if a rebuild dropped it; ours never do
        return Collection(self, name, handle, recreate=create and not required, cosine=cosine)

    def fetch(self, name: str, create: bool = False, cosine: bool = False, required: bool = True):
        """The chromadb handle of `name`; None if there is no such collection and it is not `required`."""
        try:
            if create:
                return self._client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}} if cosine else None)
            return self._client.get_collection(name, embedding_function=None)
        except Exception as e:  # noqa: BLE001
            if not _not_found(e):
                raise self.explain(e) from None
            if required:
                raise self.missing() from None
            return None

    def drop(self, name: str) -> None:
        """Delete a collection; one that is not there is fine."""
        try:
            self._client.delete_collection(name)
        except Exception as e:  # noqa: BLE001
            if not _not_found(e):
                raise self.explain(e) from None

    def missing(self) -> RagError:
        if self.url:
            return StoreNotFound(self.url, f"RAG_CHROMA_URL={self.url} rag ingest corpus/")
        return StoreCorrupt(self.where, "it holds no article collections")

    def stale(self, e: Exception) -> bool:
        """A handle another process made stale (it rebuilt the store: new collection ids), or a lost
        connection to the server: worth fetching the handle again, once."""
        return _not_found(e) or bool(self.url and _is_connection_error(e))

    def explain(self, e: Exception) -> RagError:
        """The error that says what to do about a chromadb failure (disk full, read-only, server down)."""
        msg = f"{type(e).__name__}: {e}"
        if self.url:
            if _is_connection_error(e):
                return StoreUnavailable(self.url, type(e).__name__)
            return StoreCorrupt(self.where, msg[:300])
        if getattr(e, "errno", None) == errno.ENOSPC or re.search(r"disk is full|no space left", msg, re.I) \
                or _free_bytes(self.where) < 1_000_000:
            return DiskFull(self.where)
        if getattr(e, "errno", None) in (errno.EROFS, errno.EACCES) or "readonly database" in msg \
                or not os.access(self.where, os.W_OK):
            return StoreReadOnly(self.where)
        return StoreCorrupt(self.where, msg[:300])


class Collection:
    """A chromadb collection whose every call goes through `_call`: failures come out as our errors,
    and a stale handle is fetched again once. Methods take chromadb's keyword arguments."""

    def __init__(self, db: Chroma, name: str, handle, recreate: bool = False, cosine: bool = False):
        self._db, self.name, self._handle = db, name, handle
        self._recreate, self._cosine = recreate, cosine

    def _call(self, op: str, **kw):
        try:
            try:
                return getattr(self._handle, op)(**kw)
            except Exception as e:  # noqa: BLE001
                if not self._db.stale(e):
                    raise
                self._handle = self._db.fetch(self.name, self._recreate, self._cosine)
                return getattr(self._handle, op)(**kw)
        except _OURS:
            raise
        except Exception as e:  # noqa: BLE001 - chromadb raises many types; each becomes one of ours
            raise self._db.explain(e) from None

    def get(self, **kw) -> dict:
        return self._call("get", **kw)

    def upsert(self, **kw) -> None:
        self._call("upsert", **kw)

    def update(self, **kw) -> None:
        self._call("update", **kw)

    def delete(self, **kw) -> None:
        self._call("delete", **kw)

    def query(self, **kw) -> dict:
        return self._call("query", **kw)

    def peek(self, limit: int = 1) -> dict:
        return self._call("peek", limit=limit)

    def count(self) -> int:
        return self._call("count")

    def modify(self, metadata: dict) -> None:
        self._call("modify", metadata=metadata)

    @property
    def metadata(self) -> dict:
        """The metadata as of the last fetch or `modify` of this handle (no database call)."""
        return dict(self._handle.metadata or {})

    def fresh_metadata(self) -> dict:
        """The metadata as the database has it now (another process may have changed it)."""
        return dict(self._db.fetch(self.name).metadata or {})

    def pages(self, include: list[str]):
        """Every row as (id, metadata) or, with "documents" in `include`, (id, metadata, document)."""
        offset = 0
        while True:
            res = self.get(include=include, limit=PAGE, offset=offset)
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


def forget_client(path: Path) -> None:
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


def _not_found(e: Exception) -> bool:
    return type(e).__name__ == "NotFoundError"


def _is_connection_error(e: Exception) -> bool:
    names = {t.__name__ for t in type(e).__mro__}
    return bool(names & {"ConnectError", "ConnectionError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError",
                         "ReadError", "WriteError", "TimeoutException", "NetworkError"}) \
        or "Could not connect" in str(e)
