"""Claim against claim: who did what to whom, who asserts it, with what stance and modality.

A sentence's claim is compared only with the passage claim it aligns with (same predicate or the same
participants); a contradiction is reported only against that claim.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from .. import lexicon, nlp
from ..text import stem
from .align import ARG_SYNONYM, SYNONYM, Sims

_PRONOUNS = {"it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "we", "us", "our", "i", "you",
             "which", "who", "that", "this", "these", "those", "one", "company", "firm", "group"}
_DESCRIPTIONS = {"company", "firm", "group"}  # in _PRONOUNS: they stand for a name the sentence may give
_PLAN_LIKE = {"plan", "expect"}
# Sources that are the outlet itself: its own narration is the narrator's.
_NARRATOR = {"article", "author", "writer", "piece", "story", "column", "columnist", "analysis", "editorial",
             "commentary", "essay", "report", "newspaper", "outlet"}
# Stances grouped by what they commit the source to; a sentence may report a stance as the same group
# or as a weaker reporting verb ("confirmed" may be retold as "said", not the reverse).
_STANCE_OK = {
    "assert": {"assert", "allege", "confirm", "admit", "warn", "believe"},
    "allege": {"assert", "allege", "confirm", "warn", "believe"},
    "confirm": {"confirm"},
    "admit": {"admit", "confirm"},
    "deny": {"deny"},
    "plan": {"plan"},
    "expect": {"expect", "plan", "believe"},
    "believe": {"believe", "expect", "assert", "allege"},
    "warn": {"warn", "assert", "allege"},
}
# Modality families: a sentence may hedge (may/could) what the passage says, or retell a future as a plan,
# but not turn a plan or a possibility into a fact or a future ("plans to" is not "did", "may" is not "will").
_FUTURE = {"will", "would", "shall"}
_INTENT = {"plans", "expects", "intends", "aims", "hopes", "wants", "seeks", "tries", "threatens"}
_POSSIBLE = {"may", "might", "could", "can"}
_DEONTIC = {"should", "must"}


def claims_check(s: nlp.Analysis, p: nlp.Analysis, sims: "Sims", disputed: Callable[[], bool] | None = None):
    """(True, "ok", "", matched, sourced) when some sentence claim matches a passage claim and none contradicts
    one (`matched`: the sentence's claims that did, `sourced`: those that kept the passage claim's source);
    (False, kind, reason) on a contradiction; None when no claim could be matched either way.
    `disputed()`: whether the wider text disputes a claim (asked only when it matters: it parses that text)."""
    matched = False
    ok_claims = set()  # the sentence's claims (as analysed) that matched one of the passage's
    sourced = set()  # ... and kept its source: both the narrator's, or both someone's (not an own act retold)
    s_claims, p_claims = _narrated(s.claims), _narrated(p.claims)
    committed = _committed(s, s_claims) | _committed(p, p_claims)
    known: list[bool] = []

    def is_disputed() -> bool:
        if not known:
            known.append(contested(p) or bool(disputed and disputed()))
        return known[0]
    hedged = _dropped_hedge(s, p)
    if hedged:
        return False, "attribution", hedged
    for original, sc in zip(s.claims, s_claims):
        if not sc.predicate:
            continue
        if sc.cue and sc.predicate == sc.cue:  # "X denied the charge": what X did, about what the passage says
            for pc in p_claims:
                if pc.cue == sc.cue and pc.predicate == pc.cue and _same(sc.object, pc.object, sims) is False and \
                        _same(sc.object, pc.subject, sims) and _same(sc.subject, pc.object, sims):
                    return False, "role_swap", (f"roles swapped: in the passage {pc.subject} {pc.cue}s "
                                                f"{pc.object}, not the other way round")
            same = [pc for pc in p_claims if pc.source and _same(sc.source, pc.source, sims)]
            if same and not any(_stance(pc)[0] in _STANCE_OK.get(_stance(sc)[0], {sc.stance}) for pc in same):
                pc = same[0]
                return False, "stance", (f"stance changed: the passage's {pc.source} {_verb(_stance(pc)[0])} it, "
                                         f"the sentence says {_verb(_stance(sc)[0])}")
            matched = matched or bool(same)
            if same:
                ok_claims.add(original)
                sourced.add(original)
            continue
        cands = []
        for pc in p_claims:
            if not pc.predicate or (pc.cue and pc.predicate == pc.cue):
                continue
            pred = sims.same_word(sc.predicate.split()[0], pc.predicate.split()[0], SYNONYM) or _cue_match(sc, pc)
            subj, obj = _same(sc.subject, pc.subject, sims), _same(sc.object, pc.object, sims)
            crossed = _same(sc.subject, pc.object, sims) or _same(sc.object, pc.subject, sims) or \
                _same(sc.subject, pc.source, sims) or _same(sc.source, pc.subject, sims)
            if not ((pred and (subj or obj or crossed or (subj is None and obj is None))) or (subj and obj)):
                continue
            problems = _compare(sc, pc, sims, is_disputed, committed)
            # the claim with the same predicate first: who did what is compared on one act, and another
            # claim with the same participants ("replacing Tom Ferris") does not excuse a swap in it
            score = (bool(pred), not problems, bool(subj) + bool(obj) + 2 * bool(_same(sc.source, pc.source, sims)))
            cands.append((score, problems, pc))
        if not cands:
            continue
        best = max(cands, key=lambda c: c[0])
        if best[1]:
            kind, why = best[1][0]
            return False, kind, why
        matched = True
        ok_claims.add(original)
        if bool(sc.source) == bool(best[2].source):
            sourced.add(original)
    return (True, "ok", "", ok_claims, sourced) if matched else None


def _dropped_hedge(s: nlp.Analysis, p: nlp.Analysis) -> str:
    """"The alleged access by X" retold as "the access by X" (or "X accessed"): the hedge is part of the claim."""
    if any(t.text.lower() in nlp.HEDGES for t in s.tokens) or any(c.source for c in s.claims):
        return ""
    for i, t in enumerate(p.tokens):
        if t.text.lower() in nlp.HEDGES and t.dep in ("amod", "advmod") and t.head != i:
            head = p.tokens[t.head]
            if any(u.lemma == head.lemma for u in s.tokens):
                return f"stated as fact, but the passage calls it {t.text} {head.text}"
    return ""


def _narrated(claims) -> list[nlp.Claim]:
    """Claims with "the article argues" / "the author says" given to the narrator, whose voice they are."""
    return [dataclasses.replace(c, source="", cue="", stance="assert") if c.source.split()[-1:] and
            c.source.split()[-1] in _NARRATOR else c for c in claims]


# Verbs that commit their subject to an act ("agreed to hear", "voted to raise"): the act is as certain as a "will".
# "refused to hear" is decided too: compared with "agreed to hear" as the same modality, and as opposites.
_COMMIT = {"agree", "decide", "vote", "pledge", "promise", "vow", "commit", "resolve", "undertake", "refuse", "decline"}


def _committed(a: nlp.Analysis, claims: list[nlp.Claim]) -> set[nlp.Claim]:
    """The claims whose act is committed to ("the court agreed to hear the appeal")."""
    acts = set()
    for t in a.tokens:
        if t.dep == "xcomp" and a.tokens[t.head].lemma in _COMMIT and t.pos in ("VERB", "AUX"):
            acts.add((t.lemma, next((s for s, e in a.sentences if s <= t.start < e), -1)))
    return {c for c in claims if not c.modality and (c.predicate.split()[:1] or [""])[0] and
            (c.predicate.split()[0], c.start) in acts}


def _same_source(a: str, b: str, sims: "Sims") -> bool:
    """Two speakers may be one: equal or aliased names, or a description ("the club", "the developer") for a
    name, unless the passage itself gives that description a say of its own ("analysts said ...")."""
    same = _same(a, b, sims)
    if same is not None:
        if same or (sims.is_name(a) and sims.is_name(b)):
            return bool(same)
        described = b if sims.is_name(a) else a if sims.is_name(b) else ""
        return bool(described) and described not in sims.speakers
    return True


def _cue_match(sc: nlp.Claim, pc: nlp.Claim) -> bool:
    """A claim retold through its cue ("a charge X denied" / "X rejects it") has the predicate of what it refers to;
    a plain "said" is no such cue (two claims someone said are not one claim)."""
    return bool(sc.cue and sc.cue == pc.cue and sc.cue not in _NEUTRAL_CUES)


# Reporting verbs that only pass on what the speaker did ("announced", "said"), not a judgement ("claimed").
_NEUTRAL_CUES = {"say", "announce", "report", "state", "tell", "add", "note", "disclose", "reveal", "confirm"}


def own_act(pc: nlp.Claim, sims: "Sims", contested: "bool | Callable[[], bool]") -> bool:
    """The speaker reports its own act ("the league said it had fined the Hawks", "Brightwater agreed to buy
    Solvane, the companies announced"): a plain reporting verb, the speaker (or a pronoun for it) as the
    actor, no hedge or modality, and nobody in the passage denying or disputing it. Such a claim may be
    retold as fact; a claim about another party, a product's powers or a cause keeps its source."""
    if pc.cue not in _NEUTRAL_CUES or pc.modality or pc.negated or pc.source in ("", "unnamed"):
        return False
    if contested() if callable(contested) else contested:
        return False
    if pc.subject in _PRONOUNS and pc.subject not in _DESCRIPTIONS:
        return pc.subject in ("it", "they", "we", "he", "she")  # not "who", "which": they stand for someone else
    # the actor named and the speaker described ("Orsolya agreed to sell ..., the companies said"), not the
    # reverse: a common noun as the actor ("no material had left") is not the speaker
    same = _same(pc.subject, pc.source, sims)
    return bool(same) or (sims.is_name(pc.subject) and not sims.is_name(pc.source))


def reports_claim(text: str) -> bool:
    """The text gives someone's claim (a reporting verb with a clause, "according to", a hedge), not only
    the narrator's account of an act ("X reported a loss", "Y announced its results")."""
    a = nlp.analyze(text)
    if any((c.source or c.cue) and c.predicate and c.predicate != c.cue for c in _narrated(a.claims)):
        return True
    # a reporting verb the parse made no claim of: a report, unless it has a noun as its object
    return any(t.lemma in nlp.STANCE and t.pos == "VERB" and not any(u.head == i and u.dep == "dobj" for u in a.tokens)
               for i, t in enumerate(a.tokens))


def contested(p: nlp.Analysis) -> bool:
    """Someone in the passage denies, disputes or rejects a claim, or it is said to be unverified."""
    return any(c.stance in ("deny", "not_assert", "not_confirm") or (c.predicate.startswith("verify") and c.negated)
               for c in p.claims)


def _compare(sc: nlp.Claim, pc: nlp.Claim, sims: "Sims", contested: "bool | Callable[[], bool]" = False,
             committed: set = frozenset()) -> list[tuple[str, str]]:
    out = []
    who = lambda x: x or "the narrator"  # noqa: E731
    for role, mine in (("subject", sc.subject), ("object", sc.object)):
        theirs = getattr(pc, role)
        if mine and theirs and _same(mine, theirs, sims) is False:
            if nlp.entity_relation(mine, theirs) == "narrower":
                out.append(("entity", f"{mine!r} is narrower than the passage's {theirs!r}"))
                continue
            for other_role, other in (("subject", pc.subject), ("object", pc.object), ("source", pc.source)):
                if other_role != role and other and _same(mine, other, sims):
                    out.append(("role_swap", f"roles swapped: the passage has {mine!r} as the {other_role} of "
                                             f"{pc.predicate!r}, the sentence as its {role}"))
                    break
            else:
                if sims.is_name(mine) and sims.is_name(theirs):
                    out.append(("role_swap", f"the {role} of {pc.predicate!r} is {theirs!r} in the passage, "
                                             f"{mine!r} in the sentence"))
    plan_like = sc.stance in _PLAN_LIKE or pc.stance in _PLAN_LIKE
    # The passage states it as fact and the sentence has its own actor report it ("X admitted to Y" for
    # "X pleaded guilty to Y") or hedges it ("was acknowledged as"): no source is changed or lost.
    # A relative clause inside what a speaker admits or says ("... the death of an American who fell from a
    # cliff") describes someone; what the passage's narrator says of them stays the narrator's.
    self_report = not pc.source and sc.source and (sc.source == "unnamed" or _same(sc.source, sc.subject, sims)
                                                   or (sc.subject or sc.object) in ("who", "which", "that"))
    if not (sc.source or sc.cue) and pc.cue and not pc.source and not plan_like:
        # the passage's claim has a cue whose speaker the parse lost ("A councilwoman, X, alleged that ..."):
        # still someone's claim, not the narrator's
        out.append(("attribution", f"stated as fact, but the passage reports it as a claim ({pc.cue})"))
    elif plan_like and not (sc.source and pc.source and _same(sc.source, pc.source, sims) is False):
        pass  # "X plans to Y" retold as "X will Y", "aiming to": a question of modality, compared below
    elif sc.source != pc.source and not (sc.source and pc.source and _same_source(sc.source, pc.source, sims)):
        if not sc.source and pc.source and own_act(pc, sims, contested):
            pass  # "Brightwater agreed to buy Solvane, the companies announced": the speaker's own act, uncontested
        elif not sc.source and pc.source:
            out.append(("attribution", f"stated as fact, but the passage attributes it to {pc.source} "
                                       f"({pc.cue or pc.stance})"))
        elif sc.source == "unnamed" or self_report:
            pass  # "allegedly": the sentence hedges what the passage attributes
        elif _same(sc.source, pc.subject, sims) or _same(sc.source, pc.object, sims):
            out.append(("role_swap", f"roles swapped: the passage has {sc.source!r} in the claim and "
                                     f"{who(pc.source)!r} asserting it"))
        else:
            out.append(("attribution", f"attributed to {sc.source}, but the passage's source is {who(pc.source)}"))
    ss, sn = _stance(sc)
    ps, pn = _stance(pc)
    if plan_like or (self_report and ss in _STANCE_OK["assert"]):
        ss = ps
    if ss.removeprefix("not_") != ss or ps.removeprefix("not_") != ps:
        if ss != ps:
            out.append(("stance", f"the passage's {pc.source or 'narrator'} {ps.replace('_', ' ')}s it; "
                                  f"the sentence says {ss.replace('_', ' ')}"))
    elif ps not in _STANCE_OK.get(ss, {ss}):
        out.append(("stance", f"stance changed: the passage's {who(pc.source)} {_verb(ps)} it, "
                              f"the sentence says {_verb(ss)}"))
    if sn != pn:
        out.append(("negations", f"negation changed: the passage {'denies' if pn else 'affirms'} {pc.predicate!r}"))
    # an act agreed to is as certain as a "will" ("agreed to hear" = "will hear"), not as one done
    mine = sc.modality or (("will" if pc.modality in _FUTURE else "agrees") if sc in committed else "")
    theirs = pc.modality or (("will" if sc.modality in _FUTURE else "agrees") if pc in committed else "")
    if not _modality_ok(mine, theirs):
        out.append(("modality", f"modality changed: the passage says {theirs or 'it happened'!r}, "
                                f"the sentence {mine or 'that it happened'!r}"))
    return out


def _stance(c: nlp.Claim) -> tuple[str, bool]:
    """Stance and negation with "said it did not" folded into "denied"."""
    if c.stance == "assert" and c.negated and c.source:
        return "deny", False
    if c.stance == "deny" and c.negated:
        return "assert", False
    return c.stance, c.negated


def _verb(stance: str) -> str:
    return {"assert": "says", "allege": "alleges", "deny": "denies", "admit": "admits", "confirm": "confirms",
            "plan": "plans", "expect": "expects", "believe": "believes", "warn": "warns"}.get(stance, stance)


def _modality_ok(mine: str, theirs: str) -> bool:
    if mine == theirs or (mine in _POSSIBLE and theirs not in _DEONTIC):
        return True
    if mine in _FUTURE:
        return theirs in _FUTURE
    if mine in _INTENT:
        return theirs in _INTENT | _FUTURE
    return False


def _same(a: str, b: str, sims: "Sims"):
    """True/False when two claim arguments name the same thing or not; None when one is unknown (empty, a pronoun)."""
    if not a or not b or a in _PRONOUNS or b in _PRONOUNS or a == "unnamed" or b == "unnamed":
        return None
    if a == b:
        return True
    rel = nlp.entity_relation(a, b)
    if rel in ("same", "broader"):
        return True
    if rel == "narrower":
        return False
    ha, hb = a.split()[-1], b.split()[-1]
    if ha == hb or stem(ha) == stem(hb):
        return True
    ca, cb = lexicon.country_of(ha), lexicon.country_of(hb)
    if ca and ca == cb:
        return True
    if a in b.split() or b in a.split():
        return True
    return sims.same_word(ha, hb, ARG_SYNONYM)

