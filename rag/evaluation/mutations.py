"""The gate's self-test: corrupt known-good answers and require the checker to reject every one.

Known-good answers are the bot's own answers that passed the grounding check in
this run, plus one-sentence answers built from the corpus (a sentence with a
number, one with names, one with a negation, quoted at its own span) so the
self-test has material even when the bot answers nothing. Each is corrupted in
the ways a wrong answer usually is wrong (a number, a name, a negation, the passage, the quote, and who said
what: roles swapped, an attribution dropped, a stance reversed, a quantifier added); a mutation the checker accepts is an
escape, and any escape fails the eval.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Callable

from .. import nlp
from ..citations import check_answer, lexical_support, split_cited
from ..sanitize import MARK, strip_markers
from ..text import hard_facts, names, negations, numbers, sentence_spans, word_count, words
from ..types import Answer, Chunk, Citation
from .metrics import ground

# The reason each kind of corruption must be rejected for (a word in the violation).
EXPECTED = {
    "swap_number": "numbers",
    "swap_entity": "names",
    "negate": "negations",
    "wrong_passage": "passage",
    "unsupported_sentence": "passage",
    "uncited_sentence": "uncited",
    "alter_quote": "not verbatim",
    "shift_span": "not verbatim",
    "dangling_marker": "does not exist",
    "role_swap": "role",
    "attribution_drop": "attribut",
    "stance_reversal": "stance",
    "quantifier": "quantifier",
}
# A plausible wrong figure for each number word ("hundreds of millions" -> "tens of millions").
_SWAP_WORDS = {"hundred": "thousand", "hundreds": "tens", "tens": "hundreds", "thousand": "hundred",
               "thousands": "hundreds", "million": "billion", "millions": "billions", "billion": "million",
               "billions": "millions", "trillion": "billion", "trillions": "billions", "dozen": "hundred",
               "dozens": "hundreds", "one": "seven", "two": "nine", "three": "eight", "four": "eleven",
               "five": "twelve", "ten": "forty", "twenty": "fifty"}
_AUX = re.compile(r"\b(is|are|was|were|has|have|had|can|could|will|would|should|may|might|must)\b")


@dataclass
class Mutant:
    kind: str
    base: str  # id of the known-good answer it was made from
    description: str
    answer: Answer


@dataclass
class MutationReport:
    bases: int = 0
    total: int = 0
    rejected: int = 0
    by_kind: dict = field(default_factory=dict)  # kind -> [rejected, total]
    escaped: list = field(default_factory=list)  # mutants the eval checker accepted
    wrong_reason: list = field(default_factory=list)  # rejected, but not for the reason the corruption breaks
    gate_missed: list = field(default_factory=list)  # mutants the production gate (check_answer) accepted
    broken_controls: list = field(default_factory=list)  # known-good answers the checker rejected

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.rejected == self.total and not self.gate_missed

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"ok": self.ok}


class Corpus:
    """What mutations borrow from: the indexed passages and the names in them."""

    def __init__(self, chunks: list[Chunk]):
        self.sentences: list[tuple[str, int, int, str]] = []  # (doc_id, start, end, text)
        seen = set()
        for c in chunks:
            for s, e in sentence_spans(c.text):
                key = (c.doc_id, c.start + s)
                text = c.text[s:e]
                if key not in seen and word_count(text) >= 6 and text.rstrip("\"'”’)").endswith("."):
                    seen.add(key)
                    self.sentences.append((c.doc_id, c.start + s, c.start + e, text))
        counts: dict[str, int] = {}
        spelled: dict[str, str] = {}
        for _, _, _, text in self.sentences:
            for n in names(text):
                if len(n) > 3 and n.isalpha():
                    m = re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text, re.I)
                    if m and m.group()[0].isupper():
                        counts[n] = counts.get(n, 0) + 1
                        spelled.setdefault(n, m.group())
        self.names = [spelled[n] for n in sorted(counts, key=lambda n: (-counts[n], n))]


def synthetic_goods(corpus: Corpus) -> list[tuple[str, Answer]]:
    """One-sentence answers quoting corpus sentences that carry hard facts, cited at their own span."""
    picks: dict[str, tuple] = {}
    for sent in corpus.sentences:
        facts = hard_facts(sent[3])
        for kind, wanted in (("numbers", 1), ("names", 2), ("negations", 1)):
            if kind not in picks and len(facts[kind]) >= wanted and word_count(sent[3]) <= 60:
                picks[kind] = sent
        if "attribution" not in picks and word_count(sent[3]) <= 60 and _attributed(sent[3]):
            picks["attribution"] = sent
    out = []
    for kind, (doc_id, s, e, text) in picks.items():
        cite = Citation(n=1, doc_id=doc_id, title="", url="", quote=text, start=s, end=e, score=0.0)
        out.append((f"corpus-sentence-with-{kind}", Answer(f"{text} [1]", refused=False, citations=[cite])))
    return out


def mutants(base: str, ans: Answer, corpus: Corpus) -> list[Mutant]:
    """Every applicable corruption of one known-good answer."""
    out = []
    for make in (_swap_number, _swap_entity, _negate, _wrong_passage, _unsupported_sentence,
                 _uncited_sentence, _alter_quote, _shift_span, _dangling_marker,
                 _role_swap, _attribution_drop, _stance_reversal, _quantifier):
        made = make(ans, corpus)
        if made:
            kind, desc, answer = made
            out.append(Mutant(kind, base, desc, answer))
    return out


def self_test(goods: list[tuple[str, Answer]], text_of: Callable[[str], str | None], corpus: Corpus,
              min_support: float, off_limits=None, checker=None) -> MutationReport:
    """Mutate every known-good answer; count what the eval checker and the production gate reject.

    `checker(answer) -> violations` defaults to the eval's own `ground`; the tests pass a
    weaker one to show that the self-test notices.
    """
    checker = checker or (lambda a: ground(a, text_of, min_support, off_limits).violations)
    rep = MutationReport()
    for base, ans in goods:
        if ans.refused or checker(ans):
            rep.broken_controls.append(base)
            continue
        rep.bases += 1
        for m in mutants(base, ans, corpus):
            violations = checker(m.answer)
            tally = rep.by_kind.setdefault(m.kind, [0, 0])
            tally[1] += 1
            rep.total += 1
            row = {"kind": m.kind, "base": base, "description": m.description, "answer": m.answer.answer}
            if violations:
                rep.rejected += 1
                tally[0] += 1
                if not any(EXPECTED[m.kind] in v or (EXPECTED[m.kind] == "passage" and _grounding(v))
                           for v in violations):
                    rep.wrong_reason.append(row | {"violations": violations})
            else:
                rep.escaped.append(row)
            if not check_answer(m.answer, text_of, min_support):
                rep.gate_missed.append(row)
    return rep


def _grounding(violation: str) -> bool:
    return violation.startswith(("hard rule", "unsupported")) or "shares no content word" in violation


# ---------------------------------------------------------------- corruptions


def _cited_text(ans: Answer) -> str:
    return " ".join(c.quote for c in ans.citations)


def _swap_number(ans: Answer, corpus: Corpus):
    have = numbers(_cited_text(ans))
    m = re.search(r"(?<![\[\w.,])\d[\d,.]*\d(?![\w\]])|(?<![\[\w.,])\d(?![\w\]])", ans.answer)
    if m:
        value = int(re.sub(r"\D", "", m.group()) or 0)
        new = next(str(v) for v in (value * 3 + 7, value + 1000, 123457) if str(v) not in have)
        return "swap_number", f"changed the number {m.group()} to {new}", _text(ans, m.start(), m.end(), new)
    for word in re.finditer(r"\b[a-z]+\b", ans.answer):
        w, new = word.group(), _SWAP_WORDS.get(word.group())
        if new and not {new, new.rstrip("s"), new + "s"} & have:
            return "swap_number", f"changed '{w}' to '{new}'", _text(ans, word.start(), word.end(), new)
    end = re.search(r"[.!?](?=[\"'”’)]*\s*\[)", ans.answer)
    year = next(y for y in ("1987", "1994", "2003") if y not in have)
    if end:
        return "swap_number", f"added the year {year}", _text(ans, end.start(), end.start(), f" in {year}")
    return None


def _swap_entity(ans: Answer, corpus: Corpus):
    text = ans.answer
    mine = names(strip_markers(text))
    cited = _cited_text(ans).lower()
    for m in re.finditer(r"\b[A-Z][\w'’-]+", text):
        word = m.group().rstrip("'’s") if m.group().endswith(("'s", "’s")) else m.group()
        if word.lower() not in mine:
            continue
        for other in corpus.names:
            if other.lower() not in cited and other.lower() not in text.lower():
                return ("swap_entity", f"replaced the name {word} with {other} (named elsewhere in the corpus)",
                        _text(ans, m.start(), m.start() + len(word), other))
    return None


def _negate(ans: Answer, corpus: Corpus):
    have = negations(_cited_text(ans))
    m = _AUX.search(ans.answer)
    word = next((w for w in ("not", "never") if w not in have), None)
    if not word:
        return None
    if m:
        return "negate", f"inserted '{word}' after '{m.group()}'", _text(ans, m.end(), m.end(), f" {word}")
    return "negate", f"prefixed 'It is {word} true that'", _text(ans, 0, 0, f"It is {word} true that ")


def _unrelated_sentence(sentence: str, corpus: Corpus, avoid: set):
    """The corpus sentence that supports `sentence` least (verbatim, so it is a valid quote elsewhere)."""
    best = None
    for doc_id, s, e, text in corpus.sentences:
        if (doc_id, s) in avoid:
            continue
        sup = lexical_support(sentence, text)  # the words decide "unrelated"; fast over the whole corpus
        key = (sup.ok, sup.recall)
        if best is None or key < best[0]:
            best = (key, (doc_id, s, e, text))
    return best[1] if best and not (best[0][0] and best[0][1] >= 0.7) else None


def _wrong_passage(ans: Answer, corpus: Corpus):
    c = ans.citations[0]
    citing = " ".join(cs.text for cs in split_cited(ans.answer) if c.n in cs.markers) or ans.answer
    other = _unrelated_sentence(citing, corpus, {(x.doc_id, x.start) for x in ans.citations})
    if not other:
        return None
    doc_id, s, e, text = other
    moved = dataclasses.replace(c, doc_id=doc_id, start=s, end=e, quote=text)
    return ("wrong_passage", f"pointed [{c.n}] at another passage ({doc_id} {s}-{e})",
            dataclasses.replace(ans, citations=[moved] + list(ans.citations[1:])))


def _unsupported_sentence(ans: Answer, corpus: Corpus):
    c = ans.citations[0]
    other = _unrelated_sentence(c.quote, corpus, {(x.doc_id, x.start) for x in ans.citations})
    if not other:
        return None
    return ("unsupported_sentence", f"added a corpus sentence citing [{c.n}], which does not say it",
            dataclasses.replace(ans, answer=f"{ans.answer} {other[3]} [{c.n}]"))


def _uncited_sentence(ans: Answer, corpus: Corpus):
    used = {(x.doc_id, x.start) for x in ans.citations}
    extra = next((t for d, s, _, t in corpus.sentences if (d, s) not in used and t not in ans.answer), None)
    if not extra:
        return None
    return "uncited_sentence", "added a sentence with no citation", dataclasses.replace(ans, answer=f"{ans.answer} {extra}")


def _alter_quote(ans: Answer, corpus: Corpus):
    c = ans.citations[0]
    ws = list(re.finditer(r"[A-Za-z]{4,}", c.quote))
    if not ws:
        return None
    w = max(ws, key=lambda m: len(m.group()))
    quote = c.quote[:w.start()] + c.quote[w.end():].lstrip(" ")
    return ("alter_quote", f"dropped '{w.group()}' from the quote of [{c.n}]",
            dataclasses.replace(ans, citations=[dataclasses.replace(c, quote=quote)] + list(ans.citations[1:])))


def _shift_span(ans: Answer, corpus: Corpus):
    c = ans.citations[0]
    moved = dataclasses.replace(c, start=c.start + 1, end=c.end + 1)
    return ("shift_span", f"moved the span of [{c.n}] one character", 
            dataclasses.replace(ans, citations=[moved] + list(ans.citations[1:])))


def _dangling_marker(ans: Answer, corpus: Corpus):
    m = MARK.search(ans.answer)
    if not m:
        return None
    new = max(c.n for c in ans.citations) + 5
    return ("dangling_marker", f"changed the marker {m.group()} to [{new}], a citation that does not exist",
            _text(ans, m.start(), m.end(), f"[{new}]"))


# ---------------------------------------------------------------- who said what (rag/attribution/)

_OPPOSITE_STANCE = {"denied": "admitted", "denies": "admits", "deny": "admit", "admitted": "denied", "admits": "denies",
                    "confirmed": "denied", "confirms": "denies", "rejected": "accepted", "rejects": "accepts",
                    "acknowledged": "denied", "conceded": "denied", "disputed": "confirmed", "accused": "cleared",
                    "accuses": "clears", "alleged": "denied", "alleges": "denies", "claimed": "denied",
                    "said": "denied", "says": "denies"}
_QUANTIFIERS = ("all", "every", "only", "most")


def _first_sentence(ans: Answer):
    """The first cited sentence of the answer and where it starts in the answer text."""
    parts = split_cited(ans.answer)
    if not parts or not parts[0].markers:
        return None
    pos = ans.answer.find(parts[0].text.rstrip(".!?"))
    return (parts[0].text, pos) if pos >= 0 else None


def _attributed(text: str):
    return next((c for c in nlp.analyze(text).claims if c.source and c.source != "unnamed" and c.predicate
                 and c.predicate != c.cue), None)


def _role_swap(ans: Answer, corpus: Corpus):
    """Swap two names that fill different roles of one claim (accuser and accused, buyer and seller)."""
    first = _first_sentence(ans)
    if not first:
        return None
    text, pos = first
    found = {n for n in names(text)}
    for c in nlp.analyze(text).claims:
        roles = [r for r in (c.source, c.subject, c.object) if r and r in found and r != "unnamed"]
        if len(set(roles)) < 2:
            continue
        a, b = roles[0], next(r for r in roles if r != roles[0])
        ma = re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", text, re.I)
        mb = re.search(r"(?<!\w)" + re.escape(b) + r"(?!\w)", text, re.I)
        if not ma or not mb:
            continue
        (s1, e1, t1), (s2, e2, t2) = sorted([(ma.start(), ma.end(), ma.group()), (mb.start(), mb.end(), mb.group())])
        new = text[:s1] + t2 + text[e1:s2] + t1 + text[e2:]
        return ("role_swap", f"swapped {t1} and {t2}, who fill different roles of '{c.predicate}'",
                _text(ans, pos, pos + len(text.rstrip(".!?")), new.rstrip(".!?")))
    return None


def _attribution_drop(ans: Answer, corpus: Corpus):
    """State an attributed claim as fact: keep the content clause, drop who asserts it."""
    first = _first_sentence(ans)
    if not first:
        return None
    text, pos = first
    doc = nlp.pipeline()(text)
    for t in doc:
        if t.lemma_.lower() not in nlp.STANCE or nlp.STANCE[t.lemma_.lower()] in ("deny", "plan", "expect"):
            continue
        for c in t.children:
            if c.dep_ == "ccomp" and c.pos_ in ("VERB", "AUX"):  # "X said (that) S" -> "S"
                toks = [x for x in c.subtree if x.dep_ != "mark" or x.head.i != c.i]
                clause = text[toks[0].idx:toks[-1].idx + len(toks[-1].text)].strip(" ,")
                if any(x.lemma_.lower() in nlp.STANCE for x in c.subtree) or clause.count('"') % 2 \
                        or clause.count("“") != clause.count("”") or toks[0].i < t.i < toks[-1].i:
                    # the clause still reports a claim, cuts a quotation in two, or spans the cue itself
                    # ("which she said could be built ..."): not a clean drop
                    continue
                return ("attribution_drop", f"dropped '{t.text}' and its speaker, stating the claim as fact",
                        _text(ans, pos, pos + len(text.rstrip(".!?")), clause[:1].upper() + clause[1:]))
        accused = next((c for c in t.children if c.dep_ in ("dobj", "nsubjpass")), None)
        act = next((g for c in t.children if c.dep_ == "prep" and c.lower_ == "of"
                    for g in c.children if g.dep_ == "pcomp"), None)
        if accused is not None and act is not None:  # "X accused Y of Ving Z" -> "Y was Ving Z"
            who = text[accused.left_edge.idx:accused.idx + len(accused.text)]
            what = text[act.left_edge.idx:act.right_edge.idx + len(act.right_edge.text)]
            return ("attribution_drop", f"dropped the accusation by its source: '{who} was {what}'",
                    _text(ans, pos, pos + len(text.rstrip(".!?")), f"{who[:1].upper() + who[1:]} was {what}"))
    for t in doc:
        if t.lower_ in nlp.HEDGES and t.dep_ in ("amod", "advmod"):  # "the alleged access" -> "the access"
            s, e = t.idx, t.idx + len(t.text)
            while e < len(text) and text[e] == " ":
                e += 1
            return ("attribution_drop", f"removed the hedge '{t.text}'", _text(ans, pos + s, pos + e, ""))
    return None


def _stance_reversal(ans: Answer, corpus: Corpus):
    """Turn a stance into its opposite: denied -> admitted, accused -> cleared."""
    first = _first_sentence(ans)
    if not first:
        return None
    text, pos = first
    have = _cited_text(ans).lower()
    for t in nlp.pipeline()(text):
        new = _OPPOSITE_STANCE.get(t.lower_)
        if new and t.pos_ in ("VERB", "AUX") and t.lemma_.lower() in nlp.STANCE and new not in have:
            return ("stance_reversal", f"changed '{t.text}' to '{new}'", _text(ans, pos + t.idx, pos + t.idx + len(t.text), new))
    return None


def _quantifier(ans: Answer, corpus: Corpus):
    """Add a quantifier the passage does not have before a plural noun phrase ("its models" -> "all its models")."""
    first = _first_sentence(ans)
    if not first:
        return None
    text, pos = first
    have = set(words(_cited_text(ans)))
    q = next((w for w in _QUANTIFIERS if w not in have), None)
    if not q:
        return None
    toks = list(nlp.pipeline()(text))
    for i, t in enumerate(toks):
        if t.tag_ == "NNS" and i > 0:
            start = t.left_edge
            if start.i == 0 or start.dep_ in ("nummod",) or toks[start.i].lower_ in _QUANTIFIERS:
                continue
            at = start.idx
            word = {"every": "every one of"}.get(q, q)
            return ("quantifier", f"inserted '{q}' before '{text[at:t.idx + len(t.text)]}'",
                    _text(ans, pos + at, pos + at, f"{word} "))
    return None


def _text(ans: Answer, start: int, end: int, new: str) -> Answer:
    return dataclasses.replace(ans, answer=ans.answer[:start] + new + ans.answer[end:])
