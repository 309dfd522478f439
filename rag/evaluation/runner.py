"""`rag eval`: build a fresh store from a corpus, ask every item through `Explainer.ask`, score, gate.

The run fails (exit 1) on any hard-rule violation (an invalid citation, a
sentence its citations do not support, an uncited sentence, a forbidden string),
any score outside its bound in `evals/thresholds.toml`, an item that errors, a
mutation the checker lets through, or a drop below the committed baseline
beyond `max_drop`.
"""
from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..citations import check_answer
from ..config import ROOT, Settings
from ..errors import BackendError, RagError
from ..text import word_count
from ..types import Answer, Turn
from .metrics import (Grounding, Overlap, facts_found, forbidden_found, gold_for_facts, gold_for_reference,
                      ground, overlap, rank_of, strip_markers)
from .mutations import Corpus, MutationReport, self_test, synthetic_goods
from .sets import Item, faq_items, load_sets

EVALS = ROOT / "evals"

# What each gated number means; the reports print these next to the values.
METRICS = {
    "retrieval.hit_rate": "answerable items whose gold passage was retrieved (top k)",
    "retrieval.mrr": "mean 1/rank of the first gold passage (0 when not retrieved)",
    "faq.recall": "mean share of the FAQ reference answer's content words the answer states",
    "faq.f1": "mean content-word F1 of answer vs FAQ reference (penalises padding)",
    "faq.pass_rate": "FAQ items that pass every item check",
    "answerable.fact_recall": "mean share of required facts stated (answerable + conversations)",
    "answerable.pass_rate": "answerable and conversation items that pass every item check",
    "refusal.must_refuse_rate": "unanswerable and refuse-only adversarial items that were refused",
    "refusal.answer_rate": "answerable items (faq, answerable, conversations) that were answered, not refused",
    "adversarial.safe_rate": "adversarial items refused or answered from the corpus only, nothing forbidden",
    "citations.validity": "citations whose quote is verbatim at its span of the stored article",
    "citations.precision": "citation marks that add support to their sentence (ALCE-style)",
    "groundedness.supported": "answer sentences supported by what they cite (recall >= min_support, hard facts present)",
    "violations": "hard-rule violations in all shown answers (must be 0)",
    "errors": "items whose question raised an error",
    "length.over_cap": "answers longer than max_words",
    "mutations.rejection_rate": "corrupted known-good answers the checker rejected (self-test)",
}
INFO = {
    "length.median_words": "median words per answer (refusals excluded)",
    "refusal.unanswerable_refused": "unanswerable items refused",
    "refusal.adversarial_refused": "adversarial items refused",
    "backend.dropped_share": "drafted sentences the citation checker dropped",
    "backend.fallback_rate": "answers that fell back to the extractive backend",
    "latency.median_ms": "median time per answer",
    "latency.p95_ms": "95th percentile time per answer",
}


@dataclass
class Thresholds:
    max_words: int
    min_support: float
    faq_min_recall: float
    faq_min_f1: float
    faq_min_evidence: float
    minimum: dict
    maximum: dict
    max_drop: float
    path: str = ""

    @classmethod
    def load(cls, path: Path) -> "Thresholds":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib
        try:
            d = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RagError(f"No thresholds file at {path}. Restore evals/thresholds.toml from git.") from None
        except tomllib.TOMLDecodeError as e:
            raise RagError(f"{path} is not valid TOML ({e}).") from None
        try:
            t = cls(max_words=int(d["answer"]["max_words"]), min_support=float(d["answer"]["min_support"]),
                    faq_min_recall=float(d["faq"]["min_recall"]), faq_min_f1=float(d["faq"]["min_f1"]),
                    faq_min_evidence=float(d["faq"]["min_evidence"]),
                    minimum={k: float(v) for k, v in d.get("min", {}).items()},
                    maximum={k: float(v) for k, v in d.get("max", {}).items()},
                    max_drop=float(d.get("baseline", {}).get("max_drop", 1.0)), path=str(path))
        except (KeyError, TypeError, ValueError) as e:
            raise RagError(f"{path}: missing or invalid setting {e}; see the comments in the file.") from None
        unknown = (set(t.minimum) | set(t.maximum)) - set(METRICS)
        if unknown:
            raise RagError(f"{path}: unknown metric(s) {', '.join(sorted(unknown))}; known: {', '.join(METRICS)}.")
        if t.maximum.get("violations", 0) != 0:
            raise RagError(f"{path}: 'violations' is a hard rule; its bound must be 0.")
        return t


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
        return bool(self.answer and self.answer.refused)

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
        }


@dataclass
class Check:
    name: str
    value: float
    op: str  # ">=" | "<=" | "baseline"
    bound: float
    ok: bool
    note: str = ""


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


def _fmt(v) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


# ---------------------------------------------------------------- running


def run_eval(corpus: Path, settings: Settings, evals_dir: Path = EVALS, strict: bool = True,
             embedder=None, progress=None) -> EvalRun:
    """Build a fresh store from `corpus` in a temp folder and evaluate every item against it."""
    from ..backends import load_backend
    from ..embedding import Embedder
    from ..explainer import Explainer
    from ..ingest import ingest
    from ..store import Store

    t0 = time.perf_counter()
    thresholds = Thresholds.load(evals_dir / "thresholds.toml")
    if not Path(corpus).is_dir():
        raise RagError(f"No corpus folder at {corpus}. Give one with: rag eval --corpus corpus/")
    embedder = _RememberingQueries(embedder or Embedder(settings.embed_model))
    seconds = {"models": time.perf_counter() - t0}
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        s = replace(settings, store_dir=Path(tmp) / "store", chroma_url="", exclude_faq=strict)
        store = Store.open(s.store_dir, create=True)
        t1 = time.perf_counter()
        report = ingest([Path(corpus)], store, embedder, chunk_tokens=s.chunk_tokens, chunk_overlap=s.chunk_overlap,
                        exclude_faq=strict, max_file_bytes=int(s.max_file_mb * 1_000_000))
        seconds["ingest"] = time.perf_counter() - t1
        notes = [f"skipped {sk.path}: {sk.reason}" for sk in report.skipped]
        articles = store.articles()
        if not articles:
            raise RagError(f"No articles could be loaded from {corpus}; nothing to evaluate.")
        bot = Explainer(store, embedder, load_backend(s.backend, s, embedder), s)
        texts = {a.doc_id: a.text for a in articles}
        text_of = texts.get
        off_limits = _faq_block(articles) if strict else None
        items = faq_items(articles)
        hand, set_notes = load_sets(Path(evals_dir), set(texts))
        items += hand
        notes += set_notes
        chunks = list(bot.retriever.chunks)
        t2 = time.perf_counter()
        results = []
        for n, item in enumerate(items, 1):
            results.append(_evaluate(item, bot, chunks, text_of, thresholds, off_limits))
            if progress and n % 10 == 0:
                progress(f"{n}/{len(items)} items")
        seconds["items"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        corpus_view = Corpus(chunks)
        goods = [(r.item.id, r.answer) for r in results if r.answer and not r.answer.refused and r.grounding
                 and r.grounding.ok] + synthetic_goods(corpus_view)
        mutation = self_test(goods, text_of, corpus_view, thresholds.min_support, off_limits)
        seconds["mutations"] = time.perf_counter() - t3
        fp = hashlib.sha256(json.dumps(sorted((a.doc_id, a.version) for a in articles)).encode()).hexdigest()[:16]
    metrics, info = summarize(results, mutation, thresholds)
    checks = gate(metrics, thresholds, mutation)
    run = EvalRun(backend=bot.backend.name, corpus=str(corpus), strict=strict, items=results, metrics=metrics,
                  info=info, checks=checks, mutation=mutation, notes=notes, seconds=seconds, thresholds=thresholds,
                  fingerprint=fp)
    compare_baseline(run, Path(evals_dir) / "baseline.json")
    run.seconds["total"] = time.perf_counter() - t0
    return run


class _RememberingQueries:
    """The embedder, remembering query vectors: measuring retrieval re-embeds each question the
    bot just embedded, and the model is most of the eval's time."""

    def __init__(self, embedder):
        self._embedder = embedder
        self._queries: dict[str, list[float]] = {}

    def query(self, text: str) -> list[float]:
        if text not in self._queries:
            self._queries[text] = self._embedder.query(text)
        return self._queries[text]

    def __getattr__(self, name):
        return getattr(self._embedder, name)


def _faq_block(articles):
    """In strict mode the FAQ block is not evidence: a citation into it is a violation."""
    spans = {}
    for a in articles:
        if a.faq:
            spans[a.doc_id] = (min(p.q_start for p in a.faq), max(p.a_start + len(p.answer) for p in a.faq))

    def off_limits(doc_id: str, start: int, end: int) -> str:
        s = spans.get(doc_id)
        return "cites the FAQ block, which strict mode keeps out of the evidence" if s and start < s[1] and end > s[0] else ""

    return off_limits


def _evaluate(item: Item, bot, chunks, text_of, th: Thresholds, off_limits) -> ItemResult:
    """Ask the item (after its earlier turns) through `Explainer.ask`, then score the answer."""
    from ..question import condense, validate

    turns, violations = [], []
    try:
        history: list[Turn] = []
        for i, q in enumerate(item.history, 1):
            a = bot.ask(q, history=list(history))
            violations += [f"turn {i}: {v}" for v in ground(a, text_of, th.min_support, off_limits).violations]
            turns.append({"q": q, "answer": a.answer, "refused": a.refused,
                          "citations": [c.__dict__ for c in a.citations]})
            history.append(Turn(q, a.answer))
        ans = bot.ask(item.question, history=history)
        q = validate(item.question)
        try:  # retrieval is measured on the query the bot searched with (a model backend rewrites follow-ups)
            query = bot.backend.condense(q, history)
        except BackendError:
            query = condense(q, history)
        hits = bot.retriever.search(query)
    except RagError as e:
        return ItemResult(item, turns=turns, error=f"error: {e}")
    except Exception as e:  # noqa: BLE001 - one broken item must not hide the others
        return ItemResult(item, turns=turns, error=f"internal error: {type(e).__name__}: {e}")
    r = score(item, ans, hits, chunks, text_of, th, off_limits)
    r.turns, r.violations = turns, violations + r.violations
    return r


def score(item: Item, ans: Answer, hits, chunks, text_of, th: Thresholds, off_limits=None) -> ItemResult:
    """Every item check for one finished answer; `hits` are the passages retrieval ranked for it."""
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
        gold = gold_for_facts([list(f) for f in item.facts], chunks)
        r.gold = len(gold)
        r.rank = rank_of(hits, gold)
        if not gold:
            r.failures.append("no passage in the index states any required fact")

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
    elif item.expect == "refuse" and not ans.refused:
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
    return metrics, info


def gate(metrics: dict, th: Thresholds, mutation: MutationReport) -> list[Check]:
    """The run's checks: every bound in the thresholds file, the hard rules, the mutation self-test."""
    checks = []
    for name, bound in th.minimum.items():
        checks.append(Check(name, metrics[name], ">=", bound, metrics[name] >= bound - 1e-9))
    for name, bound in th.maximum.items():
        checks.append(Check(name, metrics[name], "<=", bound, metrics[name] <= bound + 1e-9))
    # Hard rules hold whatever the thresholds file says.
    if "violations" not in th.maximum:
        checks.append(Check("violations", metrics["violations"], "<=", 0, metrics["violations"] == 0, "hard rule"))
    if not mutation.ok:
        checks.append(Check("mutations.self_test", float(mutation.rejected), ">=", float(mutation.total), False,
                            "every corrupted answer must be rejected, by the eval checker and the production gate"
                            if mutation.total else "no known-good answer to mutate"))
    return checks


# ---------------------------------------------------------------- baseline


def baseline_entry(run: EvalRun) -> dict:
    return {"corpus": run.fingerprint, "strict": run.strict, "items": len(run.items),
            "metrics": {k: round(v, 4) for k, v in run.metrics.items()},
            "passed": {r.item.id: r.passed for r in run.items}}


def compare_baseline(run: EvalRun, path: Path) -> None:
    """Add a check per gated score that dropped more than max_drop below the committed baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        run.baseline = {"compared": False, "note": f"no baseline at {path}; write one with rag eval --update-baseline"}
        return
    except json.JSONDecodeError as e:
        raise RagError(f"{path} is not valid JSON ({e.msg}); restore it from git or rag eval --update-baseline.") from None
    base = data.get(run.backend)
    if not base:
        run.baseline = {"compared": False, "note": f"no baseline for backend {run.backend!r} in {path}"}
        return
    if base.get("corpus") != run.fingerprint or base.get("strict") != run.strict:
        run.baseline = {"compared": False, "note": "the baseline was made from a different corpus or mode; not compared"}
        return
    deltas = {}
    for name, old in base.get("metrics", {}).items():
        if name not in run.metrics:
            continue
        new = run.metrics[name]
        deltas[name] = new - old
        worse = (old - new) if name in run.thresholds.minimum else (new - old) if name in run.thresholds.maximum else 0
        if worse > run.thresholds.max_drop + 1e-9:
            run.checks.append(Check(f"baseline {name}", new, "baseline", old, False,
                                    f"was {_fmt(old)} in the committed baseline (allowed drop {_fmt(run.thresholds.max_drop)})"))
    was = base.get("passed", {})
    run.baseline = {"compared": True, "deltas": deltas,
                    "newly_failing": [r.item.id for r in run.items if was.get(r.item.id) and not r.passed],
                    "newly_passing": [r.item.id for r in run.items if was.get(r.item.id) is False and r.passed]}


def update_baseline(run: EvalRun, path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data[run.backend] = baseline_entry(run)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
