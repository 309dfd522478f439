"""Facts a sentence may not change: numbers and amounts (normalised), names (aliases allowed), negations."""
from __future__ import annotations

import re

from .. import lexicon, nlp
from ..text import hard_facts


def missing_names(sentence: str, passage: str, s: nlp.Analysis | None = None, p: nlp.Analysis | None = None) -> list[str]:
    """The sentence's names (capitalised words) the passage does not support, under the one alias rule:
    the same word, corporate-form words ("Alibaba Group" = "Alibaba"), a country for its demonym ("U.K." =
    "British"), an acronym spelled by the passage's words ("IP" = intellectual property), a sentence-initial
    word the tagger reads as a common word ("Building such models ..."). Any other name is new."""
    ev_lower = passage.lower().replace("’", "'")
    ev_countries = {lexicon.country_of(w) for w in re.findall(r"[\w.']+", passage)} - {""}
    left = [n for n in hard_facts(sentence)["names"] - nlp.CORPORATE
            if not re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", ev_lower) and lexicon.country_of(n) not in ev_countries]
    if not left:
        return []  # the common case, with no parse of the passage (a few ms each)
    s = s or nlp.analyze(sentence)
    p = p or nlp.analyze(passage)
    return sorted(n for n in left if not _not_a_name(n, s) and not _acronym_of(n, p))


def hard_facts_check(sentence, passage, s, p, aligned, whole: str = ""):
    """The first hard fact the sentence changes, as (kind, reason), or None. Names are looked up in
    `whole` (everything quoted) when given: a sentence may run over a heading `locate` left out."""
    facts, ev = hard_facts(sentence), hard_facts(passage)
    nums = facts["numbers"] - ev["numbers"]
    if nums:
        for q in s.quantities:  # "$2.5 billion" for "$2.5bn", "a fifth" for "20%", "280 of 1,400" for "20% of 1,400"
            if _amount_supported(q, p.quantities):
                nums -= {n for n in nums if n in q.text.lower().replace(",", "")} | set(
                    re.findall(r"\b[a-z]+\b", q.text.lower()))
        if nums:
            return "numbers", f"numbers not in the passage: {', '.join(sorted(nums)[:3])}"
    for q in s.quantities:
        if re.search(r"\d", q.text) and not _amount_supported(q, p.quantities):
            return "numbers", f"the amount {q.text!r} is not in the passage"
    missing = missing_names(sentence, whole, s) if whole and whole != passage else missing_names(sentence, passage, s, p)
    if missing:
        return "names", f"names not in the passage: {', '.join(missing[:3])}"
    neg = facts["negations"] - ev["negations"]
    if neg and aligned:  # "did not" retold as "denied" (or back) is fine once the claims align
        neg -= {"not", "n't", "denied", "denies", "deny", "never"}
    if neg and ev["negations"] - {"denied", "denies", "deny"}:
        # one negator for another ("though not their passwords" for "but no passwords"): a polarity, compared
        # per claim by the claim check and counted by the gate (citations.support), not a word to copy
        neg -= {"not", "n't", "no", "never", "none", "nothing", "neither", "nor", "nobody"}
    if neg:
        return "negations", f"negations not in the passage: {', '.join(sorted(neg))}"
    return None


def _amount_supported(q: nlp.Quantity, theirs) -> bool:
    """The amount is one of the passage's, or exactly follows from two of them (a share of a total,
    a part of a whole): "35% of the $400 million" for "$140 million of the $400 million"."""
    if any(_same_amount(q, r) for r in theirs):
        return True
    if q.unit.startswith("of "):
        share = nlp.Quantity(q.text, q.start, q.end, 100 * q.value / max(float(q.unit[3:]), 1.0), "%")
        if any(_same_amount(share, r) for r in theirs):
            return True
    amounts = [r for r in theirs if r.unit != "%" and r.value]
    shares = [r.value for r in theirs if r.unit == "%"] + [100 * r.value / float(r.unit[3:]) for r in theirs
                                                          if r.unit.startswith("of ") and r.unit[3:] != "0"]
    if q.unit == "%":
        return any(_close(q.value, 100 * a.value / b.value) for a in amounts for b in amounts if a is not b)
    return any(_close(q.value, pct * b.value / 100) for pct in shares for b in amounts)


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-6 * max(abs(x), abs(y), 1.0)


def _same_amount(q: nlp.Quantity, r: nlp.Quantity) -> bool:
    if not _close(q.value, r.value):
        return False
    # only typed units can disagree: 30% is not $30; "1,200 positions" and "1,200 jobs" are one count
    typed = lambda u: u == "%" or u.isupper()  # noqa: E731
    return q.unit == r.unit or not (typed(q.unit) and typed(r.unit))


def _not_a_name(word: str, s: nlp.Analysis) -> bool:
    """A capitalised word the tagger reads as a common word ("Building such models...", "Competition often...")
    at the start of a sentence is not a name."""
    starts = {a for a, _ in s.sentences}
    toks = s.tokens
    # ...unless the next word is capitalised too: then it opens a multi-word name the tagger misread
    # ("Tencent Cloud builds ...": "Tencent" tagged NOUN).
    # An all-capitals word is not capitalised by its position ("CALDER who ..."): it stays a name.
    return any(t.start in starts and t.text.lower() == word and t.pos not in ("PROPN",) and not t.ent
               and not (len(t.text) > 1 and t.text.isupper())
               and not (i + 1 < len(toks) and toks[i + 1].text[:1].isupper())
               for i, t in enumerate(toks))


def _acronym_of(word: str, p: nlp.Analysis) -> bool:
    """An acronym spelled by the initials of consecutive passage words ("IP" = intellectual property,
    "VCs" = venture capital(ists), "CEO" = chief executive (officer))."""
    w = word.lower().rstrip("s") if len(word) > 2 and word.endswith("s") else word.lower()
    if not (2 <= len(w) <= 5 and w.isalpha()):
        return False
    words = [t.text.lower() for t in p.tokens if t.text[:1].isalpha()]
    initials = "".join(x[0] for x in words)
    return w in initials and any(initials[i:i + len(w)] == w and all(len(x) > 2 for x in words[i:i + len(w)])
                                 for i in range(len(words))) or (w.endswith("o") and len(w) == 3 and w[:2] in initials
                                                                 and words[initials.find(w[:2])] == "chief")

