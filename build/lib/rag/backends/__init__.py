"""Answer backends: each writes a draft from numbered passages; the checker decides what is shown.

A backend is one subclass of `Backend` in one file, plus one line in `BACKENDS`.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..config import LLMSettings, Settings
from ..errors import RagError
from ..question import condense
from ..types import Chunk, Hit, Turn

REFUSAL = "The coverage I have does not answer that."

BACKENDS = {
    "extractive": "rag.backends.extractive:Extractive",
    "llamacpp": "rag.backends.llamacpp:LlamaCpp",
    "openai": "rag.backends.openai:OpenAI",
}


@dataclass(frozen=True)
class Request:
    """Everything a backend may use to draft an answer."""

    question: str  # as the reader asked it (cleaned)
    query: str  # standalone form used for retrieval (follow-ups resolved)
    hits: list[Hit]
    history: list[Turn] = field(default_factory=list)
    query_embedding: list[float] | None = None
    idf: Callable[[str], float] = lambda term: 1.0  # corpus statistics, for backends that want them
    in_corpus: Callable[[str], bool] = lambda term: True
    asked: Any = None  # rag.understand.Asked: the kind of answer wanted and its constraints
    # doc_id -> (article text, rag.facts.ArticleFacts), both None when unknown: a sentence's context
    article: Callable[[str], tuple] = lambda doc_id: (None, None)
    notes: list = field(default_factory=list)  # what the backend says about its choice (goes to the trace)

    @property
    def passages(self) -> list[Chunk]:
        return [h.chunk for h in self.hits]


class Backend(ABC):
    """Turns a request into a draft answer whose sentences cite passages as [n] (1-based)."""

    name = "base"
    generative = False  # True when a language model writes the draft (it may invent; the checker decides)

    def __init__(self, settings: LLMSettings, embedder):
        self.settings = settings  # only the model backends' part: `load_backend` gives `Settings.llm`
        self.embedder = embedder

    @abstractmethod
    def generate(self, request: Request) -> Iterator[str]:
        """Yield the draft in pieces (one piece is fine); yield REFUSAL when the passages do not answer."""

    def condense(self, question: str, history: list[Turn]) -> str:
        """The standalone form of a follow-up, used for retrieval (model backends ask the model)."""
        return condense(question, history)


def load_backend(name: str, settings: Settings, embedder) -> Backend:
    """Instantiate a backend by registry name, or a `package.module:Class` of your own, with the
    model part of `settings`."""
    if name not in BACKENDS and ":" not in name:
        raise RagError(f"Unknown backend {name!r}. Choose one of: {', '.join(sorted(BACKENDS))}, "
                       "or name your own as package.module:Class.")
    module, _, cls = BACKENDS.get(name, name).partition(":")
    try:
        found = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise RagError(f"Cannot load the backend {name!r} ({e}). Check that the module is importable "
                       "and defines that class.") from None
    if not (isinstance(found, type) and issubclass(found, Backend)):
        raise RagError(f"{name!r} is not a Backend subclass (see rag/backends/__init__.py).")
    return found(settings.llm, embedder)
