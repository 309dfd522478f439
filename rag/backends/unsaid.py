"""What the coverage says is not known: the extractive backend's answer when a sentence states that the
asked thing is undisclosed or unknown and nothing else answers it.

"How did Alibaba access the models?" is answered by "The specific nature of Anthropic's claims remains
under wraps." (led by our own "Not disclosed so far."), not by a sentence that merely mentions the
access; "How did X respond?" by "X did not respond to a request for comment." The sentence must
withhold the asked kind of answer (a how, a who, a figure: `rag.lexicon.withheld`) and be about what
the question asks (most of its words are in the sentence or the two before it in its paragraph);
where a sentence does give the asked kind (a reason, a manner, a response), that one is the answer.
"""
from __future__ import annotations

import re
from bisect import bisect_right

from ..lexicon import ASPECT_OF, HOW_FIGURES, RESPONSE_VERBS, withheld
from ..nlp import STANCE
from ..text import content_terms, stem, words
from . import Request
from .compose import UNDISCLOSED_LEAD, UNKNOWN_LEAD

_RESPONSE_STEMS = {stem(w) for w in RESPONSE_VERBS | {"response", "responded", "responds", "reaction", "reply",
                                                       "replied", "comment", "commented", "said", "says"}}
# a sentence opening on a reference to the one named just before ("It declined to comment.")
_REFERS_BACK = re.compile(r"^[\"“]?(?:It|They|He|She|The (?:company|firm|group|maker|ministry|council|agency))\b")
_MANNER = re.compile(r"\bby\s+\w+ing\b|\b(?:through|via|using|by means of|with the help of|in exchange for|"
                     r"first|then|after|before|steps?|process)\b", re.I)


def not_known(req: Request, pool: list, fits: dict, weights: dict, skip: set):
    """The best candidate saying that what is asked is not known, or None. `weights` are the question's
    terms with their weights, `skip` the terms that name or frame it rather than say what it asks
    (names, "mentioned"). Never for a yes/no, definition or list question, nor for a sentence that misses
    the question's year, quarter or names (its fit failed on those)."""
    asked = req.asked
    if asked is None or asked.kind in ("yesno", "definition", "list"):
        return None
    want = "figure" if asked.kind in ("number", "money", "percent") else \
        "person_or_org" if asked.kind == "name" else asked.kind
    response = _asks_response(req)
    # the words that ask the kind ("how much ... paying", "the reason") are no part of what it is about
    asking = {stem(w) for w, kinds in ASPECT_OF.items() if want in kinds} | {stem(w) for w in HOW_FIGURES}
    # nor are its years (the fit has checked those against the sentence and its article)
    topic = {t: w for t, w in weights.items() if t not in skip | _RESPONSE_STEMS | asking and not t.isdigit()}
    for c in sorted(pool, key=lambda c: -c.score):
        f = fits.get(id(c))
        if f is None or (not f.ok and f.failed not in ("kind", "measure")):
            continue  # a sentence without the asked kind may still say it is not known; one of another year may not
        how, kinds = withheld(c.text)
        if not how or (how == "no comment") != response or (how != "no comment" and want not in kinds):
            continue
        text, facts = req.article(_doc(req, c))
        before = _before(text, facts, c.start)
        if how == "no comment" and asked.entities and not all(
                _named(e.norm, [c.text]) or (_REFERS_BACK.match(c.text) and _named(e.norm, before[-1:]))
                for e in asked.entities):
            continue  # someone else declined to comment
        near = set(c.terms).union(*(set(content_terms(b)) for b in before))
        if topic and _share(topic, near) < 0.5:
            continue
        return c
    return None


def say_not_known(req: Request, c) -> list:
    """The answer: the sentence that says it is not known, whole, led by our own plain words (a
    sentence declining to comment says it plainly and gets no lead). The lead travels as a note and is
    shown only if its sentence survives the citation check as the answer's first."""
    how, _ = withheld(c.text)
    req.notes.append(f"chose a sentence saying it is not known: {c.text[:60]!r}")
    if how != "no comment":
        req.notes.append(f"lead: {_doc(req, c)}\t{c.start}\t{UNDISCLOSED_LEAD if how == 'undisclosed' else UNKNOWN_LEAD}")
    c.shown = c.text
    return [c]


def gives_kind(req: Request, c, answer_type: str, cands: list) -> bool:
    """Whether the chosen sentence gives what a why/how question asks: a reason, a manner, or for "how
    did X respond" anything X is reported to have said or denied (among the best candidates). Other kinds
    are judged by their constraints before this (True)."""
    asked = req.asked
    if asked is not None and _asks_response(req):
        return reports_response(req, cands) is not False
    if answer_type == "reason":
        return c.typed
    if asked is not None and asked.kind == "process":
        return bool(_MANNER.search(c.text))
    return True


def reports_response(req: Request, cands: list) -> bool | None:
    """For "How did X respond?": whether one of the best candidates reports X saying, denying or doing
    something in reply (a claim X is the source of, or one with X as the subject of a reporting or
    response verb); None when the question asks no response or names no one."""
    asked = req.asked
    if asked is None or not _asks_response(req):
        return None
    subject = asked.claim[1] if asked.claim and asked.claim[1] not in ("", "who", "what", "which") else ""
    names = [e.norm for e in asked.entities if not subject or _same_name(e.norm, subject)] or \
        [e.norm for e in asked.entities]
    if not names:
        return None
    for o in cands[:8]:
        facts = req.article(_doc(req, o))[1]
        sent = facts.at(o.start)[0] if facts else None
        if sent is None:
            continue
        for p, su, _, _, src, _ in sent.claims:
            if (src and any(_same_name(src, n) for n in names)) or (
                    su and p.split()[0] in _REPLIES and any(_same_name(su, n) for n in names)):
                return True
    return False


_REPLIES = RESPONSE_VERBS | set(STANCE) | {"hit", "call", "welcome", "criticise", "criticize", "condemn", "appeal"}


def _asks_response(req: Request) -> bool:
    """"How did X respond?", "What did X say?": by the question's predicate, or its words when the parse
    found no predicate ("How did Pellam Auto respond to ...?" parsed without a verb)."""
    asked = req.asked
    if asked.claim:
        return asked.claim[0].split()[0] in RESPONSE_VERBS
    return bool({stem(w) for w in words(req.query.lower())} & _RESPONDS)


_RESPONDS = {stem(w) for w in "respond responded react reacted reply replied response reaction".split()}


def _share(topic: dict, near: set) -> float:
    """The weighted share of the topic's terms among `near`; the light stemmer leaves "access" and
    "accessing" as "acces" and "access", so a shared start of five letters counts."""
    def found(t: str) -> bool:
        return t in near or any(min(len(t), len(n)) >= 5 and (n.startswith(t) or t.startswith(n)) for n in near)
    return sum(w for t, w in topic.items() if found(t)) / (sum(topic.values()) or 1.0)


def _named(norm: str, texts: list[str]) -> bool:
    """One of a name's words (longer than three letters) is in one of the texts."""
    return any(len(w) > 3 and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", t, re.I) for w in norm.split() for t in texts)


def _same_name(a: str, b: str) -> bool:
    return a == b or a.startswith(b + " ") or b.startswith(a + " ")


def _before(text: str | None, facts, start: int, n: int = 2) -> list[str]:
    """Up to `n` sentences before the one at `start`, in its paragraph, in article order."""
    if not text or facts is None:
        return []
    i = bisect_right(facts.starts, start) - 1
    out, end = [], start
    for s in reversed(facts.sentences[max(0, i - n):max(0, i)]):
        if "\n\n" in text[s.end:end]:
            break
        out.insert(0, text[s.start:s.end])
        end = s.start
    return out


def _doc(req: Request, c) -> str:
    return req.hits[c.passage - 1].chunk.doc_id
