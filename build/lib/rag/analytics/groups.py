"""Questions grouped by meaning: the most-asked questions and the coverage gaps (refused ones).

    groups = group(rows, QuestionVectors(embedder.documents))

Greedy, by cosine similarity of the question embeddings (the model that answers
them): wordings are taken most asked first; each joins the first group whose
leading wording is at least SIMILAR to it, or leads a new group. Same-looking
wordings (case, spacing, final punctuation) count as one before any model runs.
"""
from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

import numpy as np

from .questions import Asked

# all-MiniLM-L6-v2: rewordings of one question score about 0.87-0.97 ('Will Alibaba sue Anthropic?',
# 'Is Alibaba going to take Anthropic to court?': 0.87), different questions about one story up to
# about 0.83 ('... sue ...?', 'What is Anthropic accusing Alibaba of?'); tests/test_analytics.py has both.
SIMILAR = 0.85
MAX_EMBEDDED = 3000  # wordings embedded per view; rarer ones (asked once, mostly) stay groups of their own
MAX_WORDINGS = 5  # shown per group


@dataclass(frozen=True)
class Group:
    """Questions that ask the same thing: the most asked wording leads."""

    question: str
    count: int
    refused: int
    wordings: tuple[tuple[str, int], ...]  # (wording, times asked), most asked first
    articles: tuple[str, ...]  # articles the answers cited or the embeds were on
    last: int  # unix minute of the latest

    def to_dict(self) -> dict:
        d = asdict(self)
        d["wordings"] = [{"question": q, "count": n} for q, n in self.wordings]
        d["articles"] = list(self.articles)
        return d


def same(text: str) -> str:
    """What two wordings must share to count as one without the model."""
    return re.sub(r"\s+", " ", text).strip().rstrip("?!. ").casefold()


class QuestionVectors:
    """Question vectors from `documents` (a batch embedding function), remembered across views."""

    def __init__(self, documents: Callable[[list[str]], list[list[float]]], size: int = 20000):
        self.documents, self.size = documents, size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        found = {}
        for i in range(0, len(missing), 256):
            part = missing[i:i + 256]
            for t, v in zip(part, self.documents(part)):
                v = np.asarray(v, dtype=np.float32)
                found[t] = v / (np.linalg.norm(v) or 1.0)
        with self._lock:
            self._cache.update(found)
            out = np.stack([found.get(t) if t in found else self._cache[t] for t in texts]) if texts else \
                np.zeros((0, 1), np.float32)
            for t in texts:
                self._cache.move_to_end(t)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return out


def group(rows: Iterable[Asked], vectors: Callable[[list[str]], np.ndarray], threshold: float = SIMILAR) -> list[Group]:
    """The rows' questions grouped by meaning, largest group first."""
    rows = list(rows)
    by_key: dict[str, list[Asked]] = {}
    for r in rows:
        by_key.setdefault(same(r.question), []).append(r)
    # most asked first; ties by first asked, so the order (and so each group's leader) is stable
    keys = sorted(by_key, key=lambda k: -len(by_key[k]))
    embedded = keys[:MAX_EMBEDDED]
    members: list[list[str]] = []
    if embedded:
        wording = [_wording(by_key[k]) for k in embedded]
        vecs = vectors(wording)
        leaders: list[int] = []
        for i in range(len(embedded)):
            if leaders:
                sims = vecs[leaders] @ vecs[i]
                best = int(np.argmax(sims))
                if sims[best] >= threshold:
                    members[best].append(embedded[i])
                    continue
            leaders.append(i)
            members.append([embedded[i]])
    members += [[k] for k in keys[MAX_EMBEDDED:]]
    groups = [_group([by_key[k] for k in ks]) for ks in members]
    return sorted(groups, key=lambda g: (-g.count, -g.last))


def gaps(rows: Iterable[Asked], vectors, threshold: float = SIMILAR) -> list[Group]:
    """Refused questions grouped by meaning, most frequent first: what the coverage does not answer."""
    return group([r for r in rows if r.refused], vectors, threshold)


def _wording(rows: list[Asked]) -> str:
    """The most used spelling of one wording (the latest on a tie)."""
    return Counter(r.question.strip() for r in reversed(rows)).most_common(1)[0][0]


def _group(parts: list[list[Asked]]) -> Group:
    flat = [r for p in parts for r in p]
    wordings = tuple((_wording(p), len(p)) for p in parts)
    articles = Counter(a for r in flat for a in ((r.article,) if r.article else ()) + r.cited)
    return Group(question=wordings[0][0], count=len(flat), refused=sum(r.refused for r in flat),
                 wordings=wordings[:MAX_WORDINGS], articles=tuple(a for a, _ in articles.most_common(5)),
                 last=max(r.asked for r in flat))
