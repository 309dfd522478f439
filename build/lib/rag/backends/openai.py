"""Drafts from any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp's server, hosted APIs).

Plain httpx (already installed by chromadb and llama-index-core) rather than the
`openai` SDK or llama-index's OpenAILike: we need one streamed POST and the SSE
`data:` lines. The SDK would add retries with back-off (we want a quick fallback,
not a slower failure), its own exception texts (which can carry the server's
reply, and some servers echo the key there) and pydantic objects we would only
unpack again. Here every message is ours and the key is scrubbed from all of them.
"""
from __future__ import annotations

import json
import re
import time
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..config import LLMSettings, Secret
from ..errors import BackendError, RagError
from .chat import ChatBackend

_STATUS_HINTS = {
    401: "the API key was refused; check RAG_LLM_API_KEY",
    403: "access was denied; check RAG_LLM_API_KEY and the model's permissions",
    404: "no chat endpoint there; RAG_LLM_BASE_URL usually ends in /v1",
    429: "rate limited or out of quota; try again later",
}


class OpenAI(ChatBackend):
    name = "openai"

    def __init__(self, settings: LLMSettings, embedder):
        super().__init__(settings, embedder)
        url = (settings.base_url or "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise RagError("The openai backend needs an endpoint: set RAG_LLM_BASE_URL, "
                           "e.g. http://127.0.0.1:8080/v1 (llama.cpp, vLLM and Ollama serve one).")
        key = settings.api_key
        self._key = key.reveal() if isinstance(key, Secret) else str(key or "")
        self._url = url + "/chat/completions"
        self.where = _without_userinfo(url)  # safe to print
        self.timeout = float(settings.timeout)

    def __repr__(self) -> str:
        return f"OpenAI(endpoint={self.where!r}, model={self.settings.model!r})"

    def chat(self, messages: list[dict], max_tokens: int, cites: int = 0) -> Iterator[str]:
        body = {"messages": messages, "max_tokens": max_tokens, "temperature": 0, "seed": 0, "stream": True}
        if self.settings.model:
            body["model"] = self.settings.model
        headers = {"Accept": "text/event-stream"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        deadline = time.monotonic() + self.timeout
        got_text = False
        try:
            # The read timeout bounds each wait for bytes; the deadline bounds a server that drips.
            with httpx.stream("POST", self._url, json=body, headers=headers,
                              timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))) as r:
                if r.status_code != 200:
                    raise BackendError(self._status_message(r))
                if "text/event-stream" not in r.headers.get("content-type", ""):
                    # Some servers ignore stream=true and send one JSON object.
                    raw = b"".join(self._until(deadline, r.iter_bytes()))
                    text = _message_text(_json(raw, self.where), self.where)
                    got_text = bool(text.strip())
                    if got_text:
                        yield text
                else:
                    for piece in _sse_pieces(self._until(deadline, r.iter_lines()), self.where):
                        got_text = got_text or bool(piece.strip())
                        yield piece
        except httpx.TimeoutException:
            raise BackendError(f"{self.where} did not answer within {self.timeout:g}s") from None
        except httpx.HTTPError as e:
            raise BackendError(self._scrub(f"cannot reach {self.where} ({type(e).__name__}: {e})")) from None
        if not got_text:
            raise BackendError(f"{self.where} sent no text")

    def _until(self, deadline: float, items: Iterator) -> Iterator:
        """Pass items through until the deadline: a server that drips bytes or keep-alives still ends."""
        for item in items:
            if time.monotonic() > deadline:
                raise BackendError(f"{self.where} did not finish within {self.timeout:g}s")
            yield item

    def _status_message(self, r: httpx.Response) -> str:
        try:
            detail = r.read().decode("utf-8", "replace")
        except httpx.HTTPError:
            detail = ""
        hint = _STATUS_HINTS.get(r.status_code, "the server failed" if r.status_code >= 500 else "request refused")
        detail = re.sub(r"\s+", " ", detail).strip()[:200]
        return self._scrub(f"{self.where} answered HTTP {r.status_code}: {hint}" + (f" ({detail})" if detail else ""))

    def _scrub(self, text: str) -> str:
        """Remove the key (and anything shaped like a bearer token) from a message."""
        if self._key:
            text = text.replace(self._key, "***")
        return re.sub(r"\b(sk|pk|rk)-[A-Za-z0-9_\-*]{6,}", "***", text)


def _sse_pieces(lines: Iterator[str], where: str) -> Iterator[str]:
    for line in lines:
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        data = line[5:].strip()
        if data == "[DONE]":
            return
        event = _json(data.encode(), where)
        if isinstance(event, dict) and event.get("error"):
            raise BackendError(f"{where} reported an error while answering")
        try:
            delta = event["choices"][0].get("delta") or {}
        except (KeyError, IndexError, TypeError, AttributeError):
            raise BackendError(f"{where} sent a malformed stream event") from None
        text = delta.get("content") if isinstance(delta, dict) else None
        if text:
            if not isinstance(text, str):
                raise BackendError(f"{where} sent a malformed stream event")
            yield text


def _message_text(obj, where: str) -> str:
    try:
        text = obj["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise BackendError(f"{where} sent a reply without choices[0].message.content") from None
    if not isinstance(text, str):
        raise BackendError(f"{where} sent a reply without text")
    return text


def _json(raw: bytes, where: str):
    try:
        return json.loads(raw)
    except ValueError:
        raise BackendError(f"{where} sent malformed JSON") from None


def _without_userinfo(url: str) -> str:
    u = urlsplit(url)
    if u.username or u.password:
        host = u.hostname or ""
        return urlunsplit((u.scheme, host + (f":{u.port}" if u.port else ""), u.path, u.query, u.fragment))
    return url
