"""Explainer chatbot for news readers: cited answers from a newsroom's coverage.

    from rag import Explainer
    bot = Explainer.open()                      # the store under data/store (or RAG_STORE)
    answer = bot.ask("What is Anthropic accusing Alibaba of?")
    print(answer.answer, answer.citations[0].quote)
"""
from . import _offline  # noqa: F401  (must run before any model library is imported)
from .config import Settings
from .errors import RagError
from .explainer import Explainer
from .types import Answer, Citation, Turn

__all__ = ["Answer", "Citation", "Explainer", "RagError", "Settings", "Turn"]
