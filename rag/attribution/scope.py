"""Words whose change changes the claim: quantifiers, times, the scope of an entity, antonyms, closed classes."""
from __future__ import annotations

import re

from .. import lexicon, nlp
from ..text import STOPWORDS
from .align import CONTENT_POS

# Quantifiers a sentence may not add: each strengthens or narrows what the passage says.
STRICT_QUANTIFIERS = {"all", "every", "each", "most", "only", "entire", "whole", "majority", "always", "completely",
                      "fully", "entirely", "mostly", "nearly", "almost", "many", "few", "several", "sole", "solely",
                      "exclusively", "none", "minority"}
# Quantifiers that say the same ("the whole business" = "the entire business model").
_SAME_QUANTIFIER = [{"whole", "entire", "complete", "full"}, {"every", "each"}, {"nearly", "almost"},
                    {"mostly", "majority", "most"}]
# Limits on a number the passage may set, which "only" would contradict ("at least 40" is not "only 40").
_BOUND = re.compile(r"\b(?:at least|more than|over|up to|about|around|nearly|almost|some|roughly|upward of)\s+$", re.I)
_CONDITION = re.compile(r"\b(?:if|unless|provided|depends?|depending|dependent|conditional|subject to|only when)\b", re.I)
_NUMBER_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "dozen"}
_SCOPE_LABELS = {"ORG", "PERSON", "GPE", "LOC", "FAC", "PRODUCT"}


def quantifiers_check(sentence, passage, s, p, aligned):
    have = {t.text.lower() for t in p.tokens}
    for group in _SAME_QUANTIFIER:
        if group & have:
            have |= group
    if "all" in have:
        have |= {"every", "each"}  # "every one of the 430 pupils" for "all 430 pupils"
    added = set()
    toks = s.tokens
    in_figure = {i for i, t in enumerate(toks) for q in s.quantities if q.start <= t.start < q.end}
    conditional = bool(_CONDITION.search(passage))
    for i, t in enumerate(toks):
        w = t.text.lower()
        if w not in STRICT_QUANTIFIERS or w in have or i in in_figure:
            continue  # a quantifier inside a figure ("71 out of every 100") is the figure's, compared as one
        nxt = toks[i + 1].text.lower() if i + 1 < len(toks) else ""
        if w == "only" and nxt in ("if", "unless", "when", "after", "once") and conditional:
            continue  # "only if" restates the passage's condition ("unless", "depends on"), it adds none
        if w == "most" and i and toks[i - 1].text.lower() == "the":
            continue  # "the most the club has paid": a superlative, not a share
        if w in ("all", "both") and nxt and (nxt in have and (nxt.isdigit() or nxt in _NUMBER_WORDS)):
            continue  # "all three executives" for "three executives"
        if w == "only" and re.match(r"\d", nxt) and nxt in have:
            pos = passage.find(nxt)
            if pos >= 0 and not _BOUND.search(passage[max(0, pos - 15):pos]):
                continue  # "only 39%" where the passage gives 39% with no bound on it
        added.add(w)
    added = sorted(added)
    if added:
        return "quantifier", f"quantifier not in the passage: {', '.join(added)}"
    return None


def times_check(sentence, passage, s, p, aligned):
    for t in s.times:
        if not any(_time_ok(t, u) for u in p.times):
            if p.times or t.year or t.relative:
                return "time", f"time not in the passage: {t.text!r}"
    return None


def _time_ok(t: nlp.TimeRef, u: nlp.TimeRef) -> bool:
    if t.relative and u.relative and t.year is None and u.year is None:
        return t.relative == u.relative
    fields = ("year", "quarter", "month", "day", "year_end")
    known = [f for f in fields if getattr(t, f) is not None]
    if not known:
        return t.relative == u.relative or not t.relative
    return all(getattr(u, f) == getattr(t, f) for f in known)


def entities_check(sentence, passage, s, p, aligned):
    for e in s.entities:
        if e.label not in _SCOPE_LABELS or not e.norm:
            continue
        rels = {_scope(e, f) for f in p.entities}
        if "narrower" in rels and not rels & {"same", "broader"}:
            wider = next(f.text for f in p.entities if _scope(e, f) == "narrower")
            return "entity", f"{e.text!r} is narrower than the passage's {wider!r}"
    return None


def _scope(e: nlp.Entity, f: nlp.Entity) -> str:
    """entity_relation, where only a real extra word narrows a name ("Alibaba Cloud"), not a stray letter
    or article the recogniser took in ("The Bear Case A")."""
    rel = nlp.entity_relation(e.text, f.text, e.label)
    if rel == "narrower":
        extra = e.norm.split()[len(f.norm.split()):]
        if not any(len(w) > 1 and w not in STOPWORDS for w in extra):
            return "same"
    return rel


# Parts of speech one word may be retold as: "an increase" contradicts "sales declined", but "emptied" (a verb)
# does not contradict "full" (an adjective).
_KIN = {"NOUN": {"NOUN", "VERB"}, "VERB": {"VERB", "NOUN"}, "ADJ": {"ADJ", "ADV"}, "ADV": {"ADV", "ADJ"}}


def words_check(sentence, passage, s, p, aligned):
    have = {t.lemma for t in p.tokens} | {t.text.lower() for t in p.tokens}
    theirs = [(j, t.lemma, t.text.lower(), t.pos) for j, t in enumerate(p.tokens) if t.pos in CONTENT_POS]
    quantity_words = {w for q in s.quantities for w in re.findall(r"[a-z]+", q.text.lower())}
    for i, t in enumerate(s.tokens):
        w = t.lemma
        if t.pos not in CONTENT_POS or w in have or t.text.lower() in have:
            continue
        kin = _KIN.get(t.pos, {t.pos})
        for j, lemma, text, pos in theirs:
            if pos not in kin:
                continue
            listed = any(b in lexicon.ANTONYMS.get(a, ()) for a in (w, t.text.lower()) for b in (lemma, text))
            # a negative prefix makes opposites of adjectives and adverbs only ("disclose" is not "close")
            if (listed or (t.pos in ("ADJ", "ADV") and pos in ("ADJ", "ADV") and lexicon.opposite(w, lemma))) \
                    and _same_context(s, i, p, j):
                return "antonym", f"{t.text!r} contradicts the passage's {text!r}"
        if w in lexicon.CLOSED_WORDS and t.pos != "PROPN" and t.text.lower() not in quantity_words:
            return "detail", f"{t.text!r} is not in the passage"
    return None


def _same_context(s: nlp.Analysis, i: int, p: nlp.Analysis, j: int, span: int = 4) -> bool:
    """The two words stand in the same place: they share a content word within `span` words, or a head.
    "Sales decreased in March" contradicts "sales increased in March"; an
    "evening" in one clause does not contradict a "morning" in another sentence of the evidence."""
    def around(a: nlp.Analysis, k: int) -> set[str]:
        toks = a.tokens
        start, end = next(((x, y) for x, y in a.sentences if x <= toks[k].start < y), (0, len(a.text)))
        near = {toks[m].lemma for m in range(max(0, k - span), min(len(toks), k + span + 1))
                if m != k and start <= toks[m].start < end and toks[m].pos in CONTENT_POS and toks[m].lemma not in STOPWORDS}
        head = toks[toks[k].head]
        return near | ({head.lemma} if toks[k].head != k and head.lemma not in STOPWORDS else set())
    return bool(around(s, i) & around(p, j))


_NEGATORS = {"not", "n't", "never", "no", "nor"}
# Verbs and prepositions that carry a negation over what they govern ("denied accessing", "failed to file").
_NEGATING = {"deny", "reject", "refuse", "decline", "fail", "dispute", "avoid", "lack", "without", "rule", "dismiss",
             "rebut", "refute", "unable", "stop", "halt", "cease", "prevent", "bar", "ban", "reverse", "drop", "abandon"}


def negation_check(sentence, passage, s, p, aligned):
    """A negation of the passage dropped: the word it negates ("pleaded not guilty", "no material had left")
    stands in the sentence with no negation over it (inserted negations are the hard rule's)."""
    toks = p.tokens
    for i, t in enumerate(toks):
        if t.text.lower() not in _NEGATORS or t.head == i:
            continue
        if i + 1 < len(toks) and toks[i + 1].text.lower() in ("only", "just", "least"):
            continue  # "not only ... but", "not least": no negation of a claim
        head = toks[t.head]
        if head.lemma == "be":  # "was not aware": the negated word is the complement
            head = next((u for u in toks if u.head == t.head and u.dep in ("acomp", "attr")), head)
        if head.pos not in CONTENT_POS or head.lemma in STOPWORDS:
            continue
        hits = [j for j, u in enumerate(s.tokens) if u.lemma == head.lemma and u.pos == head.pos]
        if hits and not any(_negated(s, j) for j in hits):
            return "negations", f"the passage says {t.text!r} of {head.text!r}; the sentence drops the negation"
    return None


def _negated(a: nlp.Analysis, j: int) -> bool:
    """A negation over token j: on it or on a word it depends on, or a negating word above it."""
    seen = set()
    while j not in seen:
        seen.add(j)
        if a.tokens[j].lemma in _NEGATING:
            return True
        if any(u.head == j and k != j and (u.text.lower() in _NEGATORS or u.lemma in _NEGATING)
               for k, u in enumerate(a.tokens)):
            return True
        j = a.tokens[j].head
    return False
