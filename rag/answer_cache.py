"""Answers to repeated questions, kept until the store changes.

Readers click the same example questions and ask the same things about a story; under load
most requests repeat. An answer is a pure function of (question, conversation, passages asked
for, backend, the embed's story, store generation), so it is reused for exactly that key and dropped as soon as an
ingest bumps the generation. Answers a model failure produced are never kept (the next request
should try the model again).
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from .types import Answer, Turn


class AnswerCache:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[tuple, Answer] = OrderedDict()
        self._generation = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(question: str, turns: list[Turn], top_k: int | None, backend: str, scope: str = "") -> tuple:
        # whitespace and case do not change what is asked; the conversation and the embed's story do
        return (" ".join(question.split()).casefold(), tuple((t.question, t.answer) for t in turns), top_k, backend,
                scope)

    def get(self, key: tuple, generation: int) -> Answer | None:
        if not self.size:
            return None
        with self._lock:
            if generation != self._generation:
                self._items.clear()
                self._generation = generation
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return copy.deepcopy(found)  # callers set latency and may edit; the kept one stays as computed

    def put(self, key: tuple, generation: int, answer: Answer) -> None:
        if not self.size:
            return
        kept = copy.deepcopy(answer)
        with self._lock:
            if generation != self._generation:
                return  # an ingest landed while this was computed: it may already be stale
            self._items[key] = kept
            while len(self._items) > self.size:
                self._items.popitem(last=False)
