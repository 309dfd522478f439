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

Why one file of 500+ lines: it is one judgement (claim alignment and its contradictions) whose
checks share the aligned claims; the word lists already live in rag/lexicon.py. Split candidates:
quantities/times comparison and entity scope.
"""
from __future__ import annotations

import dataclasses
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from . import lexicon, nlp
from .text import STOPWORDS, content_terms, hard_facts, names, sentence_spans, stem

MIN_RECALL = 0.7  # the lexical check's threshold (citations.MIN_SUPPORT)
MIN_COVERAGE = 0.6  # share of content words aligned (lexically or as synonyms) when the claims align
SYNONYM = 0.62  # cosine of two words' vectors above which they may stand for each other
ARG_SYNONYM = 0.7  # the same for a claim's subject/object head nouns
PARAPHRASE = 0.75  # sentence-vector cosine with a span of the passage that makes an uncontradicted sentence a paraphrase
_CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"}
_PRONOUNS = {"it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "we", "us", "our", "i", "you",
             "which", "who", "that", "this", "these", "those", "one", "company", "firm", "group"}
# Quantifiers a sentence may not add: each strengthens or narrows what the passage says.
STRICT_QUANTIFIERS = {"all", "every", "each", "most", "only", "entire", "whole", "majority", "always", "completely",
                      "fully", "entirely", "mostly", "nearly", "almost", "many", "few", "several", "sole", "solely",
                      "exclusively", "none", "minority"}
# Quantifiers that say the same ("the whole business" = "the entire business model").
_SAME_QUANTIFIER = [{"whole", "entire", "complete", "full"}, {"every", "each"}, {"nearly", "almost"},
                    {"mostly", "majority", "most"}]
# Limits on a number the passage may set, which "only" would contradict ("at least 40" is not "only 40").
_BOUND = re.compile(r"\b(?:at least|more than|over|up to|about|around|nearly|almost|some|roughly|upward of)\s+$", re.I)
_PLAN_LIKE = {"plan", "expect"}
_NUMBER_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "dozen"}
# Sources that are the outlet itself: its own narration is the narrator's.
_NARRATOR = {"article", "author", "writer", "piece", "story", "column", "columnist", "analysis", "editorial",
             "commentary", "essay", "report", "newspaper", "outlet"}
_SCOPE_LABELS = {"ORG", "PERSON", "GPE", "LOC", "FAC", "PRODUCT"}
_ENTITY_LABELS = {"ORG", "PERSON", "GPE", "NORP", "PRODUCT", "FAC", "LOC", "EVENT", "WORK_OF_ART", "LAW"}
# Stances grouped by what they commit the source to; a sentence may report a stance as the same group
# or as a weaker reporting verb ("confirmed" may be retold as "said", not the reverse).
_STANCE_OK = {
    "assert": {"assert", "allege", "confirm", "admit", "warn", "believe"},
    "allege": {"assert", "allege", "confirm", "warn", "believe"},
    "confirm": {"confirm"},
    "admit": {"admit", "confirm"},
    "deny": {"deny"},
    "plan": {"plan"},
    "expect": {"expect", "plan", "believe"},
    "believe": {"believe", "expect", "assert", "allege"},
    "warn": {"warn", "assert", "allege"},
}
# Modality families: a sentence may hedge (may/could) what the passage says, or retell a future as a plan,
# but not turn a plan or a possibility into a fact or a future ("plans to" is not "did", "may" is not "will").
_FUTURE = {"will", "would", "shall"}
_INTENT = {"plans", "expects", "intends", "aims", "hopes", "wants", "seeks", "tries", "threatens"}
_POSSIBLE = {"may", "might", "could", "can"}
_DEONTIC = {"should", "must"}


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str  # why not (or how it was supported), one line for a reader of logs
    kind: str  # ok | numbers | names | negations | quantifier | time | entity | antonym | detail | role_swap |
    #            attribution | stance | modality | unsupported
    aligned: bool = False  # a claim of the sentence matched one of the passage (source, stance, roles)
    coverage: float = 0.0  # share of the sentence's content words found in the passage, synonyms included


Embed = Callable[[list[str]], list]


def judge(sentence: str, passage: str, *, embed: Embed | None = None, min_recall: float = MIN_RECALL) -> Verdict:
    """Whether `passage` supports `sentence`, comparing claims, not only words (see module docstring).

    `embed(texts) -> vectors` (e.g. `Embedder.cached`) lets synonyms align; without it only lemmas do."""
    s, p = nlp.analyze(sentence), nlp.analyze(passage)
    sims = _Sims(embed, {e.norm for a in (s, p) for e in a.entities if e.label in _ENTITY_LABELS}
                 | names(sentence) | names(passage), {c.source for c in p.claims if c.source and not c.source.istitle()})
    bad = _hard_facts(sentence, passage, s, p, False)
    structure = _claims_check(s, p, sims)
    if bad and bad[0] == "negations" and structure and structure[0] and structure[3] and all(
            c in structure[3] for c in s.claims if c.negated or c.stance in ("deny", "not_assert")):
        # "did not" retold as "denied" (or back): every negated claim of the sentence matched one of the passage
        bad = _hard_facts(sentence, passage, s, p, True)
    if bad:  # the hard rules first: a changed number or name is reported as such
        return Verdict(False, bad[1], bad[0])
    if structure and not structure[0]:
        return Verdict(False, structure[2], structure[1])
    aligned = bool(structure)
    for check in (_quantifiers, _times, _entities, _words):
        bad = bad or check(sentence, passage, s, p, aligned)
    if bad:
        return Verdict(False, bad[1], bad[0], aligned)
    recall = _recall(sentence, passage, s, p, aligned)
    coverage = _coverage(s, p, sims, aligned)
    if recall >= min_recall:
        return Verdict(True, f"{recall:.0%} of its words are in the passage", "ok", aligned, coverage)
    if aligned and coverage >= MIN_COVERAGE:
        return Verdict(True, f"its claims align with the passage; {coverage:.0%} of its words, synonyms included",
                       "ok", aligned, coverage)
    if embed and coverage >= MIN_COVERAGE - 0.1 and (sim := _sentence_similarity(sentence, passage, sims)) >= PARAPHRASE:
        # nothing contradicts and the whole sentence says what a span of the passage says: a reworded claim
        return Verdict(True, f"a paraphrase of the passage (similarity {sim:.2f}, {coverage:.0%} of its words)",
                       "ok", True, coverage)
    why = "its claims align but " if aligned else ""
    return Verdict(False, f"{why}only {max(recall, coverage):.0%} of its words are in the passage", "unsupported",
                   aligned, coverage)


# ---------------------------------------------------------------- claims


def _claims_check(s: nlp.Analysis, p: nlp.Analysis, sims: "_Sims"):
    """(True, ...) when some sentence claim matches a passage claim and none contradicts one;
    (False, kind, reason) on a contradiction; None when no claim could be matched either way."""
    matched = False
    ok_claims = set()  # the sentence's claims (as analysed) that matched one of the passage's
    s_claims, p_claims = _narrated(s.claims), _narrated(p.claims)
    hedged = _dropped_hedge(s, p)
    if hedged:
        return False, "attribution", hedged
    for original, sc in zip(s.claims, s_claims):
        if not sc.predicate:
            continue
        if sc.cue and sc.predicate == sc.cue:  # "X denied the charge": what X did, about what the passage says
            for pc in p_claims:
                if pc.cue == sc.cue and pc.predicate == pc.cue and _same(sc.object, pc.object, sims) is False and \
                        _same(sc.object, pc.subject, sims) and _same(sc.subject, pc.object, sims):
                    return False, "role_swap", (f"roles swapped: in the passage {pc.subject} {pc.cue}s "
                                                f"{pc.object}, not the other way round")
            same = [pc for pc in p_claims if pc.source and _same(sc.source, pc.source, sims)]
            if same and not any(_stance(pc)[0] in _STANCE_OK.get(_stance(sc)[0], {sc.stance}) for pc in same):
                pc = same[0]
                return False, "stance", (f"stance changed: the passage's {pc.source} {_verb(_stance(pc)[0])} it, "
                                         f"the sentence says {_verb(_stance(sc)[0])}")
            matched = matched or bool(same)
            if same:
                ok_claims.add(original)
            continue
        cands = []
        for pc in p_claims:
            if not pc.predicate or (pc.cue and pc.predicate == pc.cue):
                continue
            pred = sims.same_word(sc.predicate.split()[0], pc.predicate.split()[0], SYNONYM) or _cue_match(sc, pc)
            subj, obj = _same(sc.subject, pc.subject, sims), _same(sc.object, pc.object, sims)
            crossed = _same(sc.subject, pc.object, sims) or _same(sc.object, pc.subject, sims) or \
                _same(sc.subject, pc.source, sims) or _same(sc.source, pc.subject, sims)
            if not ((pred and (subj or obj or crossed or (subj is None and obj is None))) or (subj and obj)):
                continue
            problems = _compare(sc, pc, sims)
            score = (not problems, bool(pred) + bool(subj) + bool(obj) + 2 * bool(_same(sc.source, pc.source, sims)))
            cands.append((score, problems, pc))
        if not cands:
            continue
        best = max(cands, key=lambda c: c[0])
        if best[1]:
            kind, why = best[1][0]
            return False, kind, why
        matched = True
        ok_claims.add(original)
    return (True, "ok", "", ok_claims) if matched else None


def _dropped_hedge(s: nlp.Analysis, p: nlp.Analysis) -> str:
    """"The alleged access by X" retold as "the access by X" (or "X accessed"): the hedge is part of the claim."""
    if any(t.text.lower() in nlp.HEDGES for t in s.tokens) or any(c.source for c in s.claims):
        return ""
    for i, t in enumerate(p.tokens):
        if t.text.lower() in nlp.HEDGES and t.dep in ("amod", "advmod") and t.head != i:
            head = p.tokens[t.head]
            if any(u.lemma == head.lemma for u in s.tokens):
                return f"stated as fact, but the passage calls it {t.text} {head.text}"
    return ""


def _narrated(claims) -> list[nlp.Claim]:
    """Claims with "the article argues" / "the author says" given to the narrator, whose voice they are."""
    return [dataclasses.replace(c, source="", cue="", stance="assert") if c.source.split()[-1:] and
            c.source.split()[-1] in _NARRATOR else c for c in claims]


def _same_source(a: str, b: str, sims: "_Sims") -> bool:
    """Two speakers may be one: equal or aliased names, or a description ("the club", "the developer") for a
    name, unless the passage itself gives that description a say of its own ("analysts said ...")."""
    same = _same(a, b, sims)
    if same is not None:
        if same or (sims.is_name(a) and sims.is_name(b)):
            return bool(same)
        described = b if sims.is_name(a) else a if sims.is_name(b) else ""
        return bool(described) and described not in sims.speakers
    return True


def _cue_match(sc: nlp.Claim, pc: nlp.Claim) -> bool:
    """A claim retold through its cue ("a charge X denied" / "X rejects it") has the predicate of what it refers to."""
    return bool(sc.cue and sc.cue == pc.cue)


def _compare(sc: nlp.Claim, pc: nlp.Claim, sims: "_Sims") -> list[tuple[str, str]]:
    out = []
    who = lambda x: x or "the narrator"  # noqa: E731
    for role, mine in (("subject", sc.subject), ("object", sc.object)):
        theirs = getattr(pc, role)
        if mine and theirs and _same(mine, theirs, sims) is False:
            if nlp.entity_relation(mine, theirs) == "narrower":
                out.append(("entity", f"{mine!r} is narrower than the passage's {theirs!r}"))
                continue
            for other_role, other in (("subject", pc.subject), ("object", pc.object), ("source", pc.source)):
                if other_role != role and other and _same(mine, other, sims):
                    out.append(("role_swap", f"roles swapped: the passage has {mine!r} as the {other_role} of "
                                             f"{pc.predicate!r}, the sentence as its {role}"))
                    break
            else:
                if sims.is_name(mine) and sims.is_name(theirs):
                    out.append(("role_swap", f"the {role} of {pc.predicate!r} is {theirs!r} in the passage, "
                                             f"{mine!r} in the sentence"))
    plan_like = sc.stance in _PLAN_LIKE or pc.stance in _PLAN_LIKE
    if plan_like and not (sc.source and pc.source and _same(sc.source, pc.source, sims) is False):
        pass  # "X plans to Y" retold as "X will Y", "aiming to": a question of modality, compared below
    elif sc.source != pc.source and not (sc.source and pc.source and _same_source(sc.source, pc.source, sims)):
        if not sc.source and pc.source:
            out.append(("attribution", f"stated as fact, but the passage attributes it to {pc.source} "
                                       f"({pc.cue or pc.stance})"))
        elif sc.source == "unnamed":
            pass  # "allegedly": the sentence hedges what the passage attributes
        elif _same(sc.source, pc.subject, sims) or _same(sc.source, pc.object, sims):
            out.append(("role_swap", f"roles swapped: the passage has {sc.source!r} in the claim and "
                                     f"{who(pc.source)!r} asserting it"))
        else:
            out.append(("attribution", f"attributed to {sc.source}, but the passage's source is {who(pc.source)}"))
    ss, sn = _stance(sc)
    ps, pn = _stance(pc)
    if plan_like:
        ss = ps
    if ss.removeprefix("not_") != ss or ps.removeprefix("not_") != ps:
        if ss != ps:
            out.append(("stance", f"the passage's {pc.source or 'narrator'} {ps.replace('_', ' ')}s it; "
                                  f"the sentence says {ss.replace('_', ' ')}"))
    elif ps not in _STANCE_OK.get(ss, {ss}):
        out.append(("stance", f"stance changed: the passage's {who(pc.source)} {_verb(ps)} it, "
                              f"the sentence says {_verb(ss)}"))
    if sn != pn:
        out.append(("negations", f"negation changed: the passage {'denies' if pn else 'affirms'} {pc.predicate!r}"))
    if not _modality_ok(sc.modality, pc.modality):
        out.append(("modality", f"modality changed: the passage says {pc.modality or 'it happened'!r}, "
                                f"the sentence {sc.modality or 'that it happened'!r}"))
    return out


def _stance(c: nlp.Claim) -> tuple[str, bool]:
    """Stance and negation with "said it did not" folded into "denied"."""
    if c.stance == "assert" and c.negated and c.source:
        return "deny", False
    if c.stance == "deny" and c.negated:
        return "assert", False
    return c.stance, c.negated


def _verb(stance: str) -> str:
    return {"assert": "says", "allege": "alleges", "deny": "denies", "admit": "admits", "confirm": "confirms",
            "plan": "plans", "expect": "expects", "believe": "believes", "warn": "warns"}.get(stance, stance)


def _modality_ok(mine: str, theirs: str) -> bool:
    if mine == theirs or (mine in _POSSIBLE and theirs not in _DEONTIC):
        return True
    if mine in _FUTURE:
        return theirs in _FUTURE
    if mine in _INTENT:
        return theirs in _INTENT | _FUTURE
    return False


def _same(a: str, b: str, sims: "_Sims"):
    """True/False when two claim arguments name the same thing or not; None when one is unknown (empty, a pronoun)."""
    if not a or not b or a in _PRONOUNS or b in _PRONOUNS or a == "unnamed" or b == "unnamed":
        return None
    if a == b:
        return True
    rel = nlp.entity_relation(a, b)
    if rel in ("same", "broader"):
        return True
    if rel == "narrower":
        return False
    ha, hb = a.split()[-1], b.split()[-1]
    if ha == hb or stem(ha) == stem(hb):
        return True
    ca, cb = lexicon.country_of(ha), lexicon.country_of(hb)
    if ca and ca == cb:
        return True
    if a in b.split() or b in a.split():
        return True
    return sims.same_word(ha, hb, ARG_SYNONYM)


# ---------------------------------------------------------------- facts that must be the passage's


def _hard_facts(sentence, passage, s, p, aligned):
    facts, ev = hard_facts(sentence), hard_facts(passage)
    nums = facts["numbers"] - ev["numbers"]
    if nums:
        for q in s.quantities:  # "$2.5 billion" for "$2.5bn", "a fifth" for "20%", "280 of 1,400" for "20% of 1,400"
            if _amount_supported(q, p.quantities):
                nums -= {n for n in nums if n in q.text.lower().replace(",", "")} | set(
                    re.findall(r"\b[a-z]+\b", q.text.lower()))
        if nums:
            return "numbers", f"numbers not in the passage: {', '.join(sorted(nums)[:3])}"
    for q in s.quantities:
        if re.search(r"\d", q.text) and not _amount_supported(q, p.quantities):
            return "numbers", f"the amount {q.text!r} is not in the passage"
    ev_lower = passage.lower().replace("’", "'")
    ev_countries = {lexicon.country_of(w) for w in re.findall(r"[\w.']+", passage)} - {""}
    missing = sorted(n for n in facts["names"] - nlp.CORPORATE if not re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", ev_lower)
                     and lexicon.country_of(n) not in ev_countries and not _not_a_name(n, s)
                     and not _acronym_of(n, p))
    if missing:
        return "names", f"names not in the passage: {', '.join(missing[:3])}"
    neg = facts["negations"] - ev["negations"]
    if neg and aligned:  # "did not" retold as "denied" (or back) is fine once the claims align
        neg -= {"not", "n't", "denied", "denies", "deny", "never"}
    if neg:
        return "negations", f"negations not in the passage: {', '.join(sorted(neg))}"
    return None


def _amount_supported(q: nlp.Quantity, theirs) -> bool:
    """The amount is one of the passage's, or exactly follows from two of them (a share of a total,
    a part of a whole): "35% of the $400 million" for "$140 million of the $400 million"."""
    if any(_same_amount(q, r) for r in theirs):
        return True
    if q.unit.startswith("of "):
        share = nlp.Quantity(q.text, q.start, q.end, 100 * q.value / max(float(q.unit[3:]), 1.0), "%")
        if any(_same_amount(share, r) for r in theirs):
            return True
    amounts = [r for r in theirs if r.unit != "%" and r.value]
    shares = [r.value for r in theirs if r.unit == "%"] + [100 * r.value / float(r.unit[3:]) for r in theirs
                                                          if r.unit.startswith("of ") and r.unit[3:] != "0"]
    if q.unit == "%":
        return any(_close(q.value, 100 * a.value / b.value) for a in amounts for b in amounts if a is not b)
    return any(_close(q.value, pct * b.value / 100) for pct in shares for b in amounts)


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-6 * max(abs(x), abs(y), 1.0)


def _same_amount(q: nlp.Quantity, r: nlp.Quantity) -> bool:
    if not _close(q.value, r.value):
        return False
    # only typed units can disagree: 30% is not $30; "1,200 positions" and "1,200 jobs" are one count
    typed = lambda u: u == "%" or u.isupper()  # noqa: E731
    return q.unit == r.unit or not (typed(q.unit) and typed(r.unit))


def _not_a_name(word: str, s: nlp.Analysis) -> bool:
    """A capitalised word the tagger reads as a common word ("Building such models...", "Competition often...")
    at the start of a sentence is not a name."""
    starts = {a for a, _ in s.sentences}
    return any(t.start in starts and t.text.lower() == word and t.pos not in ("PROPN",) and not t.ent
               for t in s.tokens)


def _acronym_of(word: str, p: nlp.Analysis) -> bool:
    """An acronym spelled by the initials of consecutive passage words ("IP" = intellectual property,
    "VCs" = venture capital(ists), "CEO" = chief executive (officer))."""
    w = word.lower().rstrip("s") if len(word) > 2 and word.endswith("s") else word.lower()
    if not (2 <= len(w) <= 5 and w.isalpha()):
        return False
    words = [t.text.lower() for t in p.tokens if t.text[:1].isalpha()]
    initials = "".join(x[0] for x in words)
    return w in initials and any(initials[i:i + len(w)] == w and all(len(x) > 2 for x in words[i:i + len(w)])
                                 for i in range(len(words))) or (w.endswith("o") and len(w) == 3 and w[:2] in initials
                                                                 and words[initials.find(w[:2])] == "chief")


def _quantifiers(sentence, passage, s, p, aligned):
    have = {t.text.lower() for t in p.tokens}
    for group in _SAME_QUANTIFIER:
        if group & have:
            have |= group
    added = set()
    toks = s.tokens
    for i, t in enumerate(toks):
        w = t.text.lower()
        if w not in STRICT_QUANTIFIERS or w in have:
            continue
        nxt = toks[i + 1].text.lower() if i + 1 < len(toks) else ""
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


def _times(sentence, passage, s, p, aligned):
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


def _entities(sentence, passage, s, p, aligned):
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


def _words(sentence, passage, s, p, aligned):
    have = {t.lemma for t in p.tokens} | {t.text.lower() for t in p.tokens}
    by_pos = {(w, t.pos) for t in p.tokens for w in (t.lemma, t.text.lower())}
    for t in s.tokens:
        w = t.lemma
        if t.pos not in _CONTENT_POS or w in have or t.text.lower() in have:
            continue
        opposite = {o for o in lexicon.ANTONYMS.get(w, set()) | lexicon.ANTONYMS.get(t.text.lower(), set())
                    if (o, t.pos) in by_pos}  # "emptied" (a verb) does not contradict "full" (an adjective)
        if opposite:
            return "antonym", f"{t.text!r} contradicts the passage's {sorted(opposite)[0]!r}"
        if w in lexicon.CLOSED_WORDS and t.pos != "PROPN":
            return "detail", f"{t.text!r} is not in the passage"
    return None


# ---------------------------------------------------------------- how much of the sentence is there


def _content(a: nlp.Analysis) -> list[nlp.Token]:
    return [t for t in a.tokens if t.pos in _CONTENT_POS and not t.stop and t.text.lower() not in STOPWORDS
            and t.lemma not in STOPWORDS and any(ch.isalnum() for ch in t.text)]


def _cues(a: nlp.Analysis) -> set[str]:
    return {c.cue for c in a.claims if c.cue} | {w for c in a.claims if c.cue == "according to" for w in ("according",)}


def _recall(sentence, passage, s, p, aligned) -> float:
    """The lexical check's recall; once the claims align, the sentence's own reporting verbs do not count
    (its stance was compared with the passage's, "claims" for "said")."""
    terms = set(content_terms(sentence))
    if aligned:
        terms -= {stem(c) for c in _cues(s)} | {stem(t.text) for t in s.tokens if t.lemma in _cues(s)}
    ev = set(content_terms(passage))
    return len(terms & ev) / len(terms) if terms else 1.0


def _coverage(s, p, sims: "_Sims", aligned) -> float:
    mine = [t for t in _content(s) if not (aligned and t.lemma in _cues(s))]
    if not mine:
        return 1.0
    theirs = _content(p)
    have = {t.lemma for t in theirs} | {stem(t.text) for t in theirs}
    left = [t for t in mine if t.lemma not in have and stem(t.text) not in have]
    if left and sims.embed:
        vocab = sorted({t.lemma for t in theirs})
        best = sims.best([t.lemma for t in left], vocab)
        left = [t for t, b in zip(left, best) if b < SYNONYM]
    return 1 - len(left) / len(mine)


def _sentence_similarity(sentence: str, passage: str, sims: "_Sims") -> float:
    """Cosine of the sentence's vector with the closest span of the passage (each sentence, and the whole)."""
    spans = [passage[a:b] for a, b in sentence_spans(passage)]
    windows = list(dict.fromkeys(spans + [" ".join(spans[i:i + 2]) for i in range(len(spans) - 1)] + [passage]))
    v = sims.vectors([sentence] + windows)
    return float((v[1:] @ v[0]).max())


class _Sims:
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
