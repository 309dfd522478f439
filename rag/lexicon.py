"""General English word knowledge the attribution check leans on (none of it drawn from any test set).

- ANTONYMS: common opposite pairs of general English (verbs, adjectives and nouns of economy, law, politics,
  sport and daily life); a sentence word whose opposite is in the passage (and it is not) contradicts the
  passage, however similar the two words' embeddings are (they usually are). `opposite` adds the pairs a
  negative prefix or suffix makes (legal/illegal, helpful/helpless).
- CLOSED_CLASSES: small closed sets whose members are not interchangeable (colours, ordinals, compass
  points, units of time, family roles): a member the passage does not state is an invented detail,
  as a number is.
- COUNTRIES: a country's names and demonyms, so "U.K. activists" is supported by "British activists".

And for answering: `withheld` (a sentence saying something is undisclosed or unknown, and what kind of
answer it withholds), PRODUCT_NOUNS (nouns that introduce a product's name, which is then no "who"), and
`nominal_of` (the noun of a verb's act: "filing" of "file").
"""
from __future__ import annotations

import re

_PAIRS = """
accept reject | acquit convict | add remove | advance retreat | agree disagree | allow forbid | allow ban
alive dead | always never | ancient modern | approve reject | approve disapprove | arrive depart | ascend descend
attack defend | before after | begin end | best worst | better worse | big small | birth death | borrow lend
buy sell | cheap expensive | clean dirty | close open | cold hot | come go | confirm deny | admit deny
connect disconnect | construct destroy | build destroy | correct incorrect | create destroy | dark light
decrease increase | deep shallow | defeat victory | win lose | winner loser | won lost | dry wet | early late
easy difficult | easy hard | empty full | enter exit | entrance exit | expand contract | expand shrink
export import | fail succeed | failure success | false true | famous unknown | fast slow | female male
few many | find lose | first last | float sink | forget remember | found lost | friend enemy | ally enemy
gain loss | generous stingy | give take | guilty innocent | happy sad | hard soft | healthy sick | heavy light
high low | hire fire | include exclude | inside outside | legal illegal | licit illicit | lawful unlawful
authorized unauthorized | like dislike | long short | loose tight | loud quiet | love hate | major minor
maximum minimum | more less | most least | narrow wide | new old | north south | east west | noisy quiet
offer refuse | on off | optimistic pessimistic | pass fail | peace war | peaceful violent | permit prohibit
plus minus | polite rude | poor rich | positive negative | possible impossible | present absent | private public
profit loss | pull push | raise lower | raise cut | rise fall | rose fell | risen fallen | rising falling
gain drop | increase drop | increase fall | increase cut | up down | upward downward | above below
safe dangerous | safe unsafe | same different | save spend | strong weak | strengthen weaken | success failure
support oppose | survive die | thick thin | thrive struggle | thriving struggling | tall short | top bottom
true untrue | ugly beautiful | victory loss | visible invisible | young old | youngest oldest | junior senior
domestic foreign | internal external | input output | inbound outbound | arrest release | jail release
convicted acquitted | guilty acquitted | resign appoint | hire dismiss | launch cancel | start stop | start finish
open shut | opened closed | expensive inexpensive | surplus deficit | bull bear | bullish bearish | boom bust
ahead behind | lead trail | leading trailing | majority minority | maximize minimize | overestimate underestimate
overvalued undervalued | higher lower | highest lowest | larger smaller | largest smallest | bigger smaller
biggest smallest | more fewer | rural urban | success defeat | legitimate illegitimate | proper improper
properly improperly | legally illegally | lawfully unlawfully | licitly illicitly | ally opponent | praise criticize
praise condemn | welcome condemn | support condemn | boost cut | boost reduce | strengthened weakened | wins losses
increase decline | rise decline | growth decline | grow decline | grow shrink | gain decline | improve worsen
improvement deterioration | upturn downturn | expansion contraction | high low | ahead behind | forward backward
forwards backwards | future past | guilty not | conviction acquittal | arrested released | before after
agree refuse | agree decline | agree disagree | accept refuse | accept decline | grant deny | grant reject
grant refuse | back oppose | backed opposed | support opposition | supporter opponent | favour oppose | favor oppose
for against | pro anti | approve veto | approve block |   ratify reject | endorse oppose
endorse reject | welcome reject | welcome criticise | welcome criticize | praise blame | credit blame | reward punish
honor shame | honour shame | celebrate mourn | join leave | join quit | stay leave | remain leave 
retain sell | hire lay | hire layoff | employ dismiss | promote demote | promotion demotion | appoint remove
appoint fire | elect defeat | elected defeated | ascend decline | win forfeit | victory defeat | triumph defeat
triumphant defeated | succeed struggle | successful unsuccessful | thriving failing | boom slump | recovery recession
surge plunge | surge slump | soar plunge | soar sink | jump drop | jump fall | climb fall | climb drop | rally slump
gain lose | profit losses | profitable unprofitable | earn lose | lend borrow | creditor debtor | lender borrower
buyer seller | purchase sale | import export | importer exporter | employer employee | landlord tenant
parent subsidiary | winner runner-up | host guest | home away | plaintiff defendant | prosecution defence
prosecution defense | prosecutor defender | guilty innocent | convict acquit | charge acquit | indict acquit
sentence acquit | uphold overturn | upheld overturned | uphold reverse | affirm overturn | affirm reverse | sustain overturn
legal unlawful | valid invalid | validate invalidate | enforce suspend | impose lift | imposed lifted | tighten loosen
tighten ease | tighten relax | restrict expand | restriction freedom | ban allow | ban permit | banned allowed | forbid permit
mandatory voluntary | compulsory voluntary | require exempt | include omit | includes excludes | inclusion exclusion
confirm refute | prove disprove | verify refute | true false | accurate inaccurate | correct wrong | right wrong
certain uncertain | likely unlikely | probable improbable | sure unsure | clear unclear | known unknown | public secret
open closed | opening closing | reopen close | resume suspend | resume halt | continue halt | continue stop | continue end
start end | begin finish | launch end | launch scrap | create eliminate | add cut | add remove | add eliminate
increase reduce | increase lower | increase shrink | raise reduce | raise lower | hike cut | expand reduce | expand cut
strengthen undermine | boost undermine | boost hurt | boost weaken | boost harm | help hurt | help harm | benefit harm
benefit hurt | advantage disadvantage | asset liability | strength weakness | positive negative | optimism pessimism
confident worried | confidence doubt | calm panic | ease worsen | ease intensify | ease heighten | ease exacerbate
ease aggravate | relieve worsen | reduce heighten | reduce exacerbate | calm inflame | improve deteriorate | better worse
gains losses | up down | rise sink | raised cut | rising declining | growing shrinking | expanding contracting
accelerate slow | accelerate decelerate | speed slow | faster slower | quicker slower | earlier later | sooner later
first final | initial final | old new | former current | previous next | past next | ancient recent | temporary permanent
temporarily permanently | partial complete | partially fully |  minority majority | less more | least most
fewer more | minimum maximum | lowest highest | cheapest costliest | cheaper costlier | inexpensive costly | cheap costly
rich poor | wealthy poor | wealth poverty | surplus shortage | abundance scarcity | plenty shortage | strong fragile
stable unstable | stable volatile | stability instability | secure insecure | safe risky | safety danger | risk safety
healthy ill | health illness |   survive perish | live die | alive deceased | born died | birth death
peace conflict | peaceful hostile | friendly hostile | ally rival | ally adversary | partner rival | cooperate compete
cooperation competition | cooperate refuse | unite divide | united divided | unity division | merge split | merger split
join split | attach detach | connect cut | include exclude | insider outsider | inside outside | internal foreign
domestic international | local foreign | national international | rural city | urban countryside | north south
northern southern | eastern western | upper lower | top bottom | above below | over under | inner outer
heavy light | heavier lighter | thick thin | wide narrow | broad narrow | deep shallow | tall short | high low
long brief | longer shorter | hot cold | warm cool | warmer cooler | wet dry | flood drought | light dark | day night
morning evening | sunrise sunset | summer winter | spring autumn | east west |  front back | forward back
ahead behind | lead lag | leader follower | win lose | wins loses | won lost | winning losing | beat lost 
arrive leave | arrival departure |  enter leave | import export | inbound outbound | send receive
give receive | sell buy | sold bought | pay receive | paid received | spend save | spending saving | invest divest
investment divestment | acquire sell | acquire divest | acquisition sale |   lend repay 
attack defend | offense defense | offence defence | aggressor victim | cause prevent | allow prevent | enable prevent
encourage discourage | encourage deter | attract deter | attract repel | like hate | love dislike | please anger
happy angry | happy unhappy | glad sorry | pleased disappointed | satisfied dissatisfied | hope fear | proud ashamed
praise criticism | compliment insult | polite rude | honest dishonest | honesty dishonesty | loyal disloyal | fair unfair
just unjust | equal unequal | equality inequality | moral immoral | ethical unethical | responsible irresponsible
sane insane | rational irrational | logical illogical | regular irregular | relevant irrelevant | reversible irreversible
mature immature | patient impatient | perfect imperfect | polite impolite | possible impossible | legal illegal
literate illiterate | visible invisible | accessible inaccessible | adequate inadequate | efficient inefficient
effective ineffective | active inactive | formal informal | direct indirect | dependent independent | sufficient insufficient
appropriate inappropriate | competent incompetent | complete incomplete | consistent inconsistent | conclusive inconclusive
sensitive insensitive | stable unstable | able unable | aware unaware | fit unfit | happy unhappy | healthy unhealthy
popular unpopular | usual unusual | common rare | common uncommon | frequent rare | often rarely | always rarely
usually seldom | normal abnormal | typical atypical | ordinary extraordinary | simple complex | simple complicated
easy tough | easier harder | soft tough | gentle harsh | mild severe | mild harsh | lenient harsh | lenient strict
loose strict | minor serious | minor severe | slight severe | small huge | small large | tiny huge | little big 
massive tiny | giant tiny | huge modest | major modest | large modest |  worst best
accept deny | admit dismiss | admit reject | acknowledge deny | concede deny | concede dispute | confess deny
""".strip()

ANTONYMS: dict[str, set[str]] = {}
for _pair in _PAIRS.replace("\n", "|").split("|"):
    _ws = _pair.split()
    if len(_ws) == 2:
        ANTONYMS.setdefault(_ws[0], set()).add(_ws[1])
        ANTONYMS.setdefault(_ws[1], set()).add(_ws[0])

CLOSED_CLASSES: list[frozenset[str]] = [frozenset(s.split()) for s in (
    "red orange yellow green blue purple violet pink brown black white grey gray gold silver",
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth last",
    "north south east west northern southern eastern western northeast northwest southeast southwest",
    "second minute hour day week month year decade century",
    "mother father son daughter brother sister wife husband grandmother grandfather aunt uncle cousin niece nephew",
    "spring summer autumn fall winter",
)]
CLOSED_WORDS = frozenset().union(*CLOSED_CLASSES)

_COUNTRIES = """
uk u.k united kingdom britain great britain british briton england english
us u.s usa u.s.a united states america american
china chinese prc | russia russian | ukraine ukrainian | france french | germany german | italy italian
spain spanish | japan japanese | india indian | canada canadian | mexico mexican | brazil brazilian
australia australian | ireland irish | scotland scottish | wales welsh | poland polish | sweden swedish
norway norwegian | denmark danish | finland finnish | netherlands dutch holland | belgium belgian
switzerland swiss | austria austrian | greece greek | turkey turkish | iran iranian | iraq iraqi
israel israeli | egypt egyptian | syria syrian | saudi arabia saudi | south korea korean | north korea
taiwan taiwanese | vietnam vietnamese | thailand thai | indonesia indonesian | pakistan pakistani
nigeria nigerian | south africa south african | kenya kenyan | argentina argentine argentinian
chile chilean | colombia colombian | peru peruvian | portugal portuguese | new zealand kiwi
philippines filipino philippine | singapore singaporean | malaysia malaysian | hungary hungarian
czech republic czechia czech | romania romanian | belarus belarusian | afghanistan afghan | cuba cuban
venezuela venezuelan | lebanon lebanese | jordan jordanian | qatar qatari | hong kong | eu european union europe european
"""
COUNTRY: dict[str, str] = {}
for _line in _COUNTRIES.strip().splitlines():
    for _group in _line.split("|"):
        _ws = _group.split()
        if not _ws:
            continue
        # multi-word names ("united kingdom", "saudi arabia") are matched word by word by the caller
        for _w in _ws:
            COUNTRY.setdefault(_w.replace(".", ""), _group.strip())
for _ambiguous in ("united", "new", "south", "north", "great", "republic", "arabia", "kingdom", "states", "union",
                   "hong", "kong", "zealand", "africa", "korea", "turkey", "jordan", "fall", "english"):
    COUNTRY.pop(_ambiguous, None)


def country_of(word: str) -> str:
    """The country a name or demonym points to ("british" -> "uk"), or ""."""
    w = word.lower().replace(".", "").replace("’", "'").removesuffix("'s")
    return COUNTRY.get(w) or (COUNTRY.get(w[:-1], "") if w.endswith("s") else "")


_NEG_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non", "non-")


def opposite(a: str, b: str) -> bool:
    """Whether two words (lemmas) are opposites: listed, or one is the other with a negative prefix
    ("likely"/"unlikely", "legal"/"illegal") or -ful/-less ("helpful"/"helpless"). The prefix rule is for
    adjectives and adverbs only (the caller's concern): "disclose" is not the opposite of "close"."""
    if b in ANTONYMS.get(a, ()):
        return True
    for x, y in ((a, b), (b, a)):
        if len(y) >= 4 and any(x == p + y for p in _NEG_PREFIXES):
            return True
    if a.endswith("ful") and b.endswith("less"):
        return a[:-3] == b[:-4] and len(a) > 5
    if b.endswith("ful") and a.endswith("less"):
        return b[:-3] == a[:-4] and len(b) > 5
    return False


# ---------------------------------------------------------------- what the coverage says is not known

# General English ways of saying that something has not been made public or is not known. A sentence
# that says so answers "how/why/when/who ...?" in the sense "the coverage says this is not known".
_PARTICIPLES = ("disclosed|revealed|released|published|announced|specified|confirmed|identified|named|given|"
                "explained|detailed|made public|made known|set|determined|established|provided|shared|divulged")
_TELL = "say|disclose|reveal|specify|explain|elaborate|give|provide|detail|confirm|identify|name|discuss|divulge|share"
_NOT = r"(?:not|n['’]t|never)"
_NO_COMMENT = re.compile(
    r"\b(?:declin|refus)\w*\s+to\s+comment\b|\bcould\s+not\s+be\s+reached\b|\bno\s+comment\b"
    rf"|\b(?:did|does|do|has|have|had)\s*{_NOT}\s+(?:yet\s+|immediately\s+|publicly\s+)?"
    r"(?:respond|responded|reply|replied|comment|commented|return|returned|react|reacted)\b"
    r"|\b(?:has|have)\s+yet\s+to\s+(?:respond|reply|comment|react)\b", re.I)
_UNKNOWN = re.compile(
    r"\b(?:it|that|this)\s+(?:is|was|remains|remained)\s+(?:still\s+|not\s+yet\s+)?(?:unclear|not\s+clear|unknown|"
    r"not\s+known|uncertain)\b"
    r"|\b(?:unclear|unknown|not\s+known|not\s+clear|no\s+one\s+knows|nobody\s+knows)\s+(?:how|why|what|when|who|whom|"
    r"where|exactly)\b"
    r"|\b(?:remains?|remained|is|are|was|were)\s+(?:still\s+)?(?:unknown|unclear|a\s+mystery)\b", re.I)
_UNDISCLOSED = re.compile(
    r"\bunder\s+wraps\b|\bundisclosed\b"
    r"|\b(?:kept|keeps?|remains?|remained|is|are|was|were)\s+(?:a\s+)?(?:secret|confidential)\b"
    rf"|\b(?:has|have|had|was|were|is|are)\s+(?:{_NOT}|yet\s+to\s+be|still\s+not)\s+(?:yet\s+|so\s+far\s+)?(?:been\s+)?"
    rf"(?:{_PARTICIPLES})\b"
    rf"|\b(?:did|does|do|would|will|could|can)\s*{_NOT}\s+(?:immediately\s+|publicly\s+)?(?:{_TELL})\b"
    rf"|\b(?:declin|refus)\w*\s+to\s+(?:{_TELL})\b"
    r"|\b(?:gave|give|gives|giving|offered|offers?|provided|provides?)\s+no\s+(?:further\s+)?\w+"
    r"|\bwithout\s+(?:giving|providing|offering|disclosing|revealing|specifying|saying|naming)\b"
    rf"|\bno\s+(?:further\s+)?\w+\s+(?:was|were|has\s+been|have\s+been|had\s+been)\s+(?:{_PARTICIPLES})\b"
    rf"|\b(?:has|have)\s+yet\s+to\s+(?:{_TELL}|set|announce)\b", re.I)
# What such a sentence says is not known, by the kind of answer it would have been (rag.understand's
# kinds; "figure" for number, money and percent): "declined to name the buyer" is a who,
# "the terms were not disclosed" a how much, "the specifics remain under wraps" a how.
_ASPECTS = {
    "process": "details detail specifics specific nature method methods means mechanism circumstances manner "
               "extent terms",
    "reason": "why reason reasons motive motives cause causes rationale explanation basis grounds",
    "date": "when date dates timing timetable timeline schedule deadline",
    "person_or_org": "who whom identity identities names source sources buyer buyers bidder bidders seller culprit",
    "place": "where location locations whereabouts site sites venue city cities town towns country countries region "
             "regions",
    "figure": "much many price prices terms amount sum value cost costs fee fees figure figures size number valuation "
              "salary compensation financial pay paid pays paying worth spend spent",
}
ASPECT_OF: dict[str, set[str]] = {}
for _kind, _ws in _ASPECTS.items():
    for _w in _ws.split():
        ASPECT_OF.setdefault(_w, set()).add(_kind)
# "how" asks a manner, "how large"/"how many" a figure and "how soon" a date
HOW_FIGURES = ("much", "many", "large", "big", "long", "far", "high", "old", "heavy", "tall", "fast", "deep", "wide",
               "often", "severe", "serious", "bad")
_HOW = re.compile(rf"\bhow(?:\s+({'|'.join(HOW_FIGURES)}|soon))?\b", re.I)
# "name" is who as a noun ("declined to give names") and as a verb ("declined to name the buyer")
_TELLS_KIND = {"name": "person_or_org", "identify": "person_or_org", "date": "date"}


def withheld(sentence: str) -> tuple[str, frozenset]:
    """How a sentence says that something is not known: "no comment" ("declined to comment", "did not
    respond to requests for comment"), "undisclosed" ("remains under wraps", "has not been disclosed",
    "would not give a figure") or "unknown" ("it is unclear how"), with the kinds of answer it says are
    not known (from its words: "the price" a figure, "when" a date); ("", frozenset()) for neither."""
    for how, pattern in (("no comment", _NO_COMMENT), ("undisclosed", _UNDISCLOSED), ("unknown", _UNKNOWN)):
        m = pattern.search(sentence)
        if m:
            ws = re.findall(r"[a-z]+", sentence.lower())
            kinds = {k for w in ws for k in ASPECT_OF.get(w, ())}
            kinds |= {"process" if not h.group(1) else "date" if h.group(1).lower() == "soon" else "figure"
                      for h in _HOW.finditer(sentence)}
            told = {_TELLS_KIND[w] for w in re.findall(r"[a-z]+", m.group().lower()) if w in _TELLS_KIND}
            if "person_or_org" in told and kinds & {"place", "date", "figure"}:
                told.discard("person_or_org")  # "declined to name the country" withholds a place, not a who
            kinds |= told
            return how, frozenset(kinds)
    return "", frozenset()


# Verbs a question asks about a response with ("how did X respond", "what did X say"): a sentence saying
# X declined to comment answers them.
RESPONSE_VERBS = frozenset("respond react reply answer comment say".split())


# ---------------------------------------------------------------- products

# Common nouns for made things. A name the coverage introduces with one ("large language models, such as
# Tongyi Qianwen", "its chatbot, Ernie", "the Claude series of models") names a product, not who did
# something, however the small NER model labels it. General English; services, platforms and brands are
# left out on purpose (they are as often the companies themselves).
PRODUCT_NOUNS = frozenset("""model models product products chatbot chatbots assistant assistants app apps application
    applications software system systems device devices phone phones smartphone smartphones handset handsets car cars
    vehicle vehicles truck trucks drug drugs vaccine vaccines medicine medicines game games film films movie movies book
    books novel novels album albums song songs tool tools engine engines chip chips processor processors aircraft plane
    planes jet jets drone drones robot robots console consoles laptop laptops tablet tablets camera cameras headset
    headsets satellite satellites rocket rockets browser browsers program programs programme programmes""".split())


# ---------------------------------------------------------------- verbs and the nouns they make

# Irregular nominalisations of general English verbs ("sue" -> "suit"); the regular ones are derived.
_NOMINALS = {"sue": {"suit", "lawsuit"}, "respond": {"response"}, "decide": {"decision"}, "sell": {"sale"},
             "fail": {"failure"}, "die": {"death"}, "grow": {"growth"}, "complain": {"complaint"},
             "deny": {"denial"}, "apply": {"application"}, "choose": {"choice"}, "prove": {"proof"},
             "lose": {"loss"}, "speak": {"speech"}, "analyse": {"analysis"}, "analyze": {"analysis"},
             "succeed": {"success"}, "fly": {"flight"}, "buy": {"purchase"},
             "acquire": {"acquisition"}, "merge": {"merger"}, "testify": {"testimony"}, "investigate": {"probe"},
             "settle": {"settlement"}}


def nominal_of(verb: str, noun: str) -> bool:
    """Whether `noun` (a lemma) names the act of `verb` (a lemma): "filing" of "file", "approval" of
    "approve", "investigation" of "investigate", "lawsuit" of "sue"."""
    if not verb or not noun:
        return False
    if noun == verb or noun in _NOMINALS.get(verb, ()):
        return True
    base = verb[:-1] if verb.endswith("e") else verb
    return noun in {verb + "ing", base + "ing", verb + "ment", base + "ation", base + "ion", verb + "al", base + "al",
                    base + "ance", base + "ence", base + "ure", base + "y"}
