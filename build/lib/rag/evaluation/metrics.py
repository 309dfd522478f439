"""Deterministic scores for one answer: no model, no judge, only the stored article text.

- `ground`: citation validity (each quote verbatim at its span of the stored
  article), groundedness per sentence (ALCE-style lexical recall of the
  sentence by what it cites, plus the hard rule that every number, name and
  negation appears there) and citation precision (a citation that adds nothing
  to its sentence is irrelevant). Anything wrong is a *violation*.
- `overlap`: content-word recall/precision/F1 of an answer against a reference.
- `facts_found`: which required facts (any accepted variant) an answer states.
- `gold_for_reference` / `gold_for_facts` / `gold_in_articles` / `rank_of`: where the gold evidence
  is in the index, and where retrieval ranked it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..citations import best_evidence, lexical_support, split_cited, support
from ..sanitize import strip_markers
from ..text import content_terms, numbers, words
from ..types import Answer, Chunk

# ---------------------------------------------------------------- grounding


@dataclass
class SentenceVerdict:
    text: str
    markers: tuple[int, ...]
    recall: float = 0.0  # share of its content words found in what it cites
    missing: dict = field(default_factory=dict)  # hard facts absent from what it cites
    supported: bool = False
    irrelevant: list[int] = field(default_factory=list)  # markers that add nothing to it
    unrelated: list[int] = field(default_factory=list)  # markers sharing no content word with it


@dataclass
class CitationVerdict:
    n: int
    doc_id: str
    start: int
    end: int
    quote: str
    valid: bool
    reason: str = ""


@dataclass
class Grounding:
    sentences: list[SentenceVerdict] = field(default_factory=list)
    citations: list[CitationVerdict] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def cited_marks(self) -> int:
        return sum(len(s.markers) for s in self.sentences)

    @property
    def relevant_marks(self) -> int:
        return self.cited_marks - sum(len(s.irrelevant) for s in self.sentences)


def ground(answer: Answer, text_of: Callable[[str], str | None], min_support: float,
           off_limits: Callable[[str, int, int], str] | None = None) -> Grounding:
    """Check a finished answer against the stored articles; every problem becomes a violation.

    `off_limits(doc_id, start, end)` names a reason a span may not be cited (strict
    mode: the FAQ block is not evidence), or returns "".
    """
    g = Grounding()
    if answer.refused:
        if answer.citations:
            g.violations.append("a refusal carries citations")
        return g
    evidence: dict[int, str] = {}
    for c in answer.citations:
        text = text_of(c.doc_id)
        v = CitationVerdict(c.n, c.doc_id, c.start, c.end, c.quote, valid=True)
        if text is None:
            v.valid, v.reason = False, f"cites an article that is not in the store ({c.doc_id})"
        elif not (0 <= c.start < c.end <= len(text)) or text[c.start:c.end] != c.quote:
            v.valid, v.reason = False, f"quote is not verbatim at {c.start}-{c.end} of {c.doc_id}"
        elif off_limits and (why := off_limits(c.doc_id, c.start, c.end)):
            v.valid, v.reason = False, why
        if v.valid:
            evidence[c.n] = text[c.start:c.end]  # the stored text, not what the answer claims it says
        else:
            g.violations.append(f"[{c.n}] {v.reason}")
        g.citations.append(v)
    if len({c.n for c in answer.citations}) != len(answer.citations):
        g.violations.append("two citations share a number")
    sentences = split_cited(answer.answer)
    if not sentences:
        g.violations.append("the answer is empty")
    used: set[int] = set()
    for cs in sentences:
        sv = SentenceVerdict(cs.text, cs.markers)
        g.sentences.append(sv)
        short = cs.text if len(cs.text) <= 80 else cs.text[:77] + "..."
        if not cs.markers:
            g.violations.append(f"uncited sentence: {short!r}")
            continue
        used.update(cs.markers)
        unknown = [m for m in cs.markers if m not in {c.n for c in answer.citations}]
        if unknown:
            g.violations.append(f"[{unknown[0]}] does not exist: {short!r}")
        cited = [evidence[m] for m in cs.markers if m in evidence]
        sup = support(cs.text, " ".join(cited), min_support=min_support)
        sv.recall, sv.missing = sup.recall, sup.missing
        sv.supported = bool(cited) and sup.supported(min_support)
        sv.irrelevant, sv.unrelated = _irrelevant(cs.text, cs.markers, evidence, min_support)
        if not cited:
            continue  # already reported: every citation it names is invalid or missing
        if sup.missing:
            kind, facts = next(iter(sup.missing.items()))
            g.violations.append(f"hard rule: {kind} not in the cited passage ({', '.join(facts[:3])}): {short!r}")
        elif sup.structure:
            g.violations.append(f"unsupported ({sup.structure}: {sup.reason}): {short!r}")
        elif not sv.supported:
            g.violations.append(f"unsupported: only {sup.recall:.0%} of its content words are in the cited "
                                f"passage (needs {min_support:.0%}): {short!r}")
        for m in sv.unrelated:
            g.violations.append(f"[{m}] shares no content word with its sentence: {short!r}")
    for n in sorted({c.n for c in answer.citations} - used):
        g.violations.append(f"citation [{n}] is never used in the answer")
    return g


def _irrelevant(sentence: str, markers: tuple[int, ...], evidence: dict[int, str],
                min_support: float) -> tuple[list[int], list[int]]:
    """ALCE-style citation precision: a citation is irrelevant when it shares no content
    word with its sentence (unrelated: a violation), or when it does not support the
    sentence alone and the others support it just as well without it (redundant)."""
    terms = set(content_terms(sentence))
    out, unrelated = [], []
    for m in markers:
        if m not in evidence:
            continue
        if not terms & set(content_terms(evidence[m])):
            out.append(m)
            unrelated.append(m)
            continue
        others = [evidence[o] for o in markers if o != m and o in evidence]
        # citation precision is about words: the lexical check alone
        if others and not lexical_support(sentence, evidence[m]).supported(min_support):
            with_m = lexical_support(sentence, " ".join(others + [evidence[m]]))
            without = lexical_support(sentence, " ".join(others))
            if without.ok and without.recall >= with_m.recall:
                out.append(m)
    return out, unrelated


# ---------------------------------------------------------------- correctness


@dataclass(frozen=True)
class Overlap:
    recall: float
    precision: float
    f1: float


def overlap(answer: str, reference: str) -> Overlap:
    """Content-word (stemmed, stopwords removed) overlap of an answer with a reference answer."""
    a, r = set(content_terms(strip_markers(answer))), set(content_terms(reference))
    if not a or not r:
        return Overlap(0.0, 0.0, 0.0)
    common = len(a & r)
    rec, prec = common / len(r), common / len(a)
    return Overlap(rec, prec, 2 * rec * prec / (rec + prec) if common else 0.0)


def states(text: str, variant: str) -> bool:
    """Whether `text` states `variant`: all its content words and numbers, in any order."""
    want = set(content_terms(variant))
    if not want:  # a variant made only of small words ("no"): match the words themselves
        return bool(re.search(r"(?<!\w)" + r"\W+".join(map(re.escape, words(variant))) + r"(?!\w)",
                              " ".join(words(text))))
    return want <= set(content_terms(text)) and _numbers(variant) <= _numbers(text)


def _numbers(text: str) -> set[str]:
    return {n[:-1] if n.isalpha() and n.endswith("s") else n for n in numbers(text)}  # billions ~ billion


def forbidden_found(text: str, forbidden) -> list[str]:
    """The forbidden strings in `text` (case-insensitive; whole words where they start/end a word)."""
    out = []
    for f in forbidden:
        pat = ("(?<!\\w)" if f[0].isalnum() else "") + re.escape(f) + ("(?!\\w)" if f[-1].isalnum() else "")
        if re.search(pat, text, re.I):
            out.append(f)
    return out


def facts_found(answer: str, facts: list[list[str]]) -> tuple[list[str], list[str]]:
    """(found, missing): a fact counts when any of its accepted variants is stated."""
    text = strip_markers(answer)
    found, missing = [], []
    for variants in facts:
        (found if any(states(text, v) for v in variants) else missing).append(variants[0])
    return found, missing


# ---------------------------------------------------------------- retrieval


def gold_for_reference(reference: str, chunks: list[Chunk], margin: float = 0.1) -> tuple[set, float]:
    """Passages whose best sentence window supports the reference answer within `margin` of the
    best one, and that best support (how well the body backs the reference at all)."""
    scores = {(c.doc_id, c.start): best_evidence(reference, c, 1, structural=False)[0].recall for c in chunks}
    if not scores:
        return set(), 0.0
    top = max(scores.values())
    return {k for k, r in scores.items() if r >= top - margin and r > 0}, top


def gold_for_facts(facts: list[list[str]], chunks: list[Chunk]) -> set:
    """Passages stating the most required facts (at least one)."""
    counts = {(c.doc_id, c.start): sum(any(states(c.text, v) for v in f) for f in facts) for c in chunks}
    top = max(counts.values(), default=0)
    return {k for k, n in counts.items() if n == top} if top else set()


def gold_in_articles(facts: list[list[str]], chunks: list[Chunk], doc_ids) -> set:
    """Passages of the gold articles that state at least one required fact. The news set names
    the articles that answer (the right year, the right edition), so a passage elsewhere that
    shares a name or a number is not gold."""
    doc_ids = set(doc_ids)
    return {(c.doc_id, c.start) for c in chunks
            if c.doc_id in doc_ids and any(any(states(c.text, v) for v in f) for f in facts)}


def rank_of(passages: list[dict], gold: set) -> int | None:
    """1-based rank of the first retrieved passage (as an answer's trace lists them) that holds gold evidence."""
    for i, p in enumerate(passages, 1):
        if (p["doc_id"], p["start"]) in gold:
            return i
    return None
