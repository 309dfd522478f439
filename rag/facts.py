"""What each sentence of an article is about, worked out once at ingest, and the check of a
candidate answer against what the question asks (`rag.understand.Asked`).

Per sentence: its names (entities, plus capitalised runs the small NER model misses), the
years and quarters it mentions (relative ones, "last year", read against the article's own
date, never today's), which kinds of answer it can hold (a name, a date, a figure, an
amount, a percentage, a place), and whether it reports someone's claim (so an answer never
cuts the attribution away). Stored as compact JSON on the article record, so answering a
question runs no NLP on the corpus.

A candidate is judged with its context: the article's title and date, and the sentence
before it (which resolves "it", "the company", "that year").
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import cached_property

from .lexicon import PRODUCT_NOUNS, country_of, nominal_of
from .nlp import Analysis, analyze_many, normalize_name
from .text import STOPWORDS, content_terms, stem, words
from .understand import HOLDS, PERSON_NOUNS, Asked

VERSION = 9  # part of the store fingerprint: a change here re-analyses the corpus
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_CAP_RUN = re.compile(r"(?<![\w'’])(?:[A-Z][\w'’.-]*[a-z0-9][\w'’-]*|[A-Z]{2,})(?:\s+(?:of\s+|de\s+|van\s+)?[A-Z][\w'’-]+)*"
                      r"(?:\s\d{1,2}[A-Za-z]?\b(?![,.]\d))?")


_DATELINE = re.compile(r"\s*[A-Z][A-Z.'’ -]+(?:,\s+[A-Z][\w.'’ -]+)?,\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                       r"[a-z]*\.?\s+\d{1,2}\s*[—–-]+\s*")


def undated(sentence: str) -> str:
    """The sentence without its dateline ("PORT CALDER, Oct. 8 — ")."""
    m = _DATELINE.match(sentence)
    return sentence[m.end():] if m else sentence


@dataclass(frozen=True)
class SentenceFacts:
    start: int  # article offsets of the sentence
    end: int
    names: tuple[tuple[str, str], ...]  # (label, norm); label NAME for a capitalised run NER missed
    spans: tuple[tuple[str, int, int], ...]  # answer-sized pieces: (label, start, end) of names, times, figures
    years: tuple[int, ...]
    quarters: tuple[tuple[int, int], ...]  # (year, quarter)
    kinds: frozenset  # answer kinds it can hold: person_or_org, name, place, date, number, money, percent
    attributed: bool  # reports a claim someone made (said, alleged, according to...)
    # what it states, claim by claim: (predicate lemma, subject, object, negated, source, modality), as
    # rag.nlp.Claim has them; a yes/no answer's polarity is read from the claim that matches the question's
    claims: tuple[tuple[str, str, str, bool, str, str], ...] = ()


@dataclass(frozen=True)
class ArticleFacts:
    year: int | None  # the article's published year
    sentences: tuple[SentenceFacts, ...]

    @cached_property
    def starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    @cached_property
    def named(self) -> frozenset:
        """Every name the article's sentences hold (normalised; no dates)."""
        return frozenset(n for s in self.sentences for lab, n in s.names if lab not in ("DATE", "TIME"))

    def at(self, start: int) -> tuple[SentenceFacts | None, SentenceFacts | None]:
        """(the sentence holding offset `start`, the sentence before it)."""
        i = bisect_right(self.starts, start) - 1
        if i < 0 or start >= self.sentences[i].end:
            return None, None
        return self.sentences[i], self.sentences[i - 1] if i > 0 else None

    def overlapping(self, start: int, end: int) -> tuple[SentenceFacts, ...]:
        """The sentences that overlap article offsets [start, end) (a chunk's), found by bisection."""
        i = max(bisect_right(self.starts, start) - 1, 0)
        j = bisect_right(self.starts, end - 1)
        return tuple(s for s in self.sentences[i:j] if s.end > start)

    def to_json(self) -> str:
        return json.dumps({"v": VERSION, "y": self.year, "s": [
            [s.start, s.end, [list(n) for n in s.names], [list(x) for x in s.spans], list(s.years),
             [list(q) for q in s.quarters], " ".join(sorted(s.kinds)), int(s.attributed),
             [[p, su, o, int(n), src, m] for p, su, o, n, src, m in s.claims]] for s in self.sentences]},
            separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "ArticleFacts | None":
        try:
            d = json.loads(text)
            if d.get("v") != VERSION:
                return None
            return cls(d["y"], tuple(SentenceFacts(s, e, tuple(tuple(n) for n in names), tuple(tuple(x) for x in sp),
                                                   tuple(ys), tuple(tuple(q) for q in qs), frozenset(k.split()), bool(at),
                                                   tuple((p, su, o, bool(n), src, m) for p, su, o, n, src, m in cl))
                                     for s, e, names, sp, ys, qs, k, at, cl in d["s"]))
        except (ValueError, KeyError, TypeError):
            return None


def article_facts(texts: list[str], published: list[str]) -> list[ArticleFacts]:
    """The facts of many articles (one spaCy pass, batched)."""
    return [_facts(a, p) for a, p in zip(analyze_many([_lines(t) for t in texts], published), published)]


def _lines(text: str) -> str:
    """The text with a title, heading or dek line ended by a full stop in place of its first newline
    (same length, so every offset holds): the parser otherwise reads "Record field gathers without its
    champion\n\nAnouk Brel will not defend her title" as one sentence whose subject is the field."""
    return re.sub(r"(?<=[^\s.!?:;\"”’')\]])\n(?=\n)", ".", text)


def _year(published: str) -> int | None:
    m = _YEAR.match(published or "")
    return int(m.group()) if m else None


def _quarter_year(t, year: int | None, month: int | None) -> int | None:
    """The year of "the fourth quarter" with no year written: quarters are reported after they end,
    so in an article of January 2022 it is 2021's."""
    if re.search(r"\d{4}|'\d\d", t.text):
        return t.year
    if year is None:
        return t.year
    return year - 1 if month and 3 * t.quarter > month else year


def _facts(a: Analysis, published: str) -> ArticleFacts:
    year = _year(published)
    m = re.match(r"\d{4}-(\d\d)", published or "")
    month = int(m.group(1)) if m else None
    out = []
    proper = {t.start: t.pos == "PROPN" for t in a.tokens}
    known = {w for x in a.entities if x.label in ("PERSON", "ORG", "GPE", "NORP", "FAC", "PRODUCT")
             for w in x.norm.split() if len(w) > 2 and w not in STOPWORDS}  # "Sandoval, who had led ..." after "Piet Sandoval"
    # words the article writes in lower case: a common noun, wherever it opens a sentence (the small
    # model often tags a capitalised sentence opener as a proper noun)
    lowered = set(re.findall(r"\b[a-z][a-z'’-]+\b", a.text))
    for s, e in a.sentences:
        inside = lambda x: s <= x.start < e  # noqa: E731
        # the dateline ("PORT CALDER, Oct. 8 —") says where the story was filed, not who or what it is about
        d = _DATELINE.match(a.text, s, e)
        filed = d.end() if d else s
        ents = [x for x in a.entities if inside(x) and not (x.start < filed and x.label not in ("DATE", "TIME"))]
        names = {(x.label, x.norm) for x in ents if x.norm}
        spans = {(x.label, x.start, x.end) for x in ents if x.norm}
        times = [t for t in a.times if inside(t)]
        taken = [(x.start, x.end) for x in ents] + [(t.start, t.end) for t in times]
        for m in _CAP_RUN.finditer(a.text, s, e):
            if m.start() < filed or any(p <= m.start() < q for p, q in taken):
                continue
            first = not re.search(r"\w", a.text[filed:m.start()])  # the first word after a dateline too
            if first and not proper.get(m.start()) and m.group().split()[0].casefold() not in known:
                continue  # a sentence's first word is capitalised anyway; a name the article uses is still one
            if first and " " not in m.group() and m.group().casefold() in lowered:
                continue  # "Phosphorus stored in the mud ...": the article writes it in lower case elsewhere
            if all(w.casefold() in _NUMBER_WORDS or w.casefold() in STOPWORDS for w in m.group().split()):
                continue  # "Eleven beaches ...", "The ...": capitalised, but no name
            names.add(("NAME", normalize_name(m.group())))
            spans.add(("NAME", m.start(), m.end()))
        years = {t.year for t in times if t.year and not t.quarter} | {t.year_end for t in times if t.year_end}
        years |= {_quarter_year(t, year, month) for t in times if t.quarter and _quarter_year(t, year, month)}
        years |= {int(y) for y in _YEAR.findall(a.text, s, e)}
        quarters = set()
        for t in times:
            if t.quarter:
                qy = _quarter_year(t, year, month)
                if qy:
                    quarters.add((qy, t.quarter))
        named = [(x, y) for lab, x, y in spans if lab not in ("DATE", "TIME")]  # "Skylark 2": a name, not a figure
        qty = [q for q in a.quantities if inside(q) and not _YEAR.fullmatch(q.text.strip())
               and not any(t.start <= q.start < t.end for t in times)
               and not any(x < q.start and q.end <= y for x, y in named)]
        spans |= {("DATE", t.start, t.end) for t in times}
        spans |= {("PERCENT" if q.unit == "%" else "MONEY" if len(q.unit) == 3 and q.unit.isupper() else "CARDINAL",
                   q.start, q.end) for q in qty}
        kinds = {k for k, labels in HOLDS.items() if any(lab in labels for lab, _ in names)}
        if times:
            kinds.add("date")
        if qty:
            kinds.add("number")
        if any(q.unit == "%" for q in qty):
            kinds.add("percent")
        if any(len(q.unit) == 3 and q.unit.isupper() for q in qty):
            kinds.add("money")
        attributed = any(c.source and c.source != "" for c in a.claims if inside(c))
        claims = tuple(dict.fromkeys((c.predicate, c.subject, c.object, c.negated, c.source, c.modality)
                                     for c in a.claims if inside(c) and c.predicate))
        out.append(SentenceFacts(s, e, tuple(sorted(names)), tuple(sorted(spans, key=lambda x: x[1])),
                                 tuple(sorted(years)), tuple(sorted(quarters)),
                                 frozenset(kinds), attributed, claims))
    return ArticleFacts(year, _as_products(a, out))


_PRODUCT = "|".join(sorted(PRODUCT_NOUNS))
# "large language models, such as X", "chatbots like X": a list of products
_AS_EXAMPLE = re.compile(rf"\b(?:{_PRODUCT})\s*,?\s+(?:such\s+as|like|including|called|named|dubbed|known\s+as|"
                         rf"branded(?:\s+as)?)\s+$", re.I)
# "its chatbot, X", "the company's flagship model X": a product in apposition
_APPOSED = re.compile(rf"\b(?:its|their|his|her|our|the|a|an|[\w'’]+['’]s)\s+(?:[a-z][\w-]*\s+){{0,3}}?(?:{_PRODUCT})"
                      rf"\s*,?\s+$", re.I)
_OWNED = re.compile(r"\b(?:its|their|his|her|our|[\w'’]+['’]s)\s+(?:[a-z][\w-]*\s+)?$")
# "the Claude series of models"; "its Claude models" (after an owner: "the Ford cars" may name the maker)
_RANGE = re.compile(r"\s+(?:series|line|family|range|lineup|suite)\s+of\b")
_MADE = re.compile(rf"\s+(?:{_PRODUCT})\b")
_NOT_PRODUCTS = {"DATE", "TIME", "CARDINAL", "PERCENT", "MONEY", "QUANTITY"}  # "such as Kestra and Brio": NER may say GPE


def _as_products(a: Analysis, sentences: list[SentenceFacts]) -> tuple[SentenceFacts, ...]:
    """The names the article uses as a product ("large language models, such as Tongyi Qianwen", which
    the small NER model tags as a person), relabelled PRODUCT in every sentence: a product never answers
    "who". A name the article has saying something (a claim's source) is a speaker, and stays as it is."""
    actors = {c.source for c in a.claims if c.source}
    products = set()
    for sent in sentences:
        prev_end = None
        for label, s, e in sent.spans:
            if label in _NOT_PRODUCTS:
                continue
            before, after = a.text[max(sent.start, s - 80):s], a.text[e:min(sent.end, e + 40)]
            chained = prev_end is not None and re.fullmatch(r"\s*(?:,|,?\s+and|,?\s+or)\s+", a.text[prev_end:s])
            if chained or _AS_EXAMPLE.search(before) or _APPOSED.search(before) or _RANGE.match(after) \
                    or (_MADE.match(after) and _OWNED.search(before)):
                products.add(normalize_name(a.text[s:e]))
                prev_end = e
            else:
                prev_end = None
    products = {p for p in products if p and not any(_related(p, x) or p == x for x in actors)}
    if not products:
        return tuple(sentences)
    out = []
    for sent in sentences:
        names = tuple(sorted({("PRODUCT" if n in products and lab not in _NOT_PRODUCTS else lab, n)
                              for lab, n in sent.names}))
        if names == sent.names:
            out.append(sent)
            continue
        spans = tuple(("PRODUCT" if lab not in _NOT_PRODUCTS and normalize_name(a.text[s:e]) in products else lab, s, e)
                      for lab, s, e in sent.spans)
        kinds = {k for k in sent.kinds if k not in _NAME_KINDS} | {
            k for k in _NAME_KINDS if any(lab in HOLDS[k] for lab, _ in names)}
        out.append(replace(sent, names=names, spans=spans, kinds=frozenset(kinds)))
    return tuple(out)


_NAME_KINDS = {"person_or_org", "name", "place"}  # the kinds a sentence holds through its names


@dataclass(frozen=True)
class Fit:
    """How a candidate sentence fits the question: ok, or why not (and on which constraint)."""

    ok: bool
    failed: str = ""  # "" | year | quarter | entity | kind | measure | term
    reason: str = ""
    years: tuple[int, ...] = ()  # the years the candidate is about (to say what the coverage has)
    weak: bool = False  # fits, but only through the article's date, not its own words


def fit(asked: Asked, sent: SentenceFacts | None, prev: SentenceFacts | None, art: ArticleFacts | None,
        sentence: str, context: str, article: str = "", lead: str = "") -> Fit:
    """Check one candidate. `context` is the text around it (title, section, previous sentence);
    `article` the whole article's text (where the question's other names may be), `lead` its opening
    (which names what the whole story is about)."""
    if sent is None or art is None:
        return Fit(True, weak=True)
    own = set(sent.years)
    about = own or ({art.year} if art.year else set())
    if asked.years:
        if own & asked.years:
            pass
        elif own and art.year in asked.years and not (prev and set(prev.years) - asked.years):
            return Fit(True, years=tuple(sorted(own)), weak=True)  # "who lost the 2019 final, won on Sunday"
        elif about and not about & asked.years:
            return Fit(False, "year", f"is about {_list(about)}, not {_list(asked.years)}", tuple(sorted(about)))
    if asked.quarters:
        # a sentence naming no quarter is about the one before it names, or the one its article reports
        opening = [q for s in art.sentences[:2] for q in s.quarters]
        have = set(sent.quarters) or set(prev.quarters if prev else ()) or set(opening)
        if have and not _quarters_match(asked.quarters, have):
            return Fit(False, "quarter", f"is about {_qlist(have)}, not {_qlist(asked.quarters)}",
                       tuple(sorted({y for y, _ in have})))
    low = f"{sentence} {context} {lead}".casefold()
    own_text = sentence.casefold()
    whole = f"{context} {article}".casefold()
    # The question's names: each one in the sentence (with its title, section and the sentence before
    # it); a name in a clause that only sets the scene ("when Varga first won") in its article
    for e in asked.entities:
        key = _strip_years(e.norm)
        if not key:
            continue
        if e in asked.side:
            if article and not _mentions(key, whole):
                return Fit(False, "entity", f"does not mention {e.text}", tuple(sorted(about)))
            continue
        # "Kessling-Askvik" is named by a sentence about trains between Kessling and Askvik
        parts = [p for p in re.split(r"\s*[-–]\s*", key) if p] if "-" in key or "–" in key else []
        if key not in low and not any(_related(key, n) for _, n in sent.names) \
                and not (len(parts) > 1 and all(p in low for p in parts)) \
                and not any(re.search(rf"\b{re.escape(w)}\b", low) for w in country_of(key).split()):  # China ~ Chinese
            return Fit(False, "entity", f"does not mention {e.text}", tuple(sorted(about)))
        # "the original Skylark" is not "the Skylark 2": a sentence naming only the name without the asked
        # one's model number names the earlier product ("Kestrel" for "Kestrel Motors" is the same company)
        wider = [n for _, n in sent.names if key.startswith(n + " ") and _VERSION.fullmatch(key[len(n) + 1:])]
        if wider and key not in own_text:
            return Fit(False, "entity", f"is about {wider[0]}, not {e.text}", tuple(sorted(about)))
        # "Its models are considered front-runners ..." after two sentences about Anthropic is about
        # Anthropic, whatever the title names: a sentence opening on a pronoun is about what it refers to
        if not _names_it(key, own_text, sent) and _REFERS.match(sentence):
            other = _referent(art, sent)
            if other and not _related(key, other) and key not in other and other not in key:
                return Fit(False, "entity", f"is about {other}, not {e.text}", tuple(sorted(about)))
    # "Who runs Alibaba?" is not answered by "Anthropic has rapidly emerged as a formidable player ..." in an
    # article whose title names Alibaba: a sentence that opens on another name is about that one, unless it
    # names the asked one too or states the asked act ("Ana Ruiz designed the drone" for "who designed it")
    if asked.kind == "person_or_org" and asked.claim and asked.claim[0].split()[0] not in _GENERIC_PREDICATES:
        pred = asked.claim[0].split()[0]
        opener = _opening_name(art, sent, article)
        for e in asked.entities:
            key = _strip_years(e.norm)
            if not opener or not key or e in asked.side or _related(key, opener) or key in opener or opener in key \
                    or any(len(w) > 3 and re.search(rf"\b{re.escape(w)}\b", own_text) for w in key.split()) \
                    or _states(pred, sent, sentence, key, art):
                continue
            return Fit(False, "entity", f"is about {opener}, not {e.text}", tuple(sorted(about)))
    # "When will Estmark join?" is not answered by "Taurica and Ostrel joined on Thursday": the sentence's
    # claim with the asked predicate has another actor, and the asked one is not in it
    if asked.claim and asked.claim[1] and asked.entities:
        pred, subj = asked.claim[0].split()[0], asked.claim[1]
        # the question's subject is one of its names ("Estmark"), and the sentence's is another name
        named = [e for e in asked.entities if set(subj.split()) <= set(_strip_years(e.norm).split())]
        if named and pred not in ("be", "have", "do", "say") and not _names_it(subj, own_text, sent):
            other = next((su for p, su, *_ in sent.claims if p.split()[0] == pred and su and su not in _PRONOUN_SUBJECTS
                          and not _related(su, subj) and su not in subj and subj not in su
                          and any(_related(n, su) or su in n or n in su for _, n in sent.names)), "")
            if other:
                return Fit(False, "entity", f"says {other} did it, not {named[0].text}", tuple(sorted(about)))
    if asked.term:
        # "What is meant by AI nationalism?": a sentence about a neighbouring subject defines nothing
        wanted = set(content_terms(asked.term))
        if wanted and not wanted <= set(content_terms(sentence)):
            return Fit(False, "term", f"does not name {asked.term!r}", tuple(sorted(about)))
    if asked.dimension and not _DIM_UNITS[asked.dimension].search(sentence):
        return Fit(False, "kind", f"gives no {asked.dimension}", tuple(sorted(about)))
    # a figure of something else is no answer: "revenue" asked, only "net loss" said; "how many pedestrians",
    # only vehicles counted; "the pass for children", only its adult price
    said = {stem(w) for w in words(f"{sentence} {context}")}
    if asked.measure and not _forms(asked.measure) & said \
            and not (asked.measure in ("people", "person") and said & _HUMAN):
        return Fit(False, "measure", f"does not say what the {asked.measure} is", tuple(sorted(about)))
    # any figure can answer "how much" ("raises pay by four percent"); the kind only rules out no figure at all
    accepts = _FIGURES if asked.kind in _FIGURES else {asked.kind}
    # "where" is often answered without a named place ("at the old mill"): not a hard constraint
    if asked.kind in HOLDS and asked.kind != "place" and not accepts & sent.kinds \
            and not any(_kind_in_text(k, sentence, asked) for k in accepts):
        what = {"person_or_org": "name", "name": "name", "number": "figure", "money": "amount",
                "percent": "percentage"}.get(asked.kind, asked.kind)
        return Fit(False, "kind", f"holds no {what}", tuple(sorted(about)))
    # "How many players took part?" is not answered by "Oduya, 17, a student ...": an age counts nothing
    if asked.kind in _FIGURES and asked.dimension != "age" and _AGE.search(sentence):
        rest = _AGE.sub(" ", sentence)
        if not _kind_in_text(asked.kind, rest, asked) and not _COUNT_WORDS & set(words(rest.lower())):
            return Fit(False, "kind", "gives only an age", tuple(sorted(about)))
    if asked.kind in ("person_or_org", "name"):
        asked_norms = {_strip_years(e.norm) for e in asked.entities}
        mine = {n for lab, n in sent.names if lab not in ("DATE", "TIME")}  # any name beyond the question's
        if mine and all(any(_related(n, a) or n in a or a in n for a in asked_norms) for n in mine):
            return Fit(False, "kind", "names only what the question already names", tuple(sorted(about)))
        if asked.kind == "person_or_org" and not {n for lab, n in sent.names if lab not in ("DATE", "TIME", "PRODUCT")
                                                  and not any(_related(n, a) or n in a or a in n for a in asked_norms)}:
            return Fit(False, "kind", "names only a product beyond the question's names", tuple(sorted(about)))
        if asked.kind == "person_or_org" and (asked.noun in PERSON_NOUNS or not asked.noun):
            # "which scientist": a person, not the council; a bare "who": someone, not a place
            people = {n for lab, n in sent.names if lab not in ("DATE", "TIME", "GPE", "LOC", "FAC", "PRODUCT")
                      and not (asked.noun and (lab == "NORP" or _org_like(n)))
                      and not any(_related(n, a) or n in a or a in n for a in asked_norms)}
            if not people and not asked.noun:
                # a bare "who" answered by an organisation named through its place: "the rowing club from
                # Kettle Bay", "Kettle Bay's council" (a place name beside an organisation's common noun)
                places = {n for lab, n in sent.names if lab in ("GPE", "LOC", "FAC")
                          and not any(_related(n, a) or n in a or a in n for a in asked_norms)}
                asked_words = {w for a in asked_norms for w in a.split()}
                if places and any(w in _ORG_HEADS and w not in asked_words for w in words(sentence.lower())):
                    people = places
            if not people:
                what = "person" if asked.noun else "person or organisation"
                return Fit(False, "kind", f"names no {what} beyond the question's", tuple(sorted(about)))
    return Fit(True, years=tuple(sorted(about)), weak=not own and bool(asked.years))


_GENERIC_PREDICATES = {"be", "have", "do", "say", "happen", "mean", "get", "make", "go"}


def _opening_name(art: ArticleFacts, sent: SentenceFacts, article: str) -> str:
    """The name a sentence opens on (normalised), one the article uses as a name somewhere: "" for none."""
    d = _DATELINE.match(article, sent.start, sent.end) if article else None
    m = _CAP_RUN.match(article, d.end() if d else sent.start, sent.end) if article else None
    if m is None:
        return ""
    norm = normalize_name(m.group())
    return norm if norm in art.named else ""


def _states(pred: str, sent: SentenceFacts, sentence: str, key: str, art: ArticleFacts) -> bool:
    """The sentence states the act `pred` (a verb lemma) about `key` or something unnamed: as a claim, a
    form of the verb, its noun ("approval") or the one who does it ("leader", "founder", "director").
    "Orvane is run by Mira Tallis" states running, but of Orvane: not of Dunmore Labs."""
    objects = [o for p, _, o, *_ in sent.claims if p.split()[0] == pred or nominal_of(pred, p.split()[0])]
    if objects:  # of the asked one, or of something the article does not name
        return any(not o or _related(o, key) or not any(_related(o, n) or o == n for n in art.named) for o in objects)
    base = pred[:-1] if pred.endswith("e") else pred
    forms = {stem(pred)} | {stem(x) for x in (pred + "er", base + "er", pred + "or", base + "or", pred + "ner")}
    return bool(forms & {stem(w) for w in words(sentence.lower())})


def holds_kind(asked: Asked, sent: SentenceFacts) -> bool:
    """Whether one sentence holds an answer of the asked kind beyond the question's own names (what
    retrieval favours for a factoid question; `fit` is the full check of a candidate)."""
    accepts = _FIGURES if asked.kind in _FIGURES else {asked.kind}
    if not accepts & sent.kinds:
        return False
    if asked.kind not in ("person_or_org", "name"):
        return True
    asked_norms = {_strip_years(e.norm) for e in asked.entities}
    person = asked.kind == "person_or_org" and asked.noun in PERSON_NOUNS
    return any(lab not in ("DATE", "TIME") and not any(_related(n, a) or n in a or a in n for a in asked_norms)
               and (not person or lab == "PERSON") and not (asked.kind == "person_or_org" and lab == "PRODUCT")
               for lab, n in sent.names)


# Units of each dimension a "how old/heavy/long..." question asks about (general English units).
_DIM_UNITS = {k: re.compile(v, re.I) for k, v in {
    "age": r"\b\d+[- ]years?[- ]old\b|\baged? \d+|\b\d+,? (?:is|was) (?:the )?age\b|\bat (?:the )?age of\b"
           r"|[A-Z][\w'’-]+, \d{1,3},|\bat \d{1,3}\b(?![.,:]\d)(?!\s*(?:%|percent|p\.m|a\.m|o'clock|GMT))"
           r"|\bwas \d{1,3} when\b",
    "weight": r"\b\d[\d,.]*\s?(?:-|\s)?(?:grams?|g|kg|kilo(?:gram)?s?|pounds?|lbs?|tonnes?|tons?|ounces?|oz)\b",
    "height": r"\b\d[\d,.]*\s?(?:-|\s)?(?:met(?:re|er)s?|m|cm|centimet(?:re|er)s?|feet|foot|ft|inch(?:es)?|storeys?|floors?)\b",
    "distance": r"\b\d[\d,.]*\s?(?:-|\s)?(?:kilomet(?:re|er)s?|km|miles?|met(?:re|er)s?|m)\b",
    "length": r"\b\d[\d,.]*\s?(?:-|\s)?(?:kilomet(?:re|er)s?|km|miles?|met(?:re|er)s?|m|days?|weeks?|months?|years?|hours?|minutes?)\b"
              r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty)[- ](?:days?|weeks?|months?|years?|hours?)\b",
}.items()}


_FIGURES = {"number", "money", "percent"}
# a person's age as news writes it: "Oduya, 17,", "aged 17", "a 17-year-old", "17 years old"
_AGE = re.compile(r"(?<=[A-Za-z'’]), \d{1,3},|\baged \d{1,3}\b|\b\d{1,3}[- ]years?[- ]old\b|\bat (?:the )?age of \d{1,3}\b")
_NUMBER_WORDS = set("""one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion
    dozens hundreds thousands millions first second third fourth fifth half both""".split())
_COUNT_WORDS = _NUMBER_WORDS - {"first", "second", "third", "fourth", "fifth"}  # "his second open" counts nothing
_MODEL = re.compile(r"\b[A-Z][\w-]*\s\d{1,2}[A-Za-z]?\b(?![,.]\d|\s*(?:%|percent|million|billion))")
# what "how many people" may be counted as (general English nouns for people)
_HUMAN = {stem(w) for w in """people person persons customers users players members workers residents voters
    passengers employees staff patients participants travellers travelers students children adults visitors
    fans readers viewers subscribers households families citizens drivers owners buyers""".split()}


def _kind_in_text(kind: str, sentence: str, asked: Asked) -> bool:
    """A last look at the words themselves (NER misses): digits for a figure, a % sign, a currency."""
    if kind == "number":
        for e in asked.entities:  # a model number is part of its name ("Skylark 2")
            sentence = re.sub(re.escape(e.text), " ", sentence, flags=re.I)
        return bool(re.search(r"\d", _MODEL.sub(" ", _YEAR.sub("", sentence))))
    if kind == "percent":
        return "%" in sentence or " percent" in sentence.lower()
    if kind == "money":
        return bool(re.search(r"[$€£¥]\s?\d|\d\s?(?:dollars|euros|pounds|yuan)", sentence, re.I))
    return False


_VERSION = re.compile(r"\d{1,4}[a-z]?|[ivx]{1,4}|mk\s?\d+|mark\s\w+")


_PRONOUN_SUBJECTS = {"it", "he", "she", "they", "we", "i", "you", "which", "who", "that", "this"}
_REFERS = re.compile(r"^[\"“]?(?:It|Its|They|Their|He|His|She|Her|The (?:company|firm|group|carmaker|maker|chain))\b")


def _names_it(key: str, text: str, sent: SentenceFacts) -> bool:
    return key in text or any(_related(key, n) for _, n in sent.names)


def _referent(art: ArticleFacts, sent: SentenceFacts) -> str:
    """What a pronoun opening `sent` most likely refers to: the first person or organisation named in the
    sentence before it, or the one before that ("" when neither names one)."""
    k = bisect_right(art.starts, sent.start) - 1
    i = k if k >= 0 and art.sentences[k].start == sent.start else None
    for s in (art.sentences[k] for k in (i - 1, i - 2) if i is not None and k >= 0):
        for label, x, y in s.spans:
            if label in ("PERSON", "ORG", "NAME"):
                norm = next((n for lab, n in s.names if lab == label), "")
                return norm
    return ""


def _mentions(key: str, text: str) -> bool:
    """The name, or for a several-word name its last word (a surname, "Skylark 2"'s model), is in the text."""
    if key in text:
        return True
    last = key.split()[-1]
    return len(key.split()) > 1 and len(last) > 3 and not _VERSION.fullmatch(last) \
        and re.search(r"(?<!\w)" + re.escape(last) + r"(?!\w)", text) is not None


def _forms(noun: str) -> set:
    """Stems of a noun lemma and its plural ("pharmacy", "pharmacies")."""
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "es" \
        if noun.endswith(("s", "x", "ch", "sh")) else noun + "s"
    return {stem(noun), stem(plural)}


# words that end the name of an organisation rather than a person ("Morrow Regional Council", "Kelvrin Institute")
_ORG_HEADS = set("""council institute university agency authority club foundation party union company group bank
    ministry committee commission court association press society department board school college hospital trust
    fund guild alliance corporation corp inc ltd motors robotics systems analytics health pharma cells civil rail
    government secretariat office service services network airlines airways exchange federation league""".split())


def _org_like(norm: str) -> bool:
    return bool(norm) and norm.split()[-1] in _ORG_HEADS


def _related(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a == b or a.startswith(b + " ") or b.startswith(a + " ")
                                    or a.endswith(" " + b) or b.endswith(" " + a))


def _strip_years(norm: str) -> str:
    return re.sub(r"\s+", " ", _YEAR.sub(" ", norm)).strip()


def _quarters_match(asked: frozenset, have: set) -> bool:
    return any((ay is None or ay == hy) and aq == hq for ay, aq in asked for hy, hq in have)


def _list(years) -> str:
    return " and ".join(str(y) for y in sorted(years))


def _qlist(qs) -> str:
    return " and ".join(f"Q{q} {y}" if y else f"Q{q}" for y, q in sorted(qs, key=lambda x: (x[0] or 0, x[1])))
