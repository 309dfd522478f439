"""What a question asks for: the kind of answer, and the constraints an answer must meet.

The kind comes from the grammar of English questions (the wh-word, the noun it asks about,
an auxiliary opening for yes/no); the constraints (named entities, years, quarters, an
ordinal, "latest") from the NLP layer. A candidate answer is then checked against them in
`rag.facts`: the 2019 winner is not an answer to a question about 2021, a sentence holding
only a date is not an answer to "who". Nothing here is tuned to an eval set: the word lists
are the closed classes of question grammar and a few general nouns per answer kind.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .nlp import Entity, analyze

# The answer kinds, and the entity labels (spaCy/OntoNotes) that hold each.
KINDS = ("person_or_org", "name", "place", "date", "number", "money", "percent", "yesno", "reason", "process",
         "definition", "list", "open")
HOLDS = {
    "person_or_org": {"PERSON", "ORG", "NORP", "GPE", "NAME"},
    "name": {"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "FAC", "GPE", "NORP", "NAME"},
    "place": {"GPE", "LOC", "FAC"},
    "date": {"DATE", "TIME"},
    "number": {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"},
    "money": {"MONEY"},
    "percent": {"PERCENT"},
}

# General nouns a "which/what NOUN" question can ask about, by the kind of answer they want.
_NOUN_KIND = {
    "person_or_org": """company companies firm firms business businesses group groups organisation organization
        organisations organizations team teams club clubs side party parties person people man woman men women
        player players leader leaders executive executives official officials candidate candidates winner winners
        champion champions author authors writer writers maker makers manufacturer rival rivals competitor
        competitors partner partners member members country countries nation nations union agency agencies
        regulator court airline bank banks brand brands lab labs startup startups""",
    "name": "name names title titles model models product products brand",
    "place": "city cities town towns region regions place places state states venue venues site sites location",
    "date": "year years date dates day days month months quarter quarters season time week",
    "number": "number numbers amount figure figures total count share",
    "money": "price prices cost costs value valuation fee fees budget fine fines sum salary revenue funding",
}
NOUN_KIND = {w: k for k, ws in _NOUN_KIND.items() for w in ws.split()}
_MONEY_VERBS = {"cost", "pay", "spend", "worth", "charge", "raise", "earn", "fund", "fine", "sell", "buy", "price",
                "invest", "lose", "owe", "budget", "value"}
_AUX = {"be", "do", "have", "can", "could", "will", "would", "should", "may", "might", "must", "shall",
        "is", "are", "was", "were", "am", "does", "did", "has", "had"}  # lemmas and forms: "Has" may lemmatise as "has"
_LEAD = re.compile(r"^\s*(?:and|but|so|also|then|ok(?:ay)?|well)\b[\s,]*", re.I)
_LATEST = re.compile(r"\b(latest|newest|most recent(?:ly)?|current(?:ly)?|now|today|so far|to date|as of now|still)\b", re.I)
_QUARTER = re.compile(r"\b(?:q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th) quarter)\b(?:\s*(?:of\s*)?((?:19|20)\d\d))?", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_CALENDAR = re.compile(r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                       r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|wednesday|"
                       r"thursday|friday|saturday|sunday)\b\.?", re.I)
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_NOT_SUBJECT = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}


@dataclass(frozen=True)
class Asked:
    """The kind of answer a question wants and what an answer must agree with."""

    kind: str = "open"
    years: frozenset = frozenset()  # years the question names ("in 2021", "the 2019-20 season")
    quarters: frozenset = frozenset()  # (year or None, quarter) pairs
    entities: tuple[Entity, ...] = ()  # names the question is about (not dates or numbers)
    ordinal: str = ""  # "second", "first-ever": an edition or rank asked about
    latest: bool = False  # "latest", "now", "currently": the newest coverage wins
    plural: bool = False  # "which companies": more than one answer expected
    noun: str = ""  # the noun a which/what question asks about ("company", "reason")
    measure: str = ""  # what a figure must be a figure of: "how many copies" -> copy, "X's revenue" -> revenue
    dimension: str = ""  # "how old/heavy/tall/far/long": age | weight | height | distance | length
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def factoid(self) -> bool:
        return self.kind in HOLDS


def understand(question: str) -> Asked:
    """Analyse one (standalone) question."""
    q = _LEAD.sub("", question).strip()
    a = analyze(q)
    toks = a.tokens
    low = q.lower()
    first = toks[0].text.lower() if toks else ""
    kind, noun, plural = _kind(q, low, toks)
    years = {int(y) for y in _YEAR.findall(q)}
    for t in a.times:
        if t.year and not t.relative:
            years.add(t.year)
            if t.year_end:
                years.add(t.year_end)
    quarters = set()
    for m in _QUARTER.finditer(q):
        n = int(m.group(1)) if m.group(1) else _ORD[m.group(2).lower()]
        quarters.add((int(m.group(3)) if m.group(3) else None, n))
    if len(years) == 1:  # "Q1 2021" or "in the first quarter ... in 2021"
        quarters = {(y or next(iter(years)), n) for y, n in quarters}
    ents = tuple(e for e in a.entities if e.label not in _NOT_SUBJECT and not _YEAR.fullmatch(e.text))
    ents += _capitalised(q, toks, ents)
    ordinal = next((e.text.lower() for e in a.entities if e.label == "ORDINAL"), "")
    if kind == "yesno" and first not in _AUX:
        kind = "open"
    measure, dimension = _measure(low, toks, kind, noun)
    return Asked(kind=kind, years=frozenset(years), quarters=frozenset(quarters), entities=ents,
                 ordinal=ordinal, latest=bool(_LATEST.search(q)), plural=plural, noun=noun,
                 measure=measure, dimension=dimension)


_DIMENSION = {"old": "age", "heavy": "weight", "tall": "height", "high": "height", "far": "distance",
              "long": "length", "big": "size", "large": "size"}


def _measure(low: str, toks, kind: str, noun: str) -> tuple[str, str]:
    """What the asked figure counts or measures: the noun of "how many NOUN", of "the NOUN of X" /
    "X's NOUN" in a figure question; or the dimension of "how old/heavy/long"."""
    m = re.search(r"\bhow (old|heavy|tall|high|far|long|big|large)\b", low)
    if m:
        return "", _DIMENSION[m.group(1)]
    if kind not in ("number", "money", "percent"):
        return "", ""
    if noun and noun not in _GENERIC:
        return noun, ""
    for t in toks:  # "what was Kestrel's revenue", "how much will a single ticket cost"
        if t.pos == "NOUN" and t.lemma not in _GENERIC and t.dep in ("nsubj", "attr", "dobj", "nsubjpass", "pobj"):
            return t.lemma, ""
    return "", ""


# nouns that name no particular thing a figure is of
_GENERIC = {"number", "amount", "figure", "total", "count", "sum", "value", "percentage", "percent", "share",
            "proportion", "rate", "money", "much", "many", "time", "year", "quarter", "period"}


def _kind(q: str, low: str, toks) -> tuple[str, str, bool]:
    """(kind, asked noun, plural) from the question's grammar."""
    lemmas = [t.lemma for t in toks]
    words = [t.text.lower() for t in toks]
    if not toks:
        return "open", "", False
    # "Did Carrow admit it was liable when it settled?": an auxiliary first makes a yes/no question,
    # whatever wh-word a clause inside it has
    if (lemmas[0] in _AUX or words[0] in _AUX) and words[0] not in ("what", "which", "who", "when", "where", "why", "how"):
        return "yesno", "", False
    if re.search(r"\bwhy\b|\bfor what reason\b|\bwhat (?:caused|causes|led to|prompted|drove)\b|\bwhat is the reason\b", low):
        return "reason", "reason", False
    if re.search(r"\bhow many\b", low):
        return "number", _noun_after(toks, words.index("many")) if "many" in words else "", True
    if re.search(r"\bhow much\b", low):
        money = bool(_MONEY_VERBS & set(lemmas)) or bool(re.search(r"\bmoney|dollars?|euros?|pounds?\b", low))
        return ("money" if money else "number"), "", False
    if re.search(r"\bhow (?:long|old|far|big|large|high|tall|fast|often|heavy|wide|deep)\b", low):
        return "number", "", False
    if re.search(r"\bwhat (?:percentage|percent|proportion|share|rate)\b|\bwhat %", low):
        return "percent", "", False
    if re.search(r"\bwhen\b|\bsince when\b|\bhow long ago\b", low):
        return "date", "", False
    if re.search(r"\bwhere\b", low):
        return "place", "", False
    if re.search(r"\bwhat (?:does|do|did) .{1,80}\bmean\b|\bwhat is meant by\b|\bdefin(?:e|ition)\b", low):
        return "definition", "", False
    wh = next((i for i, w in enumerate(words[:4]) if w in ("which", "what", "whose")), None)
    if wh is not None and toks[wh].dep in ("det", "attr", "nsubj", "dobj", "pobj") and wh + 1 < len(toks):
        head = _asked_noun(toks, wh)
        if head:
            word = head.text.lower()
            kind = NOUN_KIND.get(word) or NOUN_KIND.get(head.lemma)
            plural = word != head.lemma and word.endswith("s")
            if kind:
                return (kind if not plural or kind not in ("person_or_org", "place") else kind), head.lemma, plural
    if re.match(r"\s*who(?:m|se)?\b", low) or " who " in f" {low} ":
        # "Who is Anthropic?": a description of a name, not another name
        rest = [t for t in toks[1:] if t.pos not in ("AUX", "PUNCT", "DET")]
        if lemmas[1:2] == ["be"] and rest and all(t.pos in ("PROPN", "NOUN") or t.text[:1].isupper() for t in rest):
            return "definition", "", False
        return "person_or_org", "", bool(re.search(r"\bwho (?:are|were)\b", low))
    if re.match(r"\s*how\b", low):
        return "process", "", False
    if lemmas[0] in _AUX or words[0] in _AUX:
        return "yesno", "", False
    if re.match(r"\s*what (?:is|are|was|were) (?:an?\s|[a-z])", low) and " of " not in low \
            and not any(t.pos == "ADP" or t.dep == "poss" for t in toks):
        verbs = [t for t in toks if t.pos == "VERB"]
        if not verbs:  # "What is a buffer strip?": a term, no action or attribute asked about
            return "definition", "", False
    if re.match(r"\s*(?:list|name)\b", low):
        return "list", "", True
    return "open", "", False


def _asked_noun(toks, wh: int):
    """The noun a which/what asks about: 'which company', 'what year', 'what is the latest cost
    estimate' (the head, or failing that a modifier of it, whose kind is known)."""
    phrase = []
    for t in toks[wh + 1: wh + 7]:
        if t.pos in ("VERB", "ADP", "PUNCT") or (t.pos == "AUX" and phrase):
            break
        if t.pos in ("NOUN", "PROPN"):
            phrase.append(t)
    known = [t for t in phrase if t.text.lower() in NOUN_KIND or t.lemma in NOUN_KIND]
    return (known or phrase or [None])[-1]


_QWORDS = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are", "was", "were",
           "do", "does", "did", "has", "have", "had", "can", "could", "will", "would", "should", "and", "but",
           "so", "i", "the", "a", "an", "in", "on", "tell", "please"}


def _capitalised(q: str, toks, found: tuple[Entity, ...]) -> tuple[Entity, ...]:
    """Names the small NER model misses ("Has Anthropic filed...?"): runs of capitalised words,
    outside the entities already found and not a question's opening word."""
    from .nlp import normalize_name

    taken = [(e.start, e.end) for e in found] + [(m.start(), m.end()) for m in _QUARTER.finditer(q)]
    taken += [(m.start(), m.end()) for m in _CALENDAR.finditer(q)]
    out, run = [], []
    for i, t in enumerate(list(toks) + [None]):
        cap = t is not None and t.text[:1].isupper() and t.text.lower() not in _QWORDS and t.pos != "PUNCT" \
            and not any(s <= t.start < e for s, e in taken)
        # a model number belongs to its name: "Skylark 2", "Falcon 9"
        cap = cap or bool(run and t is not None and re.fullmatch(r"\d{1,2}[A-Za-z]?|[IVX]{1,4}", t.text))
        if cap:
            run.append(t)
            continue
        if run:
            s, e = run[0].start, run[-1].end
            out.append(Entity(q[s:e], "NAME", s, e, normalize_name(q[s:e])))
            run = []
    return tuple(out)


def _noun_after(toks, i: int) -> str:
    for t in toks[i + 1: i + 4]:
        if t.pos == "NOUN":
            return t.lemma
    return ""
