"""Follow-up questions made standalone from the conversation, before retrieval.

"And in 2022?", "And the quarter after that?", "And for Anthropic?" repeat the previous question
with one thing changed: the previous question is rewritten with the new year, the shifted quarter
or the other name. "What are their models called?" and "Who did he beat?" lean on a name: the
pronoun is replaced by the previous question's name, or, for he/she, by the person the previous
answer led with. Anything else keeps the previous question beside the follow-up. Plain string
work on the turns (no model, no parse): it runs before the question is analysed.
"""
from __future__ import annotations

import re

from .text import STOPWORDS, content_terms, names, words
from .types import Turn

_ANAPHORA = {"it", "its", "they", "them", "their", "theirs", "this", "that", "these", "those", "he", "she",
             "his", "her", "there", "both", "either", "former", "latter", "one", "other", "same", "such"}
_LEADING = re.compile(r"^\s*(?:and|but|so|what about|how about|also|then)\b[\s,]*", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_QUARTER = re.compile(r"\b(?:q([1-4])|(first|second|third|fourth) quarter)(?:\s+(?:of\s+)?((?:19|20)\d\d))?\b", re.I)
_QN = {"first": 1, "second": 2, "third": 3, "fourth": 4}
# "the quarter after that", "the following year", "a year earlier", "two years later"
_SHIFT = re.compile(r"\b(?:the\s+)?(quarter|year|season|edition)\s+(after|before)\b|"
                    r"\b(?:the\s+)?(next|following|previous|preceding|prior)\s+(quarter|year|season|edition)\b|"
                    r"\b(a|one|two|three)\s+(quarters?|years?)\s+(later|earlier|before|after)\b", re.I)
_NUM = {"a": 1, "one": 1, "two": 2, "three": 3}
# a name: capitalised words, "of"/"&" inside, a model number after ("Skylark 2")
_NAME = re.compile(r"(?<![\w'’])(?:the\s+)?[A-Z][\w'’.-]*[a-z0-9][\w'’-]*(?:\s+(?:of\s+|&\s+)?[A-Z][\w'’-]+)*"
                   r"(?:\s\d{1,2}[A-Za-z]?\b)?")
_PERSONAL = re.compile(r"\b(he|him|his|she|her)\b", re.I)
_THING = re.compile(r"\b(its|their|it|they|them)\b|\bone(?=\s*[?.!]?\s*$)", re.I)
_LEAD_SPAN = re.compile(r"^\s*([A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})\.\s*\[\d+\]")


def _names(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each name, a question's capitalised opening word ("Did", "Who") left out."""
    out = []
    for m in _NAME.finditer(text):
        s, name = m.start(), m.group()
        first = name.split()[0]
        if s == 0 or first.lower() in STOPWORDS or first.lower() in _WH:
            if first.lower() in STOPWORDS or first.lower() in _WH or s == 0:
                rest = name[len(first):].lstrip()
                if not rest or not rest[0].isupper():
                    continue
                s, name = m.end() - len(rest), rest
        out.append((s, s + len(name), re.sub(r"['’]s?$", "", name)))
    return out


_WH = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "did", "does", "do", "is", "are",
       "was", "were", "has", "have", "had", "can", "could", "will", "would", "should", "tell"}


def is_followup(question: str) -> bool:
    """A question that leans on the conversation: pronouns without a named subject, or a fragment."""
    ws = words(question)
    has_name = bool(names(question) - {"i"})
    fragment = len([w for w in ws if w not in STOPWORDS]) <= 2
    leading_and = bool(_LEADING.match(question))
    return leading_and or fragment or (any(w in _ANAPHORA for w in ws) and not has_name)


def condense(question: str, history: list[Turn]) -> str:
    """A standalone retrieval query for a follow-up (see the module docstring); other questions as asked."""
    if not history or not is_followup(question):
        return question
    i = next((k for k in range(len(history) - 1, -1, -1)
              if history[k].question and content_terms(history[k].question)), None)
    if i is None:
        return question
    prev = condense(history[i].question, history[:i])  # the previous question as it was understood
    answer = history[i].answer or ""
    for swap in (_swap_time, _shift_time, _swap_name):
        out = swap(question, prev)
        if out:
            return out
    resolved = _resolve_pronouns(question, prev, answer)
    if resolved == question:
        return f"{question} {prev}".strip()  # nothing to put in place: the previous question beside it
    return _carry_time(resolved, prev)


_THAT_TIME = re.compile(r"\b(?:in\s+)?(?:that|the same)\s+(quarter|year|period|season)\b", re.I)
_NOW = re.compile(r"\b(now|currently|current|latest|today|still|so far|these days)\b", re.I)


def _carry_time(question: str, prev: str) -> str:
    """The previous question's year or quarter, where the follow-up points at it ("in that quarter") or
    names none: "Who did he beat?" after "Who won in 2022?" is about 2022."""
    q = _QUARTER.search(prev)
    y = _YEAR.search(prev)
    when = (f"Q{int(q.group(1)) if q.group(1) else _QN[q.group(2).lower()]}" + (f" {q.group(3) or (y.group() if y else '')}"
            if (q.group(3) or y) else "")) if q else (y.group() if y else "")
    if not when:
        return question
    if _THAT_TIME.search(question):
        return _THAT_TIME.sub(f"in {when}", question, count=1)
    if _YEAR.search(question) or _QUARTER.search(question) or _NOW.search(question):
        return question
    return re.sub(r"\s*([?.!]*)\s*$", lambda m: f" in {when}{m.group(1)}", question, count=1)


def _rest(question: str, *patterns) -> list[str]:
    """The follow-up's own content words once the connective and the matched phrases are gone."""
    q = _LEADING.sub("", question)
    for p in patterns:
        q = p.sub(" ", q)
    return [w for w in content_terms(q) if w not in ("in", "for", "about", "what")]


def _swap_time(question: str, prev: str) -> str:
    """ "And in 2022?": the previous question with the new year (or quarter) in place of its own."""
    for pattern in (_QUARTER, _YEAR):
        new = [m.group() for m in pattern.finditer(question)]
        if new and pattern.search(prev):
            it = iter(new * 4)
            out = pattern.sub(lambda m: next(it), prev)
            return out if not _rest(question, pattern) else f"{question} {out}"
    return ""


def _shift_time(question: str, prev: str) -> str:
    """ "And the quarter after that?", "And for the following year?": the previous question's quarter
    or year moved by the amount said."""
    m = _SHIFT.search(question)
    if not m:
        return ""
    if m.group(1):
        unit, step = m.group(1), 1 if m.group(2).lower() == "after" else -1
    elif m.group(3):
        unit, step = m.group(4), -1 if m.group(3).lower() in ("previous", "preceding", "prior") else 1
    else:
        unit = m.group(6).rstrip("s")
        step = _NUM[m.group(5).lower()] * (1 if m.group(7).lower() in ("later", "after") else -1)
    unit = unit.lower()
    q = _QUARTER.search(prev)
    if unit == "quarter" and q:
        n = int(q.group(1)) if q.group(1) else _QN[q.group(2).lower()]
        year = int(q.group(3)) if q.group(3) else (int(y.group()) if (y := _YEAR.search(prev)) else None)
        k = n - 1 + step
        n, year = k % 4 + 1, (year + k // 4) if year else None
        out = prev[:q.start()] + (f"Q{n} {year}" if year else f"Q{n}") + prev[q.end():]
        if year and not q.group(3):  # "the first quarter ... in 2021": the separate year moves with it
            out = _YEAR.sub(str(year), out, count=1) if _YEAR.search(out[q.start() + 8:]) is None else out
        return out
    y = _YEAR.search(prev)
    if unit in ("year", "season", "edition") and y:
        return prev[:y.start()] + str(int(y.group()) + step) + prev[y.end():]
    return ""


def _swap_name(question: str, prev: str) -> str:
    """ "And for Anthropic?": a fragment naming something else than the previous question did."""
    rest = _LEADING.sub("", question).strip(" ?.!")
    ws = words(rest)
    if not ws or len(ws) > 4 or ws[0] in _WH or any(w in _WH for w in ws):
        return ""  # a question of its own ("Who runs it now?"), not a fragment
    new = [n for _, _, n in _names(rest)]
    old = _names(prev)
    if len(new) != 1 or not old or any(new[0].lower() == n.lower() for _, _, n in old):
        return ""
    s, e, _ = old[0]
    return prev[:s] + new[0] + prev[e:]


def _resolve_pronouns(question: str, prev: str, answer: str) -> str:
    """he/she: the person the previous answer led with; it/its/they/their/one: the previous question's name."""
    person = _LEAD_SPAN.match(answer)
    who = person.group(1) if person and len(person.group(1).split()) >= 2 else ""
    thing = next((n for _, _, n in _names(prev)), "")
    out = question
    if who and (m := _PERSONAL.search(out)):
        out = out[:m.start()] + (f"{who}'s" if _possessive(m, out) else who) + out[m.end():]
    if thing:
        m = next((m for m in _THING.finditer(out) if not _CLEFT.search(out[max(m.start() - 8, 0):m.end() + 5])), None)
        if m is not None:
            out = out[:m.start()] + (f"{thing}'s" if (m.group(1) or "").lower() in ("its", "their") else thing) \
                + out[m.end():]
    return out


_CLEFT = re.compile(r"\b(?:is|was)\s+it\s+(?:that|who)\b", re.I)  # "Who was it that attacked them?"


def _possessive(m: re.Match, text: str) -> bool:
    """ "his", or "her" before a noun ("her share"), not "before her?"."""
    word = m.group(1).lower()
    nxt = re.match(r"\s+([a-z][\w'-]*)", text[m.end():])
    return word == "his" or (word == "her" and nxt is not None and nxt.group(1) not in STOPWORDS)
