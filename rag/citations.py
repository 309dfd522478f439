"""The citation checker: nothing reaches a reader unless its cited passage supports it.

Used three ways: to turn a backend's draft ("... [2]") into verified sentences
with verbatim quotes (`verify`), as the last gate on every answer (`check_answer`),
and by the eval harness to score groundedness.

A sentence is supported by its evidence when
- every number, capitalised name and negation in it occurs in the evidence (hard rule; amounts, demonyms
  and acronyms compared normalised by rag/attribution/: "$2.5bn" = "$2.5 billion", British ~ U.K.),
- its claims do not contradict the evidence's (rag/attribution/: roles, source, stance, modality,
  negation, quantifiers, times, entity scope), and
- at least `min_support` of its content words occur in the evidence (lexical recall), or - only when
  its claims align positively with the evidence's (same source, stance and roles) - enough of its words
  align, synonyms included when an embedder is given (a faithful paraphrase).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Callable

from . import attribution
from .sanitize import MARK, leading_markers, markers
from .text import NEGATIONS, content_terms, hard_facts, sentence_spans, words
from .types import Answer, Chunk

MIN_SUPPORT = 0.7


@dataclass(frozen=True)
class Support:
    recall: float
    missing: dict = field(default_factory=dict)  # kind -> sorted list of facts absent from the evidence
    structure: str = ""  # the structural contradiction (attribution.Verdict.kind: role_swap, stance, ...), or ""
    reason: str = ""  # the structural check's one-line reason
    aligned: bool = False  # the structural check supports it on aligned claims (a paraphrase)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.structure

    def supported(self, threshold: float = MIN_SUPPORT) -> bool:
        return self.ok and (self.recall >= threshold or self.aligned)


_HARD = ("numbers", "names", "negations")


def support(sentence: str, evidence: str, *, embed=None, min_support: float = MIN_SUPPORT) -> Support:
    """How well `evidence` backs `sentence`: the lexical check and the structural one (module docstring).
    The share of its words is counted in all of the evidence (what the reader sees quoted); names, negations
    and claims are compared with the evidence sentences it draws on (`attribution.locate`).
    `embed(texts) -> vectors` (e.g. `Embedder.cached`) lets synonyms count for a paraphrase."""
    if _same_text(sentence, evidence):
        # A quote supports itself: the extractive answer's sentences, checked again by the final gate. No
        # NLP on corpus text at question time for them (each analysis of an unseen passage costs ~5 ms).
        return Support(1.0)
    lex = lexical_support(sentence, evidence)
    whole, evidence = evidence, attribution.locate(sentence, evidence, embed=embed)
    local = lexical_support(sentence, evidence)
    # Names against everything quoted: a sentence that runs over a heading ("What It Means For ...") or
    # draws on more sentences than `locate` picked still has its names in what the reader sees.
    names = attribution.missing_names(sentence, whole)
    if names:
        # A name the passage does not have is never excused by the structural check ("Tencent Cloud" for
        # "Alibaba Cloud"); only the one alias rule of attribution.missing_names makes two names one.
        return Support(lex.recall, {k: v for k, v in (local.missing | {"names": names}).items() if k != "negations"})
    if "negations" in local.missing and _negation_count(sentence) > _negation_count(evidence, denials=True):
        # A negation the passage does not have is never excused ("will never cost" for "will cost",
        # "never not" for "not"): a paraphrase may say "did not admit" for "denied", no more.
        return Support(lex.recall, {"negations": local.missing["negations"]})
    v = attribution.judge(sentence, evidence, embed=embed, min_recall=min_support, context=whole)
    if v.kind in _HARD:  # the hard rules, normalised; a fact the lexical rule missed keeps the same key
        missing = local.missing if v.kind in local.missing else {v.kind: [v.reason.split(": ", 1)[-1]]}
        return Support(lex.recall, missing, "", v.reason)
    # facts the lexical rule could not match but the structural check normalised ("1.5bn" = "1.5 billion")
    structure = "" if v.supported or v.kind == "unsupported" else v.kind
    if not structure and _drops_speaker(sentence, evidence, v.every_claim):
        # the structural reason, when it has one, wins; claims the parse aligned had their sources compared
        return Support(lex.recall, {}, "attribution_dropped", "the cited sentence reports someone's claim; "
                                                              "the answer states it without who said it")
    return Support(lex.recall, {}, structure, v.reason, aligned=v.supported and v.aligned)


def _same_text(a: str, b: str) -> bool:
    """The same words in the same order: spacing and a final full stop aside."""
    return " ".join(a.split()).rstrip(".").rstrip() == " ".join(b.split()).rstrip(".").rstrip()


_DENIAL = re.compile(r"\b(den(?:y|ied|ies|ying|ial)|reject\w*|refus\w*|dismiss\w*|rebut\w*|dispute[sd]?|"
                     r"declin\w*|without|unable|failed|lack\w*|absen\w*)\b", re.I)


_REPORTING = re.compile(r"\b(sa(?:y|ys|id|ying)|told|tells?|according to|stated?|states|announc\w+|claim\w*|alleg\w+|"
                        r"accus\w+|den(?:y|ied|ies)|admit\w*|insist\w*|argu\w+|warn(?:s|ed|ing)?\b|report\w*|"
                        r"confirm\w*|believ\w+|expect\w*|estimat\w+|wrote|writes?|found|concluded|blam\w+|show(?:s|ed|n)?|"
                        r"cit(?:e|es|ed|ing))\b", re.I)


_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")


def _drops_speaker(sentence: str, evidence: str, checked: bool = False) -> bool:
    """A claim the passage reports as someone's ("Ostberg said it planned a study", a quotation), stated
    as plain fact: the evidence sentence it comes from has a reporting verb and the answer has none.
    A backstop for what the claim check cannot see: the words of a quotation retold without quotes or
    speaker always count; otherwise the evidence sentence must report someone's claim in the parse (not
    "X reported a loss", the narrator's account of an act), and `checked` (the claim check matched every
    claim of the answer and compared its source) settles it. A bare name or figure (an answer's lead,
    under four words) states no claim."""
    if len(words(sentence)) < 4 or _REPORTING.search(sentence):
        return False
    mine = set(content_terms(sentence))
    best, overlap = "", 0
    for s, e in sentence_spans(evidence):
        n = len(mine & set(content_terms(evidence[s:e])))
        if n > overlap:
            best, overlap = evidence[s:e], n
    if overlap < 0.6 * max(len(mine), 1) or not _REPORTING.search(best):
        return False
    for q in _QUOTED.findall(best):
        said = set(content_terms(q))
        if len(said) >= 2 and len(said & mine) >= min(2, len(said)) and '"' not in sentence and "“" not in sentence:
            return True  # a speaker's words retold as the answer's own
    return not checked and attribution.reports_claim(best)


def _negation_count(text: str, denials: bool = False) -> int:
    n = sum(1 for w in words(text) if w in NEGATIONS) + len(re.findall(r"n['’]t\b", text, re.I))
    return n + (len(_DENIAL.findall(text)) if denials else 0)


def lexical_support(sentence: str, evidence: str) -> Support:
    """Today's bag-of-words check alone: recall of content words and the hard facts, as strings (fast; for
    ranking candidate spans and for citation precision)."""
    terms = set(content_terms(sentence))
    ev_terms = set(content_terms(evidence))
    recall = len(terms & ev_terms) / len(terms) if terms else 0.0
    ev_lower = evidence.lower().replace("’", "'")
    ev_facts = hard_facts(evidence)
    facts = hard_facts(sentence)
    missing = {}
    nums = facts["numbers"] - ev_facts["numbers"]
    if nums:
        missing["numbers"] = sorted(nums)
    nm = {n for n in facts["names"] if not re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", ev_lower)}
    if nm:
        missing["names"] = sorted(nm)
    neg = facts["negations"] - ev_facts["negations"]
    if neg:
        missing["negations"] = sorted(neg)
    return Support(recall, missing)


@dataclass(frozen=True)
class CitedSentence:
    text: str  # without markers
    markers: tuple[int, ...]


def split_cited(draft: str) -> list[CitedSentence]:
    """Split a draft into sentences, attaching each [n] group to the sentence it follows."""
    draft = draft.strip()
    spans = sentence_spans(draft)
    pieces: list[list] = []  # [text, markers]
    for s, e in spans:
        seg = draft[s:e]
        lead, rest = leading_markers(seg)
        if lead and pieces:
            pieces[-1][1].extend(lead)
            seg = rest
        marks = markers(seg)
        text = MARK.sub("", seg)
        text = re.sub(r"\s+([.,;:!?])(?=\s|$)", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
        if text and any(ch.isalnum() for ch in text):
            pieces.append([text, marks])
        elif marks and pieces:
            pieces[-1][1].extend(marks)
    return [CitedSentence(t, tuple(dict.fromkeys(m))) for t, m in pieces]


@dataclass(frozen=True)
class Evidence:
    """The part of a passage that supports a sentence: a verbatim span of the article."""

    passage: int  # 1-based index into the passages the draft was written from
    start: int
    end: int
    quote: str
    recall: float


@dataclass
class Verification:
    kept: list[tuple[str, list[Evidence]]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sentence, reason)


def best_evidence(sentence: str, chunk: Chunk, passage: int, embed=None, min_support: float = MIN_SUPPORT,
                  structural: bool = True) -> tuple[Evidence, Support]:
    """The sentence, or run of up to three adjacent sentences, of `chunk` that best supports `sentence`.

    Spans are ranked by the lexical check (cheap); the structural check then runs on the best span, and
    on the whole chunk when no span is enough (a paraphrase may draw on all of it). `structural=False`
    is the lexical check alone (the eval's gold passages are scored by words)."""
    check = (lambda s, q: support(s, q, embed=embed, min_support=min_support)) if structural else lexical_support
    # a verbatim sentence or clause of the passage is its own best evidence
    for exact in (sentence, sentence.rstrip(".").rstrip()):
        pos = chunk.text.find(exact) if len(exact) >= 20 else -1
        if pos >= 0:
            sup = check(sentence, exact)
            if sup.supported(min_support):
                return Evidence(passage, chunk.start + pos, chunk.start + pos + len(exact), exact, sup.recall), sup
    spans = [(s + chunk.start, e + chunk.start) for s, e in sentence_spans(chunk.text)]
    best = None
    for width in (1, 2, 3):
        for i in range(len(spans) - width + 1):
            s, e = spans[i][0], spans[i + width - 1][1]
            quote = chunk.text[s - chunk.start:e - chunk.start]
            sup = lexical_support(sentence, quote)
            key = (sup.ok, round(sup.recall, 3), -width)
            if best is None or key > best[0]:
                best = (key, Evidence(passage, s, e, quote, sup.recall), sup)
        if best and best[0][0] and best[0][1] >= min_support:
            break
    if not structural:
        if best is None:
            return Evidence(passage, chunk.start, chunk.end, chunk.text, 0.0), lexical_support(sentence, chunk.text)
        return best[1], best[2]
    whole = Evidence(passage, chunk.start, chunk.end, chunk.text, 0.0)
    candidates = ([best[1]] if best else []) + ([whole] if not best or best[1].quote != chunk.text else [])
    first = None
    for ev in candidates:
        sup = support(sentence, ev.quote, embed=embed, min_support=min_support)
        ev = dataclasses.replace(ev, recall=sup.recall)
        if sup.supported(min_support) or sup.structure:
            return ev, sup  # supported, or contradicted: a wider span does not undo a role swap
        first = first or (ev, sup)
    return first


def verify(draft: str, passages: list[Chunk], min_support: float = MIN_SUPPORT, *, embed=None) -> Verification:
    """Keep each draft sentence only if a passage it cites supports it; say why the others went."""
    out = Verification()
    for cs in split_cited(draft):
        if not cs.markers:
            out.dropped.append((cs.text, "no citation"))
            continue
        bad = [m for m in cs.markers if not 1 <= m <= len(passages)]
        if bad:
            out.dropped.append((cs.text, f"cites passage {bad[0]}, which does not exist"))
            continue
        evidence, reasons = [], []
        for m in cs.markers:
            ev, sup = best_evidence(cs.text, passages[m - 1], m, embed, min_support)
            if sup.supported(min_support):
                evidence.append(ev)
            else:
                reasons.append(_reason(sup, min_support))
        if evidence:
            out.kept.append((cs.text, evidence[:1]))
        else:
            out.dropped.append((cs.text, reasons[0]))
    return out


def _reason(sup: Support, threshold: float) -> str:
    if sup.structure:
        return f"{sup.structure}: {sup.reason}"
    if sup.missing:
        kind, facts = next(iter(sup.missing.items()))
        return f"{kind} not in the cited passage: {', '.join(facts[:3])}"
    return f"only {sup.recall:.0%} of its words are in the cited passage (needs {threshold:.0%})"


def check_answer(answer: Answer, text_of: Callable[[str], str | None], min_support: float = MIN_SUPPORT,
                 *, embed=None) -> list[str]:
    """Every problem with a finished answer; an empty list means it may be shown."""
    problems: list[str] = []
    if answer.refused:
        if answer.citations:
            problems.append("a refusal carries citations")
        return problems
    by_n = {c.n: c for c in answer.citations}
    for c in answer.citations:
        text = text_of(c.doc_id)
        if text is None:
            problems.append(f"[{c.n}] cites an article that is not in the store ({c.doc_id})")
        elif text[c.start:c.end] != c.quote:
            problems.append(f"[{c.n}] quote is not verbatim at {c.start}-{c.end} of {c.doc_id}")
    sentences = split_cited(answer.answer)
    if not sentences:
        problems.append("the answer is empty")
    used = set()
    for cs in sentences:
        if not cs.markers:
            problems.append(f"uncited sentence: {cs.text[:80]!r}")
            continue
        missing = [m for m in cs.markers if m not in by_n]
        if missing:
            problems.append(f"[{missing[0]}] does not exist: {cs.text[:80]!r}")
            continue
        used.update(cs.markers)
        sups = [support(cs.text, by_n[m].quote, embed=embed, min_support=min_support) for m in cs.markers]
        if not any(s.supported(min_support) for s in sups):
            problems.append(f"unsupported ({_reason(max(sups, key=lambda s: (s.ok, s.recall)), min_support)}): {cs.text[:80]!r}")
    unused = sorted(set(by_n) - used)
    if unused:
        problems.append(f"citation [{unused[0]}] is never used in the answer")
    return problems
