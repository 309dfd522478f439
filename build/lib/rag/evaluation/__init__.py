"""The eval harness behind `rag eval`: a deterministic grounding gate, no LLM judge.

    sets.py       the items: FAQ pairs from the store, hand-written sets from evals/*.yaml
    metrics.py    scores for one answer (citations, groundedness, correctness, retrieval)
    mutations.py  the checker's self-test: corrupted known-good answers must all be rejected
    thresholds.py what each gated number means, evals/thresholds.toml loaded and checked, the gate
    scoring.py    every item check for one answer, the run's results, the aggregate metrics
    baseline.py   the run compared to evals/baseline.json, or written as it
    runner.py     build a fresh store, ask every item through Explainer.ask, score, gate
    report.py     console table, report.json, report.md, junit.xml, report.html
"""
from .runner import EvalRun, run_eval

__all__ = ["EvalRun", "run_eval"]
