"""How the extractive backend turns chosen sentences into an answer: the reason or steps read on
through their paragraph, and trimming.

Everything here only picks verbatim sentences (or verbatim leading parts of them); the citation
checker still judges every one.
"""
from __future__ import annotations

import re

from ..lexicon import nominal_of
from ..text import content_terms, negations, word_count

# A sentence that leans on the one before it: it continues a reason or a sequence of steps
_CONTINUES = re.compile(r"^(?:[\"“]?)(It|Its|This|That|These|Those|They|Their|He|His|She|Her|Then|"
                        r"The (?:company|move|change|reason|result|council|agency|authority|firm|foundation)|"
                        r"(?:But|And|Also|So|As a result|In addition|Instead|That|Which|Because),?)\b")
# Words that point back to what the sentence before said ("is then divided ... in proportion to those kilometres")
_BACK = re.compile(r"\b(then|those|these|such|this|that way|there)\b", re.I)
CAUSE = _CAUSE = re.compile(r"\b(because|since|due to|as a result|so that|in order to|so|therefore|thus|which meant|"
                    r"means|meant|blam\w*|caus\w*|reflect\w*|after|when|if|until|unless|by)\b", re.I)


def read_on(best, pool: list, text: str | None, doc_of, q_terms: set, max_words: int, process: bool,
            limit: int = 3, define: bool = False) -> list:
    """`best` and the sentences around it in its paragraph that carry the reason or the steps on, in
    article order: the next one or two (a reason is often the sentence after the one that restates
    what is asked: "Estmark said it would not join. Its ministry said the signalling would cost ..."),
    and for steps the one before when `best` leans on it ("The money is then divided ...")."""
    same = sorted((c for c in pool if doc_of(c) == doc_of(best)), key=lambda c: c.start)
    seen, ordered = set(), []
    for c in same:  # passages overlap: one candidate per sentence
        if c.start not in seen:
            seen.add(c.start)
            ordered.append(c)
    i = next((k for k, c in enumerate(ordered) if c.start == best.start), None)
    if i is None:
        return [best]
    out = [best]
    words = word_count(best.shown or best.text)
    anchor_terms = set(best.terms)

    def adjacent(a, b) -> bool:  # b directly follows a in the same paragraph (or continues it across one)
        if text is None or b.start < a.end:
            return False
        gap = text[a.end:b.start]
        if gap.strip():
            return False  # a sentence in between that is no answer (a fragment, a heading)
        return "\n" not in gap or bool(_CONTINUES.match(b.text))

    cur = best
    for c in ordered[i + 1:]:
        if len(out) == limit or not adjacent(cur, c):
            break
        # a short sentence ("Vesper said that was deliberate.") leads into the one after it
        # a definition goes on in the sentence right after it ("An armageddon is a single sudden-death game ...
        # White receives more time but must win"); otherwise a sentence carries on when it is tied to it
        # and a sentence that only restates what is asked ("Ostrel closed its kitchen in June.") is followed
        # by the one that says why ("The lease had run out ...")
        unexplained = not process and not define and len(out) == 1 and not any(_CAUSE.search(x.text) for x in out)
        related = (define and len(out) == 1) or unexplained or _CONTINUES.match(c.text) or _CAUSE.search(c.text) \
            or (set(c.terms) & (q_terms | anchor_terms)) or word_count(cur.text) < 8
        n = word_count(c.text)
        if not related or words + n > max_words:
            break
        out.append(c)
        words += n
        cur = c
    if process and len(out) < limit and i > 0 and _BACK.search(best.text):
        prev = ordered[i - 1]
        if adjacent(prev, best) and words + word_count(prev.text) <= max_words:
            out.insert(0, prev)
    return out


_TAIL = re.compile(r",\s+(?=(?:\w+ing|which|potentially|particularly|often|especially|while|where|aiming|driven)\b)")


def trim(text: str, q_terms: set) -> str:
    """A long sentence loses a trailing clause (", sending ...", ", which ...") that adds none of the
    question's words: shorter answers, and the quote is still verbatim (the clause is a substring)."""
    if word_count(text) <= 30:
        return text
    for m in _TAIL.finditer(text):
        head = text[:m.start()]
        if word_count(head) < 12:
            continue
        if (set(content_terms(text)) & q_terms) <= set(content_terms(head)):
            return head + "."
    return text


# The lead of an answer that only says the coverage does not know (rag.backends.extractive): our own
# wording, shown only with the cited sentence that says so; an eval counts such an answer as declining.
UNDISCLOSED_LEAD = "Not disclosed so far."
UNKNOWN_LEAD = "Not known so far."
UNSAID_LEADS = (UNDISCLOSED_LEAD, UNKNOWN_LEAD)

_FUTURE = {"will", "would", "could", "may", "might", "should", "can", "plans", "expects", "hopes", "wants", "seeks",
           "tries", "threatens", "prospective"}  # prospective: an act named by a noun as to come ("any filings")
_PRONOUNS = {"it", "he", "she", "they", "we", "i", "you", "this", "that", "which", "who"}


def yes_no_lead(asked, sent, question: str, text: str) -> str:
    """What a yes/no question's answer says in plain words, before the sentence that says it: "Yes.",
    "No.", "Not so far." (the question asks whether something has happened; the coverage has it as not
    yet done, or only planned), or for a sentence reporting someone's claim "<Speaker> says no."
    (or "Reportedly not." when the speaker is not named): an attribution is never dropped.

    Read from the stored claims of the cited sentence: the one whose predicate is the question's
    (and whose subject and object do not name something else). Our own fixed wording, never
    corpus text; "" when no claim matches (no lead rather than a guess)."""
    if not getattr(asked, "claim", ()) or sent is None:
        return ""
    pred, subj, obj, _ = asked.claim
    head = pred.split()[0]
    perfect = bool(re.match(r"\s*(?:has|have|hasn['’]t|haven['’]t)\b", question, re.I))
    for p, su, o, neg, src, mod in sent.claims:
        # an act named by its noun counts too: "filings" for "file", "a lawsuit" for "sue" or "filed a lawsuit"
        nominal = mod == "prospective" and head not in ("be", "have", "do", "say") and (nominal_of(head, p) or p == obj)
        if not (p == pred or (p.split()[0] == head and head not in ("be", "have", "do", "say")) or nominal):
            continue
        if subj and subj not in _PRONOUNS and not (su in _PRONOUNS or (su and _same(subj, su))):
            continue  # someone else did it, or the sentence does not say who: not a plain yes or no
        if obj and o and o not in _PRONOUNS and not _same(obj, o):
            continue
        if mod in _FUTURE and not neg:
            if not perfect:
                continue  # "will pay" answers neither "did it pay?" nor "does it pay?"
            word = "not so far"
        elif neg:
            word = "not so far" if perfect else "no"
        elif negations(text):
            return ""  # "found no copied code": a negation the claim does not carry; no guess
        else:
            word = "yes"
        if src and src != "unnamed":
            who = _verbatim(src, text)
            if who:
                return f"{who} says {'no' if word != 'yes' else 'yes'}."
            return "Reportedly not." if word != "yes" else "Reportedly, yes."
        if src:
            return "Reportedly not." if word != "yes" else "Reportedly, yes."
        return word[0].upper() + word[1:] + "."
    return ""


def _same(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    return a == b or a.split()[-1] == b.split()[-1]


def _verbatim(name: str, text: str) -> str:
    """The speaker as the sentence writes it, when it is a name (capitalised): "Carrow", "Nadia Roos"."""
    m = re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.I)
    if m is None or not m.group()[:1].isupper():
        return ""
    return m.group()
