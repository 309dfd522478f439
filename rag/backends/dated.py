"""Which of several dated statements of one fact the extractive answer gives first.

News restates a fact as it changes: a budget raised, a delivery count revised, an opening moved. When
the passages state the asked kind of fact about the asked thing with different values in articles of
different dates, the answer gives the newest (by the article's updated, else published, date) and the
explainer says "as of" that date in its own fixed wording (`Answer.lead`, from the cited article's
metadata, never corpus text); the earlier value follows with its own citation when it differs. A
question about a past moment ("originally", "when it was announced", "in 2021") gets the coverage of
that moment first, and the later value after it.

Two sentences state the same fact when both answer the question (they fit its constraints and hold
the asked kind of answer), their values differ, and either one restates the other's value beside its
own ("40,650, not the 41,200 it reported"), or the question itself asks for a moment ("now",
"originally") and they are close rivals for the answer. Sentences that merely read alike are not
enough: "walked out on Monday" and "returned to work on Sunday" are two facts of one story.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..facts import _DATELINE, _forms
from ..nlp import resolve_time
from ..retrieve import as_of
from ..text import numbers, stem, words
from ..understand import HOLDS

# How close (as a share of the chosen sentence's score) a rival must come: a sentence restating the
# chosen one's value beside another is plainly the same fact; one that only competes for the answer to
# a question about a moment must be as close as any answer the extractive backend weighs (its 0.6).
RESTATES = 0.5
RIVAL = 0.6
_FIGURE_LABELS = {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}
_HEDGE = {"about", "around", "nearly", "almost", "roughly", "some", "over", "under", "more", "less", "than",
          "at", "least", "up", "to", "only", "just", "a", "an", "the", "of", "some", "record"}


@dataclass(frozen=True)
class Choice:
    first: object  # the Candidate the answer gives first
    other: object | None = None  # the differing value of another date, cited after it
    as_of: str = ""  # the doc_id of the newest statement given first ("" when none was weighed or a moment was asked)
    rivals: bool = False  # statements of other dates were weighed (then `other` replaces any other rival)


def values(req, c) -> frozenset:
    """The pieces of the asked kind in a candidate sentence (figures, dates or names), normalised
    ("$9.6 million" and "9.6 million" are one value); the question's own names are not values."""
    asked = req.asked
    labels = HOLDS.get(asked.kind) if asked is not None else None
    if not labels:
        return frozenset()
    text, spans = _spans(req, c)
    published = req.hits[c.passage - 1].chunk.published
    asked_names = {e.text.casefold() for e in asked.entities}
    out = set()
    for label, a, b in spans:
        if label not in labels:
            continue
        piece = text[a:b].strip(" ,;:.")
        figure = label in _FIGURE_LABELS
        if not figure and any(piece.casefold() in n or n in piece.casefold() for n in asked_names):
            continue
        key = _when(piece, published) if label in ("DATE", "TIME") else _norm(piece, figure)
        if key:
            out.add(key)
    return frozenset(out)


def _spans(req, c) -> tuple[str, list]:
    """The article's text and the answer-sized pieces (label, start, end) inside a candidate, from the
    stored facts; not the dateline's place ("PORT CALDER, April 20 —" says where it was filed)."""
    text, facts = req.article(req.hits[c.passage - 1].chunk.doc_id)
    if not text or facts is None:
        return "", []
    m = _DATELINE.match(c.text)
    start = c.start + (m.end() if m else 0)
    return text, [(label, a, b) for s in facts.sentences if not (s.end <= c.start or s.start >= c.end)
                  for label, a, b in s.spans if start <= a and b <= c.end]


def _when(piece: str, published: str) -> str:
    """A date as the day it names, a relative one read against its article's date: "last year" in 2023
    is "2022", and "Thursday" in two articles is two days."""
    t = resolve_time(piece, published)
    if t is None or not (t.year or t.month or t.day or t.quarter):
        return _norm(piece, False)
    return f"{t.year or ''}-{t.month or ''}-{t.day or ''}" + (f" q{t.quarter}" if t.quarter else "")


def _telling(key: str) -> bool:
    """A figure too particular to be shared by chance: a decimal, a share, an amount in millions, or three
    or more digits ("9.6 million", "41200", "38%"); not a date or a small count."""
    if re.match(r"\d*-\d*-", key):  # a date (see _when)
        return False
    return bool(re.search(r"\d\.\d|%|\d{3}|\b(?:thousand|million|billion|trillion)\b", key))


def _norm(piece: str, figure: bool) -> str:
    low = piece.casefold().replace("’", "'")
    if not figure:
        return re.sub(r"\s+", " ", re.sub(r"^(?:the|on|in|by|at)\s+", "", low)).strip()
    toks = [t.replace(",", "") for t in re.findall(r"\d[\d,.]*%?|[a-z]+", low) if t not in _HEDGE]
    return " ".join(toks) if any(numbers(t) for t in toks) else ""


def exact(req, c) -> bool:
    """The sentence holds the asked kind itself, not merely some figure: an amount of money for "how much
    did it cost", a percentage for "what share", and for "how many ships" a figure of ships ("nine
    container ships", "the number of ships ... to 31"). Questions of other kinds: always."""
    asked = req.asked
    if asked is None:
        return True
    text, spans = _spans(req, c)
    if asked.kind == "money":
        return any(label == "MONEY" for label, _, _ in spans) or bool(re.search(r"[$€£¥]\s?\d", c.text))
    if asked.kind == "percent":
        return any(label == "PERCENT" for label, _, _ in spans) or bool(re.search(r"\d\s?%|\bper ?cent\b", c.text))
    if asked.kind == "number" and asked.measure and text:
        forms = _forms(asked.measure)
        for label, a, b in spans:
            if label in _FIGURE_LABELS:  # "nine container ships": the measure within two words after the figure
                after = words(text[b:min(c.end, b + 40)].lower())[:3]
                if any(stem(w) in forms for w in after):
                    return True
        low = [stem(w) for w in words(c.text.lower())]
        # "the number of countries in the agreement to six"
        return any(w in ("number", "total", "count") and any(x in forms for x in low[i + 1:i + 4])
                   for i, w in enumerate(low)) and any(label in _FIGURE_LABELS for label, _, _ in spans)
    return True


def choose(req, best, pool: list, doc_of, topic: set, restating: list = ()) -> Choice:
    """The sentence to give first among `best` and the `pool` of other candidates that answer the
    question (score order), and the differing value of another date to give after it. `restating`:
    candidates that hold the asked kind but not the question's words; they count only when they
    restate `best`'s value beside their own. `topic`: the question's own words (not its names), which
    pick among one date's statements ("go on sale in October" over "unveiled on Thursday")."""
    asked = req.asked
    date = lambda c: as_of(req.hits[c.passage - 1].chunk)  # noqa: E731
    published = lambda c: req.hits[c.passage - 1].chunk.published  # noqa: E731
    # "now", "latest", and a question in the present tense ("how much will it cost"): the newest wins
    latest = bool(asked is not None and (asked.latest or asked.now))
    vb = values(req, best)
    group = [(best, vb, False)]
    if vb and date(best):
        on_topic = {id(c) for c in pool}
        for c in list(pool) + [c for c in restating if id(c) not in on_topic]:
            if c is best or doc_of(c) == doc_of(best) or not date(c) or date(c) == date(best):
                continue
            vc = values(req, c)
            if not vc or vc == vb:
                continue
            share = c.score / best.score if best.score > 0 else 0.0
            # one of them names the other's value beside its own ("40,650, not the 41,200"): a figure or
            # a date, not a name (the same person turns up in many stories)
            restates = bool(vc & vb) and asked.kind not in ("person_or_org", "name", "place")
            # without the question's words, only a telling figure ties it to the fact ("$9.6 million", not
            # a year or a "14" that any story may hold)
            if id(c) not in on_topic and not (restates and any(_telling(v) for v in vc & vb)):
                continue
            # a close rival for "now"/"originally" must be about what is asked, not only whom: "Brennholm
            # aims for a single ticket" is no earlier plan for the Brennholm factory
            on_point = bool(c.terms & topic) or not topic
            if (restates and share >= RESTATES) or (share >= RIVAL and (latest or asked.earliest) and on_point):
                group.append((c, vc, restates))
    if len(group) == 1:
        return Choice(best)
    # on one date: the restatement, then the one with most of the question's words, then the best scoring
    rank = lambda m: (m[2], len(m[0].terms & topic), m[0].score)  # noqa: E731
    moment = []
    if asked.earliest and not latest:
        oldest = min(published(m[0]) for m in group)
        moment = [m for m in group if published(m[0]) == oldest]
    elif (asked.years or asked.quarters) and not latest:
        # the coverage of the asked year: an article published then, when one of them is
        asked_years = set(asked.years) | {y for y, _ in asked.quarters if y}
        moment = [m for m in group if published(m[0])[:4].isdigit() and int(published(m[0])[:4]) in asked_years]
    if moment:
        first = max(moment, key=rank)
        later = [m for m in group if date(m[0]) > date(first[0]) and not m[1] <= first[1]]
        if any(m[1] <= first[1] for m in group if date(m[0]) > date(first[0])):
            later = []
        other = max(later, key=lambda m: (date(m[0]), bool(m[1] & first[1]), m[0].score))[0] if later else None
        return Choice(first[0], other, "", True)
    newest = max(date(m[0]) for m in group)
    first = max((m for m in group if date(m[0]) == newest), key=rank)
    # the value it replaced: the most recent earlier one, unless the newest already states it ("up from
    # the $9.6 million it budgeted")
    earlier = [m for m in group if date(m[0]) < newest]
    if any(m[1] <= first[1] for m in earlier):
        earlier = []
    other = max(earlier, key=lambda m: (date(m[0]), bool(m[1] & first[1]), m[0].score))[0] if earlier else None
    return Choice(first[0], other, doc_of(first[0]), True)
