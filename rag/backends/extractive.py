"""The default backend: answers with verbatim sentences from the passages, no LLM.

Each candidate sentence is scored on general signals: meaning (embedding
similarity to the question), the question's rarer words it contains (idf
weighted), whether it holds the kind of answer asked for (a name for "who", a
date for "when", an amount for "how much", a reason for "why"), whether it says
something beyond the question, and how well its passage ranked. The coverage is
judged not to answer when the best evidence is weak, the asked-for kind of
answer is nowhere in it, or the question names something the coverage never
mentions.

Why 480 lines: candidate scoring, the question's constraints and answer composition are one
selection; reading on and trimming live in compose.py, the choice among dated statements of one
fact in dated.py; the answer-span part is the next candidate to split out.
"""
from __future__ import annotations

import re
from functools import lru_cache
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterator

from ..facts import Fit, fit, undated
from ..lexicon import country_of, nominal_of
from ..question import aimed_at_model, intent
from ..text import STOPWORDS, content_terms, names, negations, numbers, sentence_spans, stem, word_count, words
from . import REFUSAL, Backend, Request
from . import dated as choose_dated
from .compose import CAUSE as _CAUSE, read_on, trim, yes_no_lead
from .unsaid import gives_kind, not_known, reports_response, say_not_known

MAX_WORDS = 80
MAX_SENTENCES = 3
# Calibrated on the bundled corpus with questions it does and does not answer (evals/).
MIN_SIMILARITY = 0.42
MIN_MATCH = 0.5
_DATE = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|"
                   r"december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|"
                   r"(19|20)\d\d|last (week|month|year)|this (week|month|year))\b", re.I)
_REASON = re.compile(r"\b(because|since|due to|as a result|so that|in order to|making|means|requires?|"
                     r"hinges?|essential|crucial|driven by|given|therefore|thus|reflecting|underscores?|"
                     r"blam(e|ed|es|ing)|credit(ed|s)?|cit(e|ed|es|ing)|attribut(e|ed|es)|caused?|led to|after)\b", re.I)


@dataclass
class Candidate:
    passage: int  # 1-based
    start: int
    end: int
    text: str
    terms: set
    sim: float = 0.0
    match: float = 0.0
    novelty: float = 0.0
    typed: bool = False
    score: float = 0.0
    vector: list | None = None
    shown: str = ""  # the text put in the answer: the sentence, or its main clause


class Extractive(Backend):
    name = "extractive"

    def generate(self, request: Request) -> Iterator[str]:
        chosen = self.select(request)
        if not chosen:
            yield REFUSAL
            return
        if request.asked is not None and request.asked.kind == "yesno":
            chosen = _polar(request, chosen)
        lead = "" if any(n.startswith("lead: ") for n in request.notes) else _answer_span(request, chosen[0])
        head = f"{lead}. [{chosen[0].passage}] " if lead else ""
        yield head + " ".join(f"{c.shown} [{c.passage}]" for c in chosen)

    def select(self, req: Request) -> list[Candidate]:
        """The sentences that answer the question, best first; empty means refuse."""
        want = intent(req.question)
        if req.asked is not None:  # the grammar-based kind, where it knows better than the patterns
            want = replace(want, answer_type=_LEGACY.get(req.asked.kind, want.answer_type))
        if want.task_request or _unknown_subject(req):
            req.notes.append("refused: a request or a subject the coverage never mentions")
            return []
        cands, short = _candidates(req)
        if not cands:
            req.notes.append("refused: no candidate sentences")
            return []
        # the words that say when ("now", "originally") are answered by the articles' dates, not matched
        cue = set(content_terms(req.asked.cue)) if req.asked is not None and req.asked.cue else set()
        q_all = set(content_terms(req.query))
        q_terms = q_all - cue
        asked_now = set(content_terms(req.question))
        # in a follow-up, words carried over from earlier turns count for less than the new question's
        weights = {t: req.idf(t) * (1.0 if t in asked_now else 0.3) for t in q_terms}
        total = sum(weights.values()) or 1.0
        q_names = names(req.query)
        vectors = self.embedder.cached([c.text for c in cands])
        qv = req.query_embedding or self.embedder.query(req.query)
        fits = _fits(req, cands)
        yes_no = req.asked is not None and req.asked.kind == "yesno"
        factoid = req.asked is not None and req.asked.factoid
        # "originally" / "now": the oldest or the newest of the retrieved coverage
        dates = sorted(h.chunk.published for h in req.hits if h.chunk.published)
        when = "" if req.asked is None or not dates else dates[0] if req.asked.earliest else \
            dates[-1] if req.asked.latest else ""
        who = req.asked is not None and req.asked.kind == "person_or_org"
        for c, v in zip(cands, vectors):
            c.vector = v
            c.sim = sum(a * b for a, b in zip(qv, v))
            c.match = sum(w for t, w in weights.items() if t in c.terms) / total
            c.novelty = len(c.terms - q_terms) / max(len(c.terms), 1)
            c.typed = _has_type(want.answer_type, c, q_names, _plural(req.question))
            prior = 1.0 / (1 + 0.5 * (c.passage - 1))
            c.score = (0.5 * c.sim + 0.3 * c.match + 0.1 * prior + 0.1 * min(1.0, c.novelty / 0.5)
                       + (0.15 if c.typed and want.answer_type != "open" else 0.0)
                       - (0.05 if fits[id(c)].weak else 0.0)
                       + (0.1 if (yes_no or who) and _states(req, c) else 0.0)  # "led by Helen Mabry" for "who led"
                       + (0.1 if when and req.hits[c.passage - 1].chunk.published == when else 0.0))
        cands.sort(key=lambda c: -c.score)
        # What the question pins down (its year, quarter, names, the kind of answer) is a hard
        # constraint: a sentence about another year or without a name for "who" is not an answer.
        everyone = cands + short
        misfits = [c for c in cands if not fits[id(c)].ok]
        cands = [c for c in cands if fits[id(c)].ok]
        for c in misfits[:5]:
            req.notes.append(f"rejected {c.text[:80]!r}: {fits[id(c)].reason}")
        unsaid = not_known(req, everyone, fits, weights, _name_terms(req.question) | _FRAME)
        if not cands:
            if unsaid:
                return say_not_known(req, unsaid)
            _say_what_is_covered(req, misfits, fits)
            return []
        best = cands[0]
        # A sentence that meets what the question pins down (its year or quarter, its names, the kind
        # of answer) needs less similarity: those constraints are evidence of their own.
        pinned = req.asked is not None and (req.asked.years or req.asked.quarters or req.asked.entities) \
            and req.asked.factoid and not fits[id(best)].weak
        floor = 0.6 if pinned else 1.0
        if best.sim < floor * MIN_SIMILARITY and best.match < floor * MIN_MATCH:
            req.notes.append("refused: the best evidence is weak (similarity and word match)")
            return []
        # (a cue still counts as asked about where the coverage must hold what is asked: no weaker refusals)
        topic = q_all - _name_terms(req.question) - _FRAME
        # The question's own words (names aside) that the coverage never uses, weighted by rarity:
        # when most of what is asked about is absent and nothing is close in meaning, it is not covered.
        if topic and best.sim < 0.55:
            weight = lambda t: weights.get(t, req.idf(t))  # noqa: E731  - a cue word has no match weight
            known = sum(weight(t) for t in topic if req.in_corpus(t)) / (sum(weight(t) for t in topic) or 1)
            if known < 0.3:
                if unsaid:
                    return say_not_known(req, unsaid)
                req.notes.append("refused: most of what is asked about is absent from the coverage")
                return []
        dated = None
        if want.answer_type not in ("open", "reason"):
            # "who"/"when"/"how much": the sentence that holds a name/date/amount, not merely the most similar
            answers = held = [c for c in cands if c.typed]
            # ...and it must be about what was asked: a figure or a name about something else is wrong
            passage_terms = {i: set(content_terms(h.chunk.text)) for i, h in enumerate(req.hits, 1)}
            answers = [c for c in answers if not topic or (passage_terms[c.passage] & topic) or c.sim >= 0.6]
            if want.answer_type in ("amount", "date"):
                answers = [c for c in answers if c.terms & topic or c.sim >= 0.6]
            close = 0.6 * best.score
            # the asked kind itself beats merely some figure: an amount of money for "what did it cost",
            # not the sentence with the year the bridge opened; a count of ships for "how many ships"
            exact = [c for c in answers if choose_dated.exact(req, c)]
            if exact and exact[0].score >= close and exact[0] is not answers[0]:
                req.notes.append(f"chose a sentence holding the asked kind itself over {answers[0].text[:60]!r}")
            answers = exact if exact and exact[0].score >= close else answers
            typed = [c for c in answers if c.score >= close]
            if not typed:
                if unsaid:
                    return say_not_known(req, unsaid)
                req.notes.append("refused: no sentence holds the asked-for kind of answer about the subject")
                return []
            best = typed[0]
            # the same fact stated with different values on different dates: the newest first (or that of
            # the moment asked about), the other value after it
            # (a sentence that restates the other's value is about the same thing, whatever its words)
            dated = choose_dated.choose(req, best, answers, lambda c: _doc(req, c), topic,
                                        [c for c in held if choose_dated.exact(req, c)])
            if dated.first is not best:
                req.notes.append(f"gave the {'newest' if dated.as_of else 'asked moment'}'s statement first, "
                                 f"over {best.text[:60]!r}")
                best = dated.first
        elif want.answer_type == "reason":
            # "why": the sentence that gives a reason (blamed, because, due to), when one is close behind
            reasons = [c for c in cands if c.typed and c.score >= 0.85 * best.score]
            if reasons and not best.typed:
                req.notes.append(f"chose a sentence that gives a reason over {best.text[:60]!r}")
                best = reasons[0]
        if _yes_no(req.question) and best.sim < 0.6 and not _states(req, best) \
                and not any(t in best.terms for t in q_terms - _name_terms(req.question)):
            req.notes.append("refused: nothing states the thing asked about")
            return []  # nothing states the thing asked about
        if unsaid and not gives_kind(req, best, want.answer_type, cands):
            return say_not_known(req, unsaid)
        if reports_response(req, cands) is False:
            req.notes.append("refused: nothing reports a response from the one asked about")
            return []
        # a reason, the steps, or what a term means: read on through the paragraph
        explain = want.answer_type == "reason" or (req.asked is not None and req.asked.kind in ("process", "definition"))
        chosen = [best]
        if explain:
            # a reason or the steps run on through the paragraph ("It blamed ... and a warm spring"), and
            # the sentence that restates what is asked is often followed by the one that answers it: the
            # passage read on from each of the best few sentences, and the one that covers most of the question
            process = req.asked is not None and req.asked.kind == "process"
            windows = []
            for anchor in [best] + [c for c in cands[:4] if c is not best and c.score >= 0.8 * best.score]:
                w = read_on(anchor, everyone, req.article(_doc(req, anchor))[0], lambda c: _doc(req, c), q_terms,
                            MAX_WORDS, process=process, define=req.asked is not None and req.asked.kind == "definition")
                terms = set().union(*(c.terms for c in w))
                cover = sum(weights[t] for t in q_terms & terms) / total
                windows.append((anchor.score + 0.3 * cover + (0.05 if any(_CAUSE.search(c.text) for c in w) else 0),
                                -len(windows), w))
            chosen = max(windows)[2]
            if chosen[0] is not best and best not in chosen:
                req.notes.append(f"read on from {next(c for c in chosen if c.vector is not None).text[:60]!r}")
            best = next(c for c in chosen if c.vector is not None and c in cands[:5])
        # Another article that says something different about the same thing (a figure, a date, a
        # denial) is shown beside it: the reader sees the disagreement, not one side picked silently.
        rival = next((c for c in cands if c.passage != best.passage and _doc(req, c) != _doc(req, best)
                      and c.score >= 0.6 * best.score and (c.typed or want.answer_type in ("open", "reason"))
                      and _disagree(best, c)), None) if dated is None or not dated.rivals else dated.other
        if rival:
            chosen.append(rival)
        covered = set().union(*(c.terms for c in chosen))
        for c in chosen:
            c.shown = c.text if explain else trim(c.text, q_terms)
        words_used = sum(word_count(c.shown) for c in chosen)
        if rival is not None and dated is not None and dated.rivals and words_used > MAX_WORDS:
            chosen = [c for c in chosen if c is not rival]  # the earlier value is a courtesy; the cap is not
            words_used -= word_count(rival.shown)
        # "as of <date>" for the newest of several dated statements (the explainer adds it to any "now" answer)
        if dated is not None and dated.rivals and dated.as_of:
            req.notes.append(f"asof: {dated.as_of}")
        for c in cands:
            if len(chosen) == MAX_SENTENCES or c.score < 0.85 * best.score:
                break
            if any(c is o for o in chosen):
                continue
            if len(c.terms - covered) < 0.5 * len(c.terms) or any(_cos(c, o) > 0.75 for o in chosen):
                continue  # mostly repeats what is already said
            if factoid and not c.typed:
                continue  # a name, date or figure is answered by a sentence holding one
            # a further sentence must bring part of the question the answer does not yet touch
            gain = sum(weights[t] for t in (q_terms & c.terms) - covered) / total
            if gain < 0.15:
                continue
            c.shown = trim(c.text, q_terms)
            if words_used + word_count(c.shown) > MAX_WORDS:
                continue
            chosen.append(c)
            covered |= c.terms
            words_used += word_count(c.shown)
        if explain:
            chosen.sort(key=lambda c: (_doc(req, c), c.start))  # a reason or steps read in article order
        return chosen


# rag.understand's answer kinds, as the kinds this backend's scoring knows
_LEGACY = {"number": "amount", "money": "amount", "percent": "amount", "date": "date", "person_or_org": "person_or_org",
           "name": "person_or_org", "place": "place", "reason": "reason"}


_SPAN_LABELS = {"person_or_org": {"PERSON", "ORG", "NAME"}, "name": {"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "EVENT",
                "LAW", "NAME"}, "place": {"GPE", "LOC", "FAC"}, "date": {"DATE"}, "number": {"CARDINAL", "QUANTITY", "PERCENT", "MONEY"},
                "money": {"MONEY"}, "percent": {"PERCENT"}}


def _answer_span(req: Request, c: Candidate) -> str:
    """The name, date or figure that answers a factoid question, verbatim from the sentence, to say
    first; "" when the sentence holds no single such piece, or reports someone's claim (the
    piece alone would drop who said it)."""
    asked = req.asked
    if asked is None or not asked.factoid or asked.plural:
        return ""
    text, facts = req.article(req.hits[c.passage - 1].chunk.doc_id)
    sent = facts.at(c.start)[0] if facts else None
    if not text or sent is None or sent.attributed:
        return ""
    asked_text = req.query.casefold()
    shown_end = c.start + len(c.shown.rstrip("."))
    pieces = {(s, e) for label, s, e in sent.spans
              if label in _SPAN_LABELS[asked.kind] and c.start <= s and e <= shown_end}
    pieces = [(s, e) for s, e in sorted(pieces) if (p := text[s:e].strip(" ,;:")) and p.casefold() not in asked_text
              and not any(p.casefold() in x.text.casefold() or x.text.casefold() in p.casefold()
                          for x in asked.entities)]
    if not pieces:
        return ""
    if len(pieces) > 1:
        # several names or figures: the one closest to the question's own words ("who won":
        # the name beside "won"), when it is clearly closest
        where = [m.start() + c.start for t in set(content_terms(req.question))
                 for m in re.finditer(r"\b" + re.escape(t), c.text.lower())]
        if not where:
            return ""
        dist = sorted((min(abs(w - s) if w < s else abs(w - e) for w in where), s, e) for s, e in pieces)
        if dist[0][0] * 2 >= dist[1][0]:
            return ""
        pieces = [dist[0][1:]]
    s, e = pieces[0]
    if asked.kind in ("number", "money", "percent"):
        s, e = _with_unit(text, s, e, shown_end)
    piece = text[s:e].strip(" ,;:")
    if c.shown.startswith(piece) or len(piece.split()) > 8:
        return ""  # the sentence already says it first
    return piece


def _states(req: Request, c: Candidate) -> bool:
    """The sentence has a claim with the question's predicate ("won" for "did she win", "led by" for "who led")."""
    if req.asked is None or not req.asked.claim:
        return False
    facts = req.article(_doc(req, c))[1]
    sent = facts.at(c.start)[0] if facts else None
    head = req.asked.claim[0].split()[0]
    # an act named by its noun as to come counts ("a possible lawsuit" for "has she sued"): it is about the act
    return sent is not None and head not in ("be", "have", "do", "say", "happen", "mean") \
        and any(p.split()[0] == head or (m == "prospective" and nominal_of(head, p)) for p, *_, m in sent.claims)


def _polar(req: Request, chosen: list[Candidate]) -> list[Candidate]:
    """A yes/no answer leads with its plain answer ("No.", "Carrow says no.") read from the first
    chosen sentence whose claims answer it; that sentence goes first. The lead travels as a note and
    is shown only if its sentence survives the citation check as the answer's first."""
    for c in chosen:
        doc = _doc(req, c)
        text, facts = req.article(doc)
        sent = facts.at(c.start)[0] if facts else None
        lead = yes_no_lead(req.asked, sent, req.question, c.text)
        if lead:
            req.notes.append(f"lead: {doc}\t{c.start}\t{lead}")
            return [c] + [o for o in chosen if o is not c]
    return chosen


_APPROX = re.compile(r"(?:about|around|nearly|almost|roughly|some|over|under|more than|less than|at least|up to|"
                     r"only|just)\s+$", re.I)
_UNIT = re.compile(r"(?:-[a-z]+|\s+(?![a-z]*ly\b)[a-z][a-z-]*)(?<!\bof)")


_NOT_UNITS = {"already", "each", "apiece", "more", "less", "ago", "later", "earlier", "higher", "lower", "up", "down",
              "times", "percent", "and", "or", "to"}


def _with_unit(text: str, s: int, e: int, limit: int) -> tuple[int, int]:
    """A figure with what it counts and how sure it is ("about 25 minutes", "13-day"), verbatim: "25"
    alone says little."""
    m = _APPROX.search(text, max(0, s - 14), s)
    if m and m.end() == s:
        s = m.start()
    u = _UNIT.match(text, e, limit)
    money = re.search(r"[$€£¥%]|\b(?:percent|million|billion|trillion)\b", text[s:e], re.I)
    if u and not money and u.group().strip(" -").lower() not in STOPWORDS | _NOT_UNITS:
        e = u.end()
    return s, e


def _fits(req: Request, cands: list[Candidate]) -> dict:
    """How each candidate fits the question's constraints, judged with its article's context."""
    out = {}
    for c in cands:
        hit = req.hits[c.passage - 1].chunk
        text, facts = req.article(hit.doc_id)
        if req.asked is None or facts is None:
            out[id(c)] = Fit(True)
            continue
        sent, prev = facts.at(c.start)
        prev_text = text[prev.start:prev.end] if (text and prev) else ""
        # the article's opening (title, dek, lead sentence) names what the whole story is about:
        # "It still weighs less than 250 grams" in a review of the Skylark 2 is about the Skylark 2
        lead = text[:facts.sentences[min(1, len(facts.sentences) - 1)].end][:600] if (text and facts.sentences) else ""
        out[id(c)] = fit(req.asked, sent, prev, facts, c.text, f"{hit.title} {hit.section} {prev_text}",
                         text or "", lead)
    return out


def _say_what_is_covered(req: Request, misfits: list[Candidate], fits: dict) -> None:
    """When the closest coverage is about another year or quarter, say so (from its facts, not its text)."""
    close = next((c for c in misfits if fits[id(c)].failed in ("year", "quarter") and c.sim >= MIN_SIMILARITY), None)
    if close is not None:
        req.notes.append(f"notice: The closest coverage {fits[id(close)].reason}.")


def _candidates(req: Request) -> tuple[list[Candidate], list[Candidate]]:
    """The statements of the passages, and the short ones ("Vesper said that was deliberate."), which
    only ever continue a chosen sentence."""
    seen = set()
    out, minor = [], []
    term = req.asked.term.casefold() if req.asked is not None and getattr(req.asked, "term", "") else ""
    for i, hit in enumerate(req.hits, 1):
        ch = hit.chunk
        for s, e in sentence_spans(ch.text):
            text = ch.text[s:e]
            key = (ch.doc_id, ch.start + s)
            if key in seen:
                continue
            seen.add(key)
            # a term is often brought in by a rhetorical question: 'Will it accelerate the trend of "AI
            # nationalism," where companies prioritize domestic partnerships?' defines it all the same
            full = _is_statement(text) or (term and text.rstrip().endswith("?") and term in text.casefold()
                                           and word_count(text) >= 8 and _prose(text))
            if not full and not _is_statement(text, 3):
                continue
            # a sentence addressed to an AI (planted instructions, role tags) is never an answer
            if _aimed(text):
                continue
            (out if full else minor).append(Candidate(i, ch.start + s, ch.start + e, text, set(content_terms(text))))
    return out, minor


_aimed = lru_cache(maxsize=16384)(aimed_at_model)  # passages recur from question to question


@lru_cache(maxsize=16384)
def _is_statement(text: str, min_words: int = 6) -> bool:
    """Headings, headlines, questions and keyword lists are not answers."""
    return text.rstrip("\"'”’)").endswith((".", "!")) and word_count(text) >= min_words and _prose(text)


def _prose(text: str) -> bool:
    """A sentence written for readers, not a keyword list stuffed to win retrieval: prose needs
    function words (news sentences have 20-50%), and repeats no content word four times."""
    ws = words(text)
    if len(ws) >= 10 and sum(w in STOPWORDS for w in ws) < 0.1 * len(ws):
        return False
    counts = Counter(content_terms(text))
    return not counts or max(counts.values()) < 4


def _has_type(kind: str, c: Candidate, q_names: set, plural: bool = False) -> bool:
    if kind in ("person_or_org", "place"):
        # two-letter acronyms (AI, IP) are rarely who or where something is
        found = {n for n in names(undated(c.text)) - q_names if len(n) > 2}
        return len(found) >= (2 if plural else 1)
    if kind == "date":
        return bool(_DATE.search(c.text))
    if kind == "amount":
        return bool(numbers(c.text))
    if kind == "reason":
        return bool(_REASON.search(c.text))
    return True


def _unknown_subject(req: Request) -> bool:
    """The question names something (a name or a year) that the coverage never mentions."""
    asked = {n for n in names(req.question) if len(n) > 2}
    if req.asked is None:  # with the question understood, its years are checked against each article's date
        asked |= {n for n in numbers(req.question) if n.isdigit()}
    return any(not all(req.in_corpus(stem(w)) or any(req.in_corpus(stem(x)) for x in _country_words(w))
                       for w in words(n) if len(w) > 1) for n in asked)


def _country_words(word: str) -> list[str]:
    """A country's other names and its demonym ("China": "chinese"): the coverage may use either."""
    return country_of(word).split()


def _plural(question: str) -> bool:
    return bool(re.search(r"\b(companies|firms|people|parties|organi[sz]ations|countries|who are|who were)\b", question, re.I))


def _yes_no(question: str) -> bool:
    return bool(re.match(r"^\s*(did|does|do|is|are|was|were|has|have|had|can|could|will|would|should)\b", question, re.I))


def _name_terms(question: str) -> set:
    return {stem(w) for n in names(question) for w in words(n)}


# Words that frame a question rather than name its subject ("what kind of", "being discussed").
_FRAME = {stem(w) for w in """kind kinds sort sorts type types discussed discuss mentioned mention described
describe talked talk article story report reported coverage covered say said mean meant happen happened
happening exactly really actually right now currently""".split()}

def _doc(req: Request, c: Candidate) -> str:
    return req.hits[c.passage - 1].chunk.doc_id


def _disagree(a: Candidate, b: Candidate) -> bool:
    """Two sentences about the same thing (shared words, close meaning) that differ on a number,
    a date or a negation."""
    shared = len(a.terms & b.terms) / max(min(len(a.terms), len(b.terms)), 1)
    if shared < 0.5 and _cos(a, b) < 0.8:
        return False
    na, nb = numbers(a.text), numbers(b.text)
    da, db = ({m.group().lower() for m in _DATE.finditer(x.text)} for x in (a, b))
    return bool((na and nb and na != nb) or (da and db and da != db)
                or bool(negations(a.text)) != bool(negations(b.text)))


def _cos(a: Candidate, b: Candidate) -> float:
    if a.vector is None or b.vector is None:  # a short sentence that only continues another is not embedded
        return 0.0
    return sum(x * y for x, y in zip(a.vector, b.vector))
