"""Text primitives shared by chunking, answering, checking and evals.

Everything here is pure and deterministic: sentence spans, content words,
and the "hard facts" (numbers, names, negations) a cited sentence must carry.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Abbreviations after which a period does not end a sentence.
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co",
    "corp", "gov", "sen", "rep", "gen", "col", "lt", "sgt", "capt", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "fig", "e.g",
    "i.e", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "approx", "est", "dept", "univ",
}
_SENT_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d[\d,.]*%?|\b(?:hundred|thousand|million|billion|trillion)s?\b", re.I)
_NUM_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "tens", "hundred", "hundreds", "thousand",
    "thousands", "million", "millions", "billion", "billions", "trillion", "trillions",
    "dozen", "dozens", "half", "percent",
}
NEGATIONS = {"not", "no", "never", "none", "nor", "nobody", "nothing", "neither", "without",
             "cannot", "n't", "denied", "denies", "deny"}

STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can could couldn't did didn't do does doesn't doing
don't down during each few for from further had hadn't has hasn't have haven't having he
he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've
if in into is isn't it it's its itself let's me more most mustn't my myself of off on once
only or other ought our ours ourselves out over own same shan't she she'd she'll she's
should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those through to too under until up
very was wasn't we we'd we'll we're we've were weren't what what's when when's where
where's which while who who's whom why why's will with won't would wouldn't you you'd
you'll you're you've your yours yourself yourselves s t just may might must shall also
tell me please us say said says know explain describe give get got does do
""".split())


def normalize(text: str) -> str:
    """NFC-normalise and turn every line ending into \\n, keeping everything else."""
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split text[start:end] into sentence spans; newlines always end a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        ls, le = start + line.start(), start + line.end()
        cur = ls
        for m in _SENT_END.finditer(text, ls, le):
            stop = m.end()
            if m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1:
                prev = re.search(r"([\w.]+)$", text[cur:m.start()])
                word = prev.group(1).lower() if prev else ""
                nxt = text[stop:le].lstrip()[:1]
                if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                    continue
                if nxt and not (nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(["):
                    continue
            _push(text, cur, stop, spans)
            cur = stop
        _push(text, cur, le, spans)
    return spans


def _push(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


def words(text: str) -> list[str]:
    """Lower-cased word tokens, with curly apostrophes made straight."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match accused/accusing/accusation."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or not w.isalpha():
        return w
    for suf in ("ational", "ization", "ations", "ation", "ities", "ments", "ingly", "ness",
                "ment", "ings", "ity", "ing", "ies", "ied", "ers", "ed", "er", "es", "ly", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


def content_terms(text: str) -> list[str]:
    """Stemmed content words (stopwords and one-letter tokens removed)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def numbers(text: str) -> set[str]:
    """Numeric expressions, normalised ("1,000" -> "1000"), plus number words."""
    found = {m.group().rstrip(".,").replace(",", "").lower() for m in _NUMBER.finditer(text)}
    found |= {w for w in words(text) if w in _NUM_WORDS}
    return {f for f in found if f}


def names(text: str) -> set[str]:
    """Capitalised words that are not merely sentence-initial: a cheap named-entity proxy."""
    out: set[str] = set()
    for s, e in sentence_spans(text):
        toks = list(re.finditer(r"[^\W\d_][\w'’.-]*", text[s:e]))
        for i, m in enumerate(toks):
            w = m.group().rstrip(".'’").replace("’", "'")
            if w.endswith("'s"):
                w = w[:-2]
            if not w or not w[0].isupper():
                continue
            if i == 0 and w.lower() in STOPWORDS | _COMMON_INITIAL:
                continue
            out.add(w.lower())
    return out


# Sentence-initial words that are capitalised by position, not because they name something.
_COMMON_INITIAL = frozenset("""
for the a an this that these those it its in on at by with from as but and or if when while
after before during however yet still so more most some many any every each both developing
investors founders startups companies according despite although though since because
""".split())


def negations(text: str) -> set[str]:
    ws = words(text)
    found = {w for w in ws if w in NEGATIONS}
    found |= {"not" for w in ws if w.endswith("n't")}
    return found


def hard_facts(text: str) -> dict[str, set[str]]:
    """The facts a sentence may only state if its cited passage states them too."""
    return {"numbers": numbers(text), "names": names(text), "negations": negations(text)}


def word_count(text: str) -> int:
    return len(words(text))


@lru_cache(maxsize=8192)
def quotable_sentences(text: str) -> tuple[str, ...]:
    """The sentences of a passage an extractive answer may quote (statements of six words or more).

    Ingest stores their vectors and retrieval fetches them, so answering need not run the model on
    them; the rule mirrors `backends.extractive._is_statement` (a sentence outside it only costs speed).
    """
    out = []
    for s, e in sentence_spans(text):
        sent = text[s:e]
        if sent.rstrip("\"'”’)").endswith((".", "!")) and word_count(sent) >= 6:
            out.append(sent)
    return tuple(dict.fromkeys(out))
