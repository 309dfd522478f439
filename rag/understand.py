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

from .nlp import Entity, analyze_question

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
        regulator court airline bank banks brand brands lab labs startup startups scientist scientists researcher
        researchers expert experts lawyer lawyers judge judges chair chief director directors head boss manager
        founder founders spokesperson minister ministers mayor president reviewer analyst analysts doctor doctors
        contractor contractors supplier suppliers owner owners investor investors sponsor sponsors buyer buyers
        government governments council councils authority authorities ministry board""",
    "name": "name names title titles model models product products brand",
    "place": """city cities town towns region regions place places state states venue venues site sites location
        locations building buildings street streets district districts village villages area areas port ports
        airport neighbourhood neighborhood route routes""",
    "date": "year years date dates day days month months quarter quarters season time week",
    "number": """number numbers amount figure figures total count share deliveries sales turnout attendance
        population votes score""",
    "money": """price prices cost costs value valuation fee fees budget fine fines sum salary revenue funding bill bills
        profit profits income earnings wage wages""",
}
NOUN_KIND = {w: k for k, ws in _NOUN_KIND.items() for w in ws.split()}
# the person_or_org nouns that ask for a person ("which scientist"): a council or a city is no answer
PERSON_NOUNS = set("""person people man woman men women player leader executive official candidate winner champion
    author writer scientist researcher expert lawyer judge chair chief director head boss manager founder spokesperson
    minister mayor president reviewer analyst doctor""".split())
_MONEY_VERBS = {"cost", "pay", "spend", "worth", "charge", "raise", "earn", "fund", "fine", "sell", "buy", "price",
                "invest", "lose", "owe", "budget", "value"}
_PAID = {"cost", "pay", "spend", "charge", "earn", "owe"}  # what one of these takes is an amount of money
_AUX = {"be", "do", "have", "can", "could", "will", "would", "should", "may", "might", "must", "shall",
        "is", "are", "was", "were", "am", "does", "did", "has", "had"}  # lemmas and forms: "Has" may lemmatise as "has"
_LEAD = re.compile(r"^\s*(?:and|but|so|also|then|ok(?:ay)?|well)\b[\s,]*", re.I)
# "originally", "when it was announced", "at the start": the oldest coverage of the thing wins
_EARLIEST = re.compile(r"\b(originally|initially|at first|at the (?:start|outset|beginning)(?! of)|to begin with|"
                       # the start of an event ("on the first evening of the strike"), not of a period of time
                       r"(?:the (?:first|opening) (?:days?|evenings?|nights?|mornings?|afternoons?|hours?|weeks?)|"
                       r"the (?:start|outset|beginning)) of (?=(?:the|its|their|his|her) "
                       r"(?!year|quarter|month|week|season|decade|century)[a-z]+)|"
                       r"first (?:announced?|promised?|planned?|said|estimated?|expected|meant|supposed|set)|"
                       r"when (?:it|they|he|she|the \w+) (?:was |were )?(?:first )?(?:announced|unveiled|launched|"
                       r"approved|proposed|gave the go-ahead|announced it|unveiled it|approved it))\b", re.I)
_LATEST = re.compile(r"\b(latest|newest|most recent(?:ly)?|current(?:ly)?|now|today|so far|to date|as of now|still)\b", re.I)
_QUARTER = re.compile(r"\b(?:q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th) quarter)\b(?:\s*(?:of\s*)?((?:19|20)\d\d))?", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_CALENDAR = re.compile(r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                       r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|wednesday|"
                       r"thursday|friday|saturday|sunday)\b\.?", re.I)
_SPAN = re.compile(r"\b((?:19|20)\d\d)\s*[-–/]\s*(\d{2}|(?:19|20)\d\d)\b")
# an edition or rank asked about ("who came second", "the first-ever"), not a quarter
_ORDINAL = re.compile(r"\b(first(?:-ever)?|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|"
                      r"\d+(?:st|nd|rd|th))\b(?!\s+(?:quarter|half)\b)", re.I)
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_NOT_SUBJECT = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}


@dataclass(frozen=True)
class Asked:
    """The kind of answer a question wants and what an answer must agree with."""

    kind: str = "open"
    years: frozenset = frozenset()  # years the question names ("in 2021", "the 2019-20 season")
    quarters: frozenset = frozenset()  # (year or None, quarter) pairs
    entities: tuple[Entity, ...] = ()  # names the question is about (not dates or numbers)
    side: tuple[Entity, ...] = ()  # those of them in a clause that sets the scene ("when Varga first won")
    ordinal: str = ""  # "second", "first-ever": an edition or rank asked about
    latest: bool = False  # "latest", "now", "currently": the newest coverage wins
    earliest: bool = False  # "originally", "when it was announced": the oldest coverage wins
    cue: str = ""  # the words that set `latest` or `earliest` ("now", "originally"): when, not what, is asked
    # asked in the present or future tense about no particular time ("who holds the record", "when will it
    # open"): the answer stands as of its article's date, which the answer says
    now: bool = False
    plural: bool = False  # "which companies": more than one answer expected
    noun: str = ""  # the noun a which/what question asks about ("company", "reason")
    measure: str = ""  # what a figure must be a figure of: "how many copies" -> copy, "X's revenue" -> revenue
    dimension: str = ""  # "how old/heavy/tall/far/long": age | weight | height | distance | length
    claim: tuple = ()  # what a yes/no question asks is so: (predicate lemma, subject, object, negated)
    term: str = ""  # what a definition question asks about ("AI nationalism", "a buffer strip")
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def factoid(self) -> bool:
        return self.kind in HOLDS


def understand(question: str) -> Asked:
    """Analyse one (standalone) question."""
    q = _LEAD.sub("", question).strip()
    a = analyze_question(q)  # no entity recogniser (half the time): names from capitalised words and the parse
    toks = a.tokens
    low = q.lower()
    first = toks[0].text.lower() if toks else ""
    kind, noun, plural = _kind(q, low, toks)
    years = {int(y) for y in _YEAR.findall(q)}
    for m in _SPAN.finditer(q):  # "the 2019-20 season"
        end = int(m.group(2)) if len(m.group(2)) == 4 else int(m.group(1)[:2] + m.group(2))
        if 0 < end - int(m.group(1)) <= 2:
            years.add(end)
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
    ents = _capitalised(q, toks, ents)
    side = _side(toks, ents, kind)
    ordinal = next((m.group(1).lower() for m in _ORDINAL.finditer(q)), "")
    if kind == "yesno" and first not in _AUX:
        kind = "open"
    measure, dimension = _measure(low, toks, kind, noun)
    claims = [c for c in a.claims if c.predicate]
    main = next((c for c in claims if c.predicate.split()[0] not in ("be", "have", "do") or " " in c.predicate),
                claims[0] if claims else None)
    claim = (main.predicate, main.subject, main.object, main.negated) if main is not None else ()
    term = _term(q) if kind == "definition" else ""
    earliest = _earliest(q, kind)
    latest = bool(_LATEST.search(q)) and not earliest
    cue = (_EARLIEST.search(q) if earliest else _LATEST.search(q) if latest else None)
    now = latest or (not earliest and not years and not quarters and _present(toks))
    return Asked(kind=kind, years=frozenset(years), quarters=frozenset(quarters), entities=ents, side=side,
                 ordinal=ordinal, latest=latest, earliest=earliest, cue=cue.group() if cue else "", now=now,
                 plural=plural, noun=noun,
                 measure=measure, dimension=dimension, claim=claim, term=term)


_TERM = [re.compile(p, re.I) for p in (
    r"[\"“'‘]([^\"”'’]{2,60})[\"”'’]",                                  # a quoted term
    r"\bwhat (?:does|do|did) (?:the \w+ )?(?:\w+ )?mean by (.+?)\s*\??$",    # "what does the compact mean by X"
    r"\bwhat (?:does|do|did) (.+?) (?:actually |really )?mean\b",
    r"\bwhat is meant by (.+?)\s*\??$",
    r"\b(?:define|definition of) (.+?)\s*\??$",
    r"^\s*what (?:is|are|was|were) (?:an? |the )?(.+?)(?:,? (?:really|exactly|actually))?\s*\??$",
    r"^\s*who (?:is|are|was|were) (.+?)\s*\??$")]


def _term(q: str) -> str:
    """The term a definition question asks about: a quoted phrase, or what follows "mean by", "what is"."""
    for p in _TERM:
        m = p.search(q)
        if m and m.group(1).strip():
            return m.group(1).strip(" ,.?!")
    return ""


_PRESENT = {"is", "are", "am", "has", "have", "does", "do", "will", "can", "'s", "’s", "shall"}


def _present(toks) -> bool:
    """The question's first verb is in the present or future tense ("holds", "has won", "will be running";
    not "won", "did", "was")."""
    v = next((t for t in toks if t.pos in ("AUX", "VERB")), None)
    if v is None:
        return False
    w = v.text.lower()
    if v.pos == "AUX" or w in _PRESENT:
        return w in _PRESENT
    return w in (v.lemma, v.lemma + "s", v.lemma + "es", v.lemma[:-1] + "ies")


def _earliest(q: str, kind: str) -> bool:
    """The question asks about the first state of something ("what did they originally plan"), not
    compares with it ("why does it fly less than first promised") or asks why it changed."""
    m = _EARLIEST.search(q)
    return bool(m) and kind not in ("reason", "process") and not re.search(r"\bthan\b", q[:m.start()], re.I)


def _side(toks, ents: tuple[Entity, ...], kind: str) -> tuple[Entity, ...]:
    """The names outside the clause the question asks: in a clause that dates or premises it ("Who
    finished second when Varga first won?", "Wren had been shortlisted before, so why did ...").
    An answer must name the others; these only its article."""
    if not toks or not toks[0].dep or len(ents) < 1:
        return ()
    wh = next((i for i, t in enumerate(toks) if t.text.lower() in _WH), None) if kind != "yesno" else None
    head = wh if wh is not None else next((i for i, t in enumerate(toks) if t.dep == "ROOT"), 0)
    for _ in range(len(toks)):  # up to the clause's verb ("When was the Skylark 2 supposed": not the "was")
        t = toks[head]
        if (t.pos in ("VERB", "AUX") and t.dep not in ("aux", "auxpass")) or t.head == head:
            break
        head = t.head
    children: dict[int, list[int]] = {}
    for i, t in enumerate(toks):
        if t.head != i:
            children.setdefault(t.head, []).append(i)

    def subtree(i: int) -> set:
        out, todo = set(), [i]
        while todo:
            j = todo.pop()
            out.add(j)
            todo += children.get(j, [])
        return out

    core = subtree(head)
    for c in children.get(head, []):
        if toks[c].dep in ("advcl", "parataxis") and (wh is None or wh not in subtree(c)):
            core -= subtree(c)
    spans = [(toks[i].start, toks[i].end) for i in core]
    return tuple(e for e in ents if not any(s < e.end and e.start < t for s, t in spans))


_DIMENSION = {"old": "age", "heavy": "weight", "tall": "height", "high": "height", "far": "distance",
              "long": "length"}  # "how big/large" takes any figure (96 players, 4,000 seats)


def _measure(low: str, toks, kind: str, noun: str) -> tuple[str, str]:
    """What the asked figure counts or measures: the noun of "how many NOUN", of "the NOUN of X" /
    "X's NOUN" in a figure question; or the dimension of "how old/heavy/long"."""
    # "how far ahead" is a lead, in minutes or points as often as in metres
    m = re.search(r"\bhow (old|heavy|tall|high|far|long)\b(?! (?:ahead|behind|along|into|back)\b)", low)
    if m:
        return "", _DIMENSION[m.group(1)]
    if kind not in ("number", "money", "percent"):
        return "", ""
    def generic(lemma: str) -> bool:  # the figure itself ("how much of the bill" asks an amount, any amount)
        return lemma in _GENERIC or (kind == "money" and lemma in _SUM)

    if noun and not generic(noun):
        return noun, ""
    for i, t in enumerate(toks):  # "what share of household members", "what percentage of the vote": of whom
        if t.lemma in ("percentage", "percent", "share", "proportion", "fraction", "number") and i + 1 < len(toks) \
                and toks[i + 1].lemma == "of":
            of = next((x for x in toks if x.dep == "pobj" and x.head == i + 1), None)
            if of is not None and of.pos == "NOUN" and not generic(of.lemma):
                return of.lemma, ""
    # "what was Kestrel's revenue", "how much will a single ticket cost"; a noun after a preposition last
    for t in sorted(toks, key=lambda t: t.dep == "pobj"):
        if t.pos == "NOUN" and not t.text[:1].isupper() and not generic(t.lemma) and t.dep in ("nsubj", "attr", "dobj", "nsubjpass", "pobj") \
                and not (t.dep == "nsubj" and NOUN_KIND.get(t.lemma) == "person_or_org") \
                and not (t.dep == "pobj" and (toks[t.head].lemma not in ("of", "for", "per", "in")
                                              or t.lemma in _WHEN_NOUNS)):
            return t.lemma, ""  # who pays is not what is paid for; "during the campaign" says when
    return "", ""


# nouns that name no particular thing a figure is of
_GENERIC = {"number", "amount", "figure", "total", "count", "sum", "value", "percentage", "percent", "share",
            "proportion", "rate", "money", "much", "many", "time", "year", "quarter", "period"}
# nouns of time ("in the end", "in the first quarter"): when, not what a figure counts
_WHEN_NOUNS = {"end", "start", "beginning", "past", "future", "time", "year", "quarter", "month", "week", "day",
               "period", "season", "summer", "winter", "spring", "autumn", "morning", "evening", "night", "meantime"}
# nouns that name an amount of money as such: "how much of the bill" asks for an amount, any amount
_SUM = {"price", "cost", "value", "fee", "budget", "sum", "bill", "amount", "charge", "spending", "expense", "total"}


_WH = ("who", "whom", "whose", "what", "which", "when", "where", "why", "how")


def _kind(q: str, low: str, toks) -> tuple[str, str, bool]:
    """(kind, asked noun, plural) from the question's grammar.

    The first wh-word is the one the question asks: "Who finished second when Varga first won?"
    wants a name, not a date; the "when" belongs to a clause inside it."""
    lemmas = [t.lemma for t in toks]
    words = [t.text.lower() for t in toks]
    if not toks:
        return "open", "", False
    # "Did Carrow admit it was liable when it settled?": an auxiliary first makes a yes/no question,
    # whatever wh-word a clause inside it has
    if (lemmas[0] in _AUX or words[0] in _AUX) and words[0] not in _WH:
        return "yesno", "", False
    first = next((i for i, w in enumerate(words) if w in _WH), None)
    if first:  # "Apart from how people used it, what else ...": a wh-word in a clause set off before the main one
        later = next((i for i in range(first + 1, len(words)) if words[i] in _WH and "," in words[first:i]), None)
        first = later if later is not None else first
    wh = words[first] if first is not None else ""
    main = low[toks[first].start:] if first is not None else low
    if wh == "why" or re.match(r"(?:for )?what (?:is the reason|reason|caused|causes|led to|leads to|prompted|"
                               r"drove|made|makes)\b", main) or re.match(r"for what reason\b", main):
        return "reason", "reason", False
    if wh == "how":
        if re.match(r"how many\b", main):
            return "number", _noun_after(toks, words.index("many")) if "many" in words else "", True
        if re.match(r"how much\b", main):
            money = bool(_MONEY_VERBS & set(lemmas)) or bool(re.search(r"\bmoney|dollars?|euros?|pounds?\b", low))
            return ("money" if money else "number"), "", False
        if re.match(r"how (?:long|old|far|big|large|high|tall|fast|often|heavy|wide|deep)\b", main):
            return "number", "", False
        if re.match(r"how long ago\b", main):
            return "date", "", False
        nxt = toks[first + 1] if first + 1 < len(toks) else None
        if nxt is not None and nxt.pos in ("ADJ", "ADV") and nxt.lemma not in _AUX:
            return "open", "", False  # "how crowded is ...": a degree, described in words
        return "process", "", False
    if wh == "when":
        return "date", "", False
    if wh == "where":
        return "place", "", False
    if wh in ("what", "which", "whose"):
        # "What did the council think the tram would cost?", "What did Kestrel pay for the site?", "What was it
        # expected to cost?": "what" is what is paid (the paying verb has no object of its own)
        paid = [i for i, t in enumerate(toks) if t.pos == "VERB" and t.lemma in _PAID]
        if wh == "what" and toks[first].dep in ("dobj", "attr") and any(
                not any(t.dep == "dobj" and t.head == i and j != first for j, t in enumerate(toks)) for i in paid) \
                or re.match(r"what (?:will|would|does|do|did|could|might|should) (?:\S+ ){1,6}"
                            r"(?<!the )(?<!its )(?<!their )(?<!about )(?<!of )cost\s*\??$", main):
            return "money", "", False
        if re.match(r"what (?:percentage|percent|proportion|share|rate)\b|what %", main) \
                or re.search(r"\b(?:by|in) what (?:percentage|percent|proportion)\b", low):
            return "percent", "", False
        if re.search(r"\bwhat (?:does|do|did) .{1,80}\bmean\b|\bwhat is meant by\b|\bdefin(?:e|ition)\b", low):
            return "definition", "", False
        if toks[first].dep in ("det", "attr", "nsubj", "dobj", "pobj", "nsubjpass") and first + 1 < len(toks):
            head = _asked_noun(toks, first)
            if head:
                word = head.text.lower()
                kind = NOUN_KIND.get(word) or NOUN_KIND.get(head.lemma)
                if head.lemma == "time" and any(t.dep == "compound" and t.head == toks.index(head) for t in toks):
                    kind = "number"  # "flight time", "journey time": a duration, not a moment
                plural = word != head.lemma and word.endswith("s")
                if kind:
                    return kind, head.lemma, plural
        if re.search(r"\b(?:called|named)\s*\??$", low):
            return "name", "name", False  # "What was the winning book called?"
    if wh in ("who", "whom", "whose"):
        # "Who is Anthropic?": a description of a name, not another name
        rest = [t for t in toks[first + 1:] if t.pos not in ("AUX", "PUNCT", "DET")]
        if first + 1 < len(toks) and lemmas[first + 1] == "be" and rest \
                and all(t.pos in ("PROPN", "NOUN") or t.text[:1].isupper() for t in rest):
            return "definition", "", False
        return "person_or_org", "", bool(re.search(r"\bwho (?:are|were)\b", low))
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
        # "what did the regulator hold": the noun after an auxiliary other than "be" is the clause's
        # subject, not what is asked ("what is the latest cost estimate" asks the estimate)
        if t.pos in ("VERB", "ADP", "PUNCT") or (t.pos == "AUX" and (phrase or t.lemma != "be")):
            break
        if t.pos in ("NOUN", "PROPN"):
            phrase.append(t)
    known = [t for t in phrase if t.text.lower() in NOUN_KIND or t.lemma in NOUN_KIND]
    return (known or phrase or [None])[-1]


_QWORDS = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are", "was", "were",
           "do", "does", "did", "has", "have", "had", "can", "could", "will", "would", "should", "and", "but",
           "so", "i", "the", "a", "an", "in", "on", "tell", "please"}


def _capitalised(q: str, toks, found: tuple[Entity, ...]) -> tuple[Entity, ...]:
    """The question's names: the NER's entities, and runs of capitalised words the small model
    misses ("Has Anthropic filed...?"), not a question's opening word unless it is a proper noun
    ("According to...", "By what..."). A run beside an entity is part of it ("Bram" + "Esterhuys",
    "Dr." + "Sunniva Arkwright")."""
    from .nlp import normalize_name

    taken = [(e.start, e.end) for e in found] + [(m.start(), m.end()) for m in _QUARTER.finditer(q)]
    taken += [(m.start(), m.end()) for m in _CALENDAR.finditer(q)]
    runs, run = [], []
    seq = list(toks) + [None]
    for i, t in enumerate(seq):
        cap = t is not None and t.text[:1].isupper() and t.text.lower() not in _QWORDS and t.pos != "PUNCT" \
            and not any(s <= t.start < e for s, e in taken) and (i > 0 or t.pos == "PROPN")
        # a model number belongs to its name: "Skylark 2", "Falcon 9"
        cap = cap or bool(run and t is not None and re.fullmatch(r"\d{1,2}[A-Za-z]?|[IVX]{1,4}", t.text))
        # "Bank of England", "Marlow & Pike", "Lindqvist-Osei": a joint inside a name when a name word follows
        nxt = seq[i + 1] if i + 1 < len(seq) else None
        if not cap and run and t is not None and nxt is not None and nxt.text[:1].isupper() \
                and (t.text in ("of", "&", "de", "van", "von") or (t.text in ("-", "–") and t.start == run[-1].end
                                                                   and nxt.start == t.end)):
            cap = True
        if cap:
            run.append(t)
            continue
        if run:
            runs.append((run[0].start, run[-1].end))
            run = []
    ents = list(found)
    for s, e in runs:
        near = next((k for k, x in enumerate(ents) if not q[e:x.start].strip() and x.start >= e
                     or not q[x.end:s].strip() and s >= x.end), None)
        if near is None:
            ents.append(Entity(q[s:e], "NAME", s, e, normalize_name(q[s:e])))
        else:
            x = ents[near]
            a, b = min(s, x.start), max(e, x.end)
            ents[near] = Entity(q[a:b], x.label, a, b, normalize_name(q[a:b]))
    return tuple(ents)


def _noun_after(toks, i: int) -> str:
    for t in toks[i + 1: i + 4]:
        if t.pos == "NOUN":
            return t.lemma
    return ""
