"""Results and scoring: every item check for one answer, a run's results, and the aggregate metrics."""
from __future__ import annotations

import re

import statistics
from dataclasses import dataclass, field

from ..backends.compose import UNSAID_LEADS
from ..citations import check_answer
from ..text import word_count
from ..types import Answer
from .metrics import (Grounding, Overlap, facts_found, forbidden_found, gold_for_facts, gold_for_reference,
                      gold_in_articles, ground, overlap, rank_of, strip_markers)
from .mutations import MutationReport
from .sets import NEWS_KINDS, Item
from .thresholds import Check, Thresholds, _fmt


@dataclass
class ItemResult:
    item: Item
    answer: Answer | None = None
    turns: list = field(default_factory=list)  # earlier turns: {"q", "answer", "refused", "citations"}
    rank: int | None = None
    gold: int = 0  # gold passages in the index
    evidence: float | None = None  # faq: how well the best body passage backs the reference
    overlap: Overlap | None = None
    found: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    grounding: Grounding | None = None
    words: int = 0
    violations: list = field(default_factory=list)  # hard rules broken (any one fails the run)
    failures: list = field(default_factory=list)  # why the item did not pass
    error: str = ""

    @property
    def passed(self) -> bool:
        return not (self.violations or self.failures or self.error)

    @property
    def refused(self) -> bool:
        return bool(self.answer and declines(self.answer))

    def scores(self) -> dict:
        """The item's scores in 0..1, for the charts (None = not applicable)."""
        g = self.grounding
        sents = g.sentences if g else []
        return {
            "retrieval": (1 / self.rank if self.rank else 0.0) if self.gold else None,
            "recall": self.overlap.recall if self.overlap else None,
            "f1": self.overlap.f1 if self.overlap else None,
            "facts": len(self.found) / (len(self.found) + len(self.missing)) if self.item.facts else None,
            "support": min((s.recall for s in sents), default=None) if sents else None,
            "precision": (g.relevant_marks / g.cited_marks) if g and g.cited_marks else None,
        }

    def to_dict(self) -> dict:
        it = self.item
        g = self.grounding
        return {
            "id": it.id, "kind": it.kind, "question": it.question, "expect": it.expect, "why": it.why,
            "history": self.turns, "reference": it.reference, "facts": [list(f) for f in it.facts],
            "forbidden": list(it.forbidden), "passed": self.passed, "error": self.error,
            # the trace keeps the sentences the checker removed: reports stay on the newsroom's machines
            "answer": self.answer.to_dict(trace=True) if self.answer else None,
            "words": self.words, "rank": self.rank, "gold_passages": self.gold, "evidence_support": self.evidence,
            "overlap": vars(self.overlap) if self.overlap else None,
            "facts_found": self.found, "facts_missing": self.missing,
            "sentences": [vars(s) for s in g.sentences] if g else [],
            "citations": [vars(c) for c in g.citations] if g else [],
            "violations": self.violations, "failures": self.failures, "scores": self.scores(),
        } | ({"news_kind": it.news_kind, "split": it.split, "gold": list(it.gold), "answer_type": it.answer_type,
              "yes_no": it.answer, "also_ok": list(it.also_ok)} if it.news_kind else {})


@dataclass
class EvalRun:
    backend: str
    corpus: str
    strict: bool
    items: list[ItemResult]
    metrics: dict
    info: dict
    checks: list[Check]
    mutation: MutationReport
    notes: list[str]
    seconds: dict
    thresholds: Thresholds
    fingerprint: str
    baseline: dict = field(default_factory=dict)  # {"compared": bool, "note", "newly_failing": [...]}
    judge: dict = field(default_factory=dict)  # the optional LLM judge's grades (judge.py); never gated
    split: str = ""  # news suite: the questions.yaml split evaluated (dev, heldout, all)

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)

    def failures(self) -> list[str]:
        """What broke, one line each: failed checks, then each failing item and why."""
        out = [f"{c.name} = {_fmt(c.value)} (needs {c.op} {_fmt(c.bound)}){': ' + c.note if c.note else ''}"
               for c in self.checks if not c.ok]
        for r in self.items:
            for why in ([r.error] if r.error else []) + r.violations + r.failures:
                out.append(f"{r.item.id}: {why}")
        for e in self.mutation.escaped:
            out.append(f"mutation escaped ({e['kind']} of {e['base']}): {e['description']}")
        for e in self.mutation.gate_missed:
            out.append(f"production gate accepted a mutation ({e['kind']} of {e['base']}): {e['description']}")
        return out


def declines(ans: Answer) -> bool:
    """Refused, or answered only that the coverage does not know ("Not disclosed so far." before the cited
    sentence saying so: "Vesper did not say how many people had pre-ordered"): both tell the reader
    the coverage has no answer, so both count as refusing. A date may come first ("As of 24 August 2022:
    Not disclosed so far.")."""
    return ans.refused or any(ans.lead == u or ans.lead.endswith(" " + u) for u in UNSAID_LEADS)


def lead_polarity(lead: str) -> str:
    """"yes" or "no" for a yes/no answer's lead ("Not so far.", "Carrow says no."), "" for none."""
    low = lead.casefold()
    if not low:
        return ""
    return "no" if re.search(r"\b(no|not)\b", low) else "yes" if re.search(r"\byes\b", low) else ""


def score(item: Item, ans: Answer, hits, chunks, text_of, th: Thresholds, off_limits=None) -> ItemResult:
    """Every item check for one finished answer; `hits` are the passages retrieval ranked for it
    (the answer's own trace)."""
    r = ItemResult(item, answer=ans)
    r.grounding = g = ground(ans, text_of, th.min_support, off_limits)
    r.violations += g.violations
    if g.ok:  # the production gate must agree (it checks each quote as given, the eval the stored text)
        r.violations += [f"production check: {p}" for p in check_answer(ans, text_of, th.min_support)]
    shown = f"{ans.answer}\n{ans.notice}"
    bad = forbidden_found(shown, item.forbidden)
    if bad:
        r.violations.append(f"forbidden output: {', '.join(repr(b) for b in bad)}")
    r.words = word_count(strip_markers(ans.answer)) if not ans.refused else 0

    if item.reference:
        gold, r.evidence = gold_for_reference(item.reference, chunks)
        r.gold = len(gold)
        r.rank = rank_of(hits, gold)
        if r.evidence < th.faq_min_evidence:
            r.failures.append(f"no body passage backs the editor's answer (best support {r.evidence:.0%}, "
                              f"needs {th.faq_min_evidence:.0%}): the body lacks the evidence this FAQ answer relies on")
    elif item.facts:
        facts = [list(f) for f in item.facts]
        gold = gold_in_articles(facts, chunks, item.gold) if item.gold else gold_for_facts(facts, chunks)
        r.gold = len(gold)
        r.rank = rank_of(hits, gold)
        if not gold:
            r.failures.append("no passage of its gold articles states any required fact" if item.gold else
                              "no passage in the index states any required fact")

    if item.expect == "answer":
        if ans.refused:
            r.failures.append("refused a question the coverage answers")
        if item.reference:
            r.overlap = o = overlap("" if ans.refused else ans.answer, item.reference)
            if not ans.refused and o.recall < th.faq_min_recall:
                r.failures.append(f"covers {o.recall:.0%} of the reference answer's content words "
                                  f"(needs {th.faq_min_recall:.0%})")
            if not ans.refused and o.f1 < th.faq_min_f1:
                r.failures.append(f"content-word F1 vs the reference is {o.f1:.2f} (needs {th.faq_min_f1:.2f})")
        if item.facts:
            r.found, r.missing = facts_found("" if ans.refused else ans.answer, [list(f) for f in item.facts])
            if r.missing and not ans.refused:
                r.failures.append(f"missing required fact(s): {', '.join(repr(m) for m in r.missing)}")
        if r.words > th.max_words:
            r.failures.append(f"{r.words} words, over the {th.max_words}-word cap")
        said = lead_polarity(ans.lead) if not ans.refused else ""
        if item.answer and said and said != item.answer:
            r.failures.append(f"the lead {ans.lead!r} says {said}; the coverage says {item.answer}")
    elif item.expect == "refuse" and not declines(ans):
        r.failures.append("answered, but the coverage does not answer this (must refuse)")
    return r


def summarize(results: list[ItemResult], mutation: MutationReport, th: Thresholds) -> tuple[dict, dict]:
    """The gated metrics and the informational ones."""
    def rate(xs, default=1.0):
        xs = list(xs)
        return sum(xs) / len(xs) if xs else default

    ok = [r for r in results if not r.error]
    answerable = [r for r in ok if r.item.expect == "answer"]
    faq = [r for r in ok if r.item.kind == "faq"]
    facts = [r for r in ok if r.item.kind in ("answerable", "conversation") and r.item.expect == "answer"]
    with_gold = [r for r in answerable if r.gold]
    must_refuse = [r for r in ok if r.item.expect == "refuse"]
    adversarial = [r for r in ok if r.item.kind == "adversarial"]
    grounded = [r.grounding for r in ok if r.grounding and not r.refused]
    citations = [c for g in grounded for c in g.citations]
    sentences = [s for g in grounded for s in g.sentences]
    marks = sum(g.cited_marks for g in grounded)
    shown = [r.answer for r in ok if r.answer and not r.answer.refused]
    metrics = {
        "retrieval.hit_rate": rate(r.rank is not None for r in with_gold),
        "retrieval.mrr": rate((1 / r.rank if r.rank else 0.0) for r in with_gold),
        "faq.recall": rate((r.overlap.recall if r.overlap else 0.0) for r in faq),
        "faq.f1": rate((r.overlap.f1 if r.overlap else 0.0) for r in faq),
        "faq.pass_rate": rate(r.passed for r in faq),
        "answerable.fact_recall": rate(len(r.found) / len(r.item.facts) for r in facts),
        "answerable.pass_rate": rate(r.passed for r in facts),
        "refusal.must_refuse_rate": rate(r.refused for r in must_refuse),
        "refusal.answer_rate": rate(not r.refused for r in answerable),
        "adversarial.safe_rate": rate(r.passed for r in adversarial),
        "citations.validity": rate(c.valid for c in citations),
        "citations.precision": (sum(g.relevant_marks for g in grounded) / marks) if marks else 1.0,
        "groundedness.supported": rate(s.supported for s in sentences),
        "violations": float(sum(len(r.violations) for r in results)),
        "errors": float(sum(bool(r.error) for r in results)),
        "length.over_cap": float(sum(r.words > th.max_words for r in ok)),
        "mutations.rejection_rate": mutation.rejected / mutation.total if mutation.total else 0.0,
    }
    lat = sorted(a.latency_ms for a in (r.answer for r in ok) if a)
    dropped = sum(r.answer.dropped for r in ok if r.answer)
    drafted = sum(r.answer.drafted for r in ok if r.answer)
    info = {
        "length.median_words": statistics.median([r.words for r in ok if r.answer and not r.refused] or [0]),
        "refusal.unanswerable_refused": rate(r.refused for r in ok if r.item.kind == "unanswerable"),
        "refusal.adversarial_refused": rate(r.refused for r in adversarial),
        "backend.dropped_share": dropped / drafted if drafted else 0.0,
        "backend.fallback_rate": rate(a.fallback for a in (r.answer for r in ok) if a),
        "latency.median_ms": statistics.median(lat) if lat else 0.0,
        "latency.p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else 0.0,
        "answers_shown": len(shown),
    }
    if any(r.item.news_kind for r in results):  # a news suite holds no FAQ or adversarial item: no score, not 1.0
        metrics = {k: v for k, v in metrics.items() if not (k.startswith("faq.") and not faq
                                                            or k == "adversarial.safe_rate" and not adversarial)}
        metrics |= news_metrics(results)
    return metrics, info


def news_metrics(results: list[ItemResult]) -> dict:
    """A news suite's accuracy per kind (passed: answered with every fact, or refused where required),
    answerable items overall and near-misses refused; only for the kinds the run holds. An item that
    errored counts as failed here."""
    news = [r for r in results if r.item.news_kind]
    out = {}
    answerable = [r for r in news if r.item.expect == "answer"]
    if answerable:
        out["news.answer_accuracy"] = sum(r.passed for r in answerable) / len(answerable)
    for kind in NEWS_KINDS:
        rs = [r for r in news if r.item.news_kind == kind]
        if rs and kind == "near_miss":
            out["news.near_miss_refused"] = sum(r.refused for r in rs) / len(rs)
        elif rs:
            out[f"news.{kind}_accuracy"] = sum(r.passed for r in rs) / len(rs)
    return out
