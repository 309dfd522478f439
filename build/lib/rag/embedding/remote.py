"""An OpenAI-compatible `/v1/embeddings` service as the encoder (RAG_EMBED_URL).

For archives and traffic past one machine: Infinity, text-embeddings-inference, vLLM or
`rag embed-serve` serve the same model to many app replicas. Requests are batched, time out,
and are retried with backoff on connection errors, 429 and 5xx; anything else fails at once.
"""
from __future__ import annotations

import time

import numpy as np

from ..config import Secret
from ..errors import EmbedServiceError
from ..sanitize import for_log
from .encoders import Encoder

RETRIES = 3
BATCH = 64  # texts per request: large enough to amortise the round trip, small enough for any server's cap


class RemoteEncoder(Encoder):
    def __init__(self, base_url: str, model: str, api_key: Secret | None = None, timeout: float = 30.0,
                 backoff: float = 0.25):
        import httpx

        self.backoff = backoff  # first wait between attempts; doubles, at most 4 s
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.tag = f"remote:{model}"
        headers = {"Authorization": f"Bearer {api_key.reveal()}"} if api_key else {}
        # One pooled client for all request threads (httpx.Client is thread-safe).
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0), headers=headers)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = [self._post(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)]
        return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)

    def _post(self, batch: list[str]) -> np.ndarray:
        import httpx

        detail = ""
        for attempt in range(RETRIES + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 4.0))
            try:
                r = self._client.post(self.url, json={"model": self.model, "input": batch})
            except httpx.HTTPError as e:
                detail = type(e).__name__
                continue
            if r.status_code == 429 or r.status_code >= 500:
                detail = f"HTTP {r.status_code}"
                continue
            if r.status_code != 200:
                raise EmbedServiceError(self.url, f"HTTP {r.status_code}: {for_log(r.text, 200)}")
            return self._vectors(r, len(batch))
        raise EmbedServiceError(self.url, f"{detail} after {RETRIES + 1} attempts")

    def _vectors(self, r, n: int) -> np.ndarray:
        try:
            data = sorted(r.json()["data"], key=lambda d: d["index"])
            v = np.asarray([d["embedding"] for d in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError):
            raise EmbedServiceError(self.url, "its reply is not an OpenAI embeddings response") from None
        if v.ndim != 2 or len(v) != n:
            raise EmbedServiceError(self.url, f"{len(v)} vectors for {n} texts")
        # Not every server normalises; retrieval and the sentence cache assume unit vectors.
        return v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
