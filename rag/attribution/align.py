"""How much of a sentence is in the passage: lexical recall, aligned words (synonyms by word vectors), similarity."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from .. import lexicon, nlp
from ..text import STOPWORDS, content_terms, numbers, sentence_spans, stem

MIN_COVERAGE = 0.6  # share of content words aligned (lexically or as synonyms) when the claims align
SYNONYM = 0.62  # cosine of two words' vectors above which they may stand for each other
ARG_SYNONYM = 0.7  # the same for a claim's subject/object head nouns
# Sentence-vector cosine with a span of the passage, and share of words aligned, that make an uncontradicted
# sentence a paraphrase. Calibrated on the hand set's dev rows and SummEdits' evaluation split (0.75 / 0.5
# before): faithful kept 70.5 -> 75.7% for one more unfaithful row accepted (a wrong passage at 0.73).
PARAPHRASE = 0.65
PARAPHRASE_COVERAGE = 0.4
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"}

Embed = Callable[[list[str]], list]


def content_tokens(a: nlp.Analysis) -> list[nlp.Token]:
    return [t for t in a.tokens if t.pos in CONTENT_POS and not t.stop and t.text.lower() not in STOPWORDS
            and t.lemma not in STOPWORDS and any(ch.isalnum() for ch in t.text)]


def cues(a: nlp.Analysis) -> set[str]:
    return {c.cue for c in a.claims if c.cue} | {w for c in a.claims if c.cue == "according to" for w in ("according",)}


def recall(sentence, passage, s, p, aligned) -> float:
    """The lexical check's recall; once the claims align, the sentence's own reporting verbs do not count
    (its stance was compared with the passage's, "claims" for "said")."""
    terms = set(content_terms(sentence))
    if aligned:
        terms -= {stem(c) for c in cues(s)} | {stem(t.text) for t in s.tokens if t.lemma in cues(s)}
    ev = set(content_terms(passage))
    return len(terms & ev) / len(terms) if terms else 1.0


def coverage(s, p, sims: "Sims", aligned) -> float:
    mine = [t for t in content_tokens(s) if not (aligned and t.lemma in cues(s))]
    if not mine:
        return 1.0
    theirs = content_tokens(p)
    have = {t.lemma for t in theirs} | {stem(t.text) for t in theirs}
    left = [t for t in mine if t.lemma not in have and stem(t.text) not in have]
    if left and sims.embed:
        vocab = sorted({t.lemma for t in theirs})
        best = sims.best([t.lemma for t in left], vocab)
        left = [t for t, b in zip(left, best) if b < SYNONYM]
    return 1 - len(left) / len(mine)


def sentence_similarity(sentence: str, passage: str, sims: "Sims") -> float:
    """Cosine of the sentence's vector with the closest span of the passage (each sentence, and the whole)."""
    spans = [passage[a:b] for a, b in sentence_spans(passage)]
    windows = list(dict.fromkeys(spans + [" ".join(spans[i:i + 2]) for i in range(len(spans) - 1)] + [passage]))
    v = sims.vectors([sentence] + windows)
    return float((v[1:] @ v[0]).max())


class Sims:
    """Word similarities through the embedding model, vectors remembered across calls."""

    _vectors: "OrderedDict[str, object]" = OrderedDict()
    _lock = threading.Lock()

    def __init__(self, embed: Embed | None, names: set[str] = frozenset(), speakers: set[str] = frozenset()):
        self.embed, self.names = embed, names
        self.speakers = {x for x in speakers if x not in names}  # the passage's speakers that are descriptions

    def is_name(self, arg: str) -> bool:
        return arg in self.names or any(lexicon.country_of(w) for w in arg.split())

    def vectors(self, words: list[str]):
        import numpy as np

        with self._lock:
            missing = [w for w in dict.fromkeys(words) if w not in self._vectors]
        if missing:
            got = self.embed(missing)
            with self._lock:
                for w, v in zip(missing, got):
                    self._vectors[w] = np.asarray(v, dtype=np.float32)
                while len(self._vectors) > 50000:
                    self._vectors.popitem(last=False)
        with self._lock:
            return np.stack([self._vectors[w] for w in words])

    def prefetch(self, words) -> None:
        """Embed these words in one call (one model run instead of one per comparison)."""
        words = [w for w in dict.fromkeys(words) if w]
        if self.embed and words:
            self.vectors(words)

    def same_word(self, a: str, b: str, threshold: float) -> bool:
        if a == b or stem(a) == stem(b):
            return True
        if not self.embed or not a or not b:
            return False
        va, vb = self.vectors([a, b])
        return float(va @ vb) >= threshold

    def best(self, words: list[str], vocab: list[str]) -> list[float]:
        if not vocab:
            return [0.0] * len(words)
        m = self.vectors(words) @ self.vectors(vocab).T
        return [float(x) for x in m.max(axis=1)]



def locate(sentence: str, passage: str, most: int = 3, embed: Embed | None = None) -> str:
    """The passage sentences a sentence draws on, in passage order. Checks run against these, not against
    everything the passage says elsewhere: a whole article contains "not", "increase" and most names.

    The first is the one that shares most of the sentence's content words (a figure counts twice: numbers
    are rarely borrowed from elsewhere), plus, with `embed` and when none shares half of them, its vector's
    cosine with the sentence's (a paraphrase shares meaning more than words). Then (up to `most`) any other that brings in two more of
    them, or one more figure, and shares at least two with the sentence: one more word alone is as likely
    a name borrowed from elsewhere as a second source."""
    spans = sentence_spans(passage)
    if len(spans) <= 1:
        return passage
    # figures as whole numbers ("1.5bn" is 1.5, not the words "1" and "5bn"), words as stems
    terms_of = lambda text: ({t for t in content_terms(text) if not t[:1].isdigit()}  # noqa: E731
                             | {"#" + n for n in numbers(text) if n[:1].isdigit()})
    mine = terms_of(sentence)
    terms = [terms_of(passage[a:b]) & mine for a, b in spans]
    weight = lambda ts: sum(2 if t[:1] == "#" else 1 for t in ts)  # noqa: E731
    cos = [0.0] * len(spans)
    total = max(weight(mine), 1)
    if embed and mine and max(weight(t) for t in terms) < 0.5 * total:
        # a paraphrase shares few words with any sentence: meaning picks the first (an embedding costs ~5 ms)
        v = Sims(embed).vectors([sentence] + [passage[a:b] for a, b in spans])
        cos = [float(x) for x in v[1:] @ v[0]]
    first = max(range(len(spans)), key=lambda i: (weight(terms[i]) / total + cos[i], -i))
    chosen, have = [first], set(terms[first])
    while len(chosen) < most:
        options = [(weight(t - have), -abs(i - first), i) for i, t in enumerate(terms)
                   if i not in chosen and len(t) >= 2]
        gain, _, i = max(options, default=(0, 0, -1))
        if gain < 2:
            break
        chosen.append(i)
        have |= terms[i]
    chosen.sort()
    return " ".join(passage[spans[i][0]:spans[i][1]] for i in chosen)
