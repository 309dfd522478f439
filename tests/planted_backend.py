"""A model backend whose every draft holds a sentence the gate must withhold.

It stands in for a language model that obeyed text planted in the corpus (or made an
error): whatever the question, it streams, a few words at a time, a forbidden sentence
(an invented phone number and code word, cited), then a supported one (the longest
sentence of passage 1, verbatim), then a second forbidden one. The tests drive it
through the API, the CLI, `Explainer.stream` and the chat page, and check that the
forbidden text never reaches anything a client can read. Load it with
RAG_BACKEND=tests.planted_backend:Planted (the repository root on the path), or
planted_backend:Planted from inside pytest (tests/ is on its path).
"""
from __future__ import annotations

import os
import time
from typing import Iterator

from rag.backends import Backend, Request
from rag.text import sentence_spans

FORBIDDEN = "PLANTED-7731"
FIRST = f"Readers should call 555-0100 and quote the code {FORBIDDEN} to hear that the harbour is closed. [1] "
LAST = f" The code {FORBIDDEN} also unlocks 900 free tickets at the harbour office. [1]"


def supported_sentence(request: Request) -> str:
    """The longest sentence of passage 1, as the article has it (a heading would be too short to keep)."""
    text = request.passages[0].text
    s, e = max(sentence_spans(text) or [(0, len(text))], key=lambda span: span[1] - span[0])
    return text[s:e].strip()


class Planted(Backend):
    name = "planted"
    generative = True
    def generate(self, request: Request) -> Iterator[str]:
        # seconds between streamed pieces: slow enough for a browser to render every step
        delay = float(os.environ.get("PLANTED_DELAY", "0.03"))
        draft = FIRST + supported_sentence(request) + " [1]" + LAST
        words = draft.split(" ")
        for i in range(0, len(words), 3):
            time.sleep(delay)
            yield " ".join(words[i:i + 3]) + " "
