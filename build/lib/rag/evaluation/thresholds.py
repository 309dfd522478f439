"""The eval's bounds: what each gated number means, evals/thresholds.toml loaded and validated, the gate."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError
from .mutations import MutationReport

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
    # news suite (questions.yaml): only in runs of one
    "news.answer_accuracy": "news: answerable items passed (every fact stated, under the cap)",
    "news.near_miss_refused": "news: near-miss items (the coverage does not answer) refused",
    **{f"news.{k}_accuracy": f"news: {k} items passed" + w for k, w in (
        ("factoid", ""), ("why", " (the reason stated)"), ("how", " (the steps stated)"), ("yesno", ""),
        ("list", " (every item named)"), ("definition", ""), ("followup", " (after the earlier turns)"),
        ("changed", " (the newest value)"), ("past", " (the value at that earlier moment)"))},
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
class Check:
    name: str
    value: float
    op: str  # ">=" | "<=" | "baseline"
    bound: float
    ok: bool
    note: str = ""


def gate(metrics: dict, th: Thresholds, mutation: MutationReport) -> list[Check]:
    """The run's checks: every bound in the thresholds file, the hard rules, the mutation self-test."""
    checks = []
    for bounds, op in ((th.minimum, ">="), (th.maximum, "<=")):
        for name, bound in bounds.items():
            if name not in metrics:  # a news kind the run holds no item of
                checks.append(Check(name, 0.0, op, bound, False, "not measured: the run holds no item it counts"))
            else:
                value = metrics[name]
                checks.append(Check(name, value, op, bound,
                                    value >= bound - 1e-9 if op == ">=" else value <= bound + 1e-9))
    # Hard rules hold whatever the thresholds file says.
    if "violations" not in th.maximum:
        checks.append(Check("violations", metrics["violations"], "<=", 0, metrics["violations"] == 0, "hard rule"))
    if not mutation.ok:
        checks.append(Check("mutations.self_test", float(mutation.rejected), ">=", float(mutation.total), False,
                            "every corrupted answer must be rejected, by the eval checker and the production gate"
                            if mutation.total else "no known-good answer to mutate"))
    return checks


def _fmt(v) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)
