"""General English word knowledge the attribution check leans on (none of it drawn from any test set).

- ANTONYMS: common opposite pairs; a sentence word whose opposite is in the passage (and it is not)
  contradicts the passage, however similar the two words' embeddings are (they usually are).
- CLOSED_CLASSES: small closed sets whose members are not interchangeable (colours, ordinals, compass
  points, units of time, family roles): a member the passage does not state is an invented detail,
  as a number is.
- COUNTRIES: a country's names and demonyms, so "U.K. activists" is supported by "British activists".
"""
from __future__ import annotations

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
