"""Does a passage support a sentence in structure, not only in words?

A bag of words cannot tell who said what: "Alibaba said Anthropic accessed its models" has the words of
"Anthropic said Alibaba accessed its models". `judge` compares the two texts' claims (rag/nlp.py):

- who did what to whom: a claim's subject/object may not trade places, with each other or with the
  source (role swap); entities may be aliases ("Alibaba Group" = "Alibaba") but not narrower ("Alibaba Cloud");
- who asserts it: an attributed claim keeps its source (an allegation may not become a fact, a source
  may not be invented or changed);
- stance and modality: denied is not admitted, may is not will, plans is not did; negation per claim;
- quantities, quantifiers, times and closed-class words (colours, ordinals, ...) must be the passage's;
  a word whose antonym the passage uses contradicts it;
- the hard rules of the lexical check stay: every number, name and negation must be supported, with
  normalisation (1.5bn = 1.5 billion, British ~ U.K., "did not" ~ "denied" when the claims align).

Paraphrase is allowed: synonyms (word vectors from the embedding model, when `embed` is given),
reordering, voice change, several sentences of one passage. A sentence is supported when nothing
contradicts the passage and either the lexical recall reaches `MIN_RECALL`, or its claims align
positively (source, stance, roles) and, with synonyms, `MIN_COVERAGE` of its content words align.

One module per concern: facts.py (numbers, names, negations), claims.py (claim against claim),
scope.py (quantifiers, times, entity scope, antonyms), align.py (how much of the sentence is there);
the word lists live in rag/lexicon.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import nlp
from ..text import names
from .align import MIN_COVERAGE, PARAPHRASE, PARAPHRASE_COVERAGE, Embed, Sims, coverage, locate, recall, sentence_similarity
from .claims import claims_check, contested, own_act, reports_claim
from .facts import hard_facts_check, missing_names
from .scope import entities_check, negation_check, quantifiers_check, times_check, words_check

MIN_RECALL = 0.7  # the lexical check's threshold (citations.MIN_SUPPORT)
__all__ = ["MIN_RECALL", "Sims", "Verdict", "contested", "judge", "locate", "missing_names", "own_act",
           "reports_claim"]
# A news dateline ("CANBERRA - ", "LONDON (Reuters) — ") the parser would read as the sentence's subject.
_DATELINE = re.compile(r"(?:^|(?<=\n))[A-Z][A-Z.'-]+(?:[ ,]+[A-Z][A-Z.'-]+)*(?:\s*\([^)\n]{1,30}\))?\s+[-–—]+\s+")
_ENTITY_LABELS = {"ORG", "PERSON", "GPE", "NORP", "PRODUCT", "FAC", "LOC", "EVENT", "WORK_OF_ART", "LAW"}


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str  # why not (or how it was supported), one line for a reader of logs
    kind: str  # ok | numbers | names | negations | quantifier | time | entity | antonym | detail | role_swap |
    #            attribution | stance | modality | unsupported
    aligned: bool = False  # a claim of the sentence matched one of the passage (source, stance, roles)
    coverage: float = 0.0  # share of the sentence's content words found in the passage, synonyms included
    every_claim: bool = False  # every claim of the sentence matched one of the passage and kept its source


def judge(sentence: str, passage: str, *, embed: Embed | None = None, min_recall: float = MIN_RECALL,
          context: str = "") -> Verdict:
    """Whether `passage` supports `sentence`, comparing claims, not only words (see module docstring).
    `context` is the whole text `passage` was located in (whether a claim is disputed anywhere in it).

    `embed(texts) -> vectors` (e.g. `Embedder.cached`) lets synonyms align; without it only lemmas do."""
    s, p = nlp.analyze(sentence), nlp.analyze(_DATELINE.sub(lambda m: " " * len(m.group()), passage))
    sims = Sims(embed, {e.norm for a in (s, p) for e in a.entities if e.label in _ENTITY_LABELS}
                 | names(sentence) | names(passage), {c.source for c in p.claims if c.source and not c.source.istitle()})
    # the words the claim check may compare by vector: predicates and the heads of who does what
    sims.prefetch(w.split()[-1] if i else w.split()[0] for a in (s, p) for c in a.claims
                  for i, w in enumerate((c.predicate, c.subject, c.object, c.source)) if w)
    bad = hard_facts_check(sentence, passage, s, p, False, context)
    structure = claims_check(s, p, sims, (lambda: contested(nlp.analyze(context))) if context else None)
    if bad and bad[0] == "negations" and structure and structure[0] and structure[3] and all(
            c in structure[3] for c in s.claims if c.negated or c.stance in ("deny", "not_assert")):
        # "did not" retold as "denied" (or back): every negated claim of the sentence matched one of the passage
        bad = hard_facts_check(sentence, passage, s, p, True, context)
    if bad:  # the hard rules first: a changed number or name is reported as such
        return Verdict(False, bad[1], bad[0])
    if structure and not structure[0]:
        return Verdict(False, structure[2], structure[1])
    aligned = bool(structure)
    every = aligned and all(c in structure[4] for c in s.claims if c.predicate)
    for check in (quantifiers_check, times_check, entities_check, negation_check, words_check):
        bad = bad or check(sentence, passage, s, p, aligned)
    if bad:
        return Verdict(False, bad[1], bad[0], aligned)
    rec = recall(sentence, passage, s, p, aligned)
    cov = coverage(s, p, sims, aligned)
    if rec >= min_recall:
        return Verdict(True, f"{rec:.0%} of its words are in the passage", "ok", aligned, cov, every)
    if aligned and cov >= MIN_COVERAGE:
        return Verdict(True, f"its claims align with the passage; {cov:.0%} of its words, synonyms included",
                       "ok", aligned, cov, every)
    if embed and cov >= PARAPHRASE_COVERAGE and (sim := sentence_similarity(sentence, passage, sims)) >= PARAPHRASE:
        # nothing contradicts and the whole sentence says what a span of the passage says: a reworded claim
        return Verdict(True, f"a paraphrase of the passage (similarity {sim:.2f}, {cov:.0%} of its words)",
                       "ok", True, cov, every)
    why = "its claims align but " if aligned else ""
    return Verdict(False, f"{why}only {max(rec, cov):.0%} of its words are in the passage", "unsupported",
                   aligned, cov, every)

