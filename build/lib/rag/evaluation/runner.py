"""`rag eval`: build a fresh store from a corpus, ask every item through `Explainer.ask`, score, gate.

The run fails (exit 1) on any hard-rule violation (an invalid citation, a
sentence its citations do not support, an uncited sentence, a forbidden string),
any score outside its bound in `evals/thresholds.toml`, an item that errors, a
mutation the checker lets through, or a drop below the committed baseline
beyond `max_drop`.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ..config import ROOT, Settings
from ..errors import RagError
from ..types import Turn
from .baseline import baseline_entry, compare_baseline, fingerprint, update_baseline
from .metrics import ground
from .mutations import Corpus, self_test, synthetic_goods
from .scoring import EvalRun, ItemResult, score, summarize
from .sets import NEWS_FILE, Item, faq_items, load_news, load_sets
from .thresholds import INFO, METRICS, Check, Thresholds, gate

# Callers import these from here (rag.cli, tests); each lives in the module named above.
__all__ = ["EVALS", "INFO", "METRICS", "Check", "EvalRun", "ItemResult", "Thresholds", "baseline_entry",
           "compare_baseline", "gate", "run_eval", "score", "summarize", "update_baseline"]

EVALS = ROOT / "evals"


def run_eval(corpus: Path, settings: Settings, evals_dir: Path = EVALS, strict: bool = True,
             embedder=None, progress=None, split: str | None = None) -> EvalRun:
    """Build a fresh store from `corpus` in a temp folder and evaluate every item against it.

    An `evals_dir` holding a news suite (`questions.yaml`) is evaluated on one `split`
    (default `dev`; `heldout` is for final reports only) instead of the `evals/*.yaml` sets.
    """
    from ..backends import load_backend
    from ..embedding import Embedder
    from ..explainer import Explainer
    from ..ingest import ingest
    from ..store import Store

    t0 = time.perf_counter()
    thresholds = Thresholds.load(evals_dir / "thresholds.toml")
    if not Path(corpus).is_dir():
        raise RagError(f"No corpus folder at {corpus}. Give one with: rag eval --corpus corpus/")
    news = (Path(evals_dir) / NEWS_FILE).is_file()
    if split and not news:
        raise RagError(f"--split applies to a news suite (a folder with {NEWS_FILE}); {evals_dir} has none.")
    news_items = load_news(Path(evals_dir), split or "dev") if news else []  # bad items fail before the slow part
    embedder = _RememberingQueries(embedder or Embedder.from_settings(settings))
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
        if news:
            items += news_items
            notes += _missing_gold(news_items, texts)
        else:
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
        fp = fingerprint(articles)
    metrics, info = summarize(results, mutation, thresholds)
    checks = gate(metrics, thresholds, mutation)
    run = EvalRun(backend=bot.backend.name, corpus=str(corpus), strict=strict, items=results, metrics=metrics,
                  info=info, checks=checks, mutation=mutation, notes=notes, seconds=seconds, thresholds=thresholds,
                  fingerprint=fp, split=(split or "dev") if news else "")
    compare_baseline(run, Path(evals_dir) / "baseline.json")
    run.seconds["total"] = time.perf_counter() - t0
    return run


def _missing_gold(items: list[Item], doc_ids) -> list[str]:
    urls = sorted({u for it in items for u in it.gold} - set(doc_ids))
    return [f"{len(urls)} gold article(s) not in this corpus (their items fail), e.g. {urls[0]}"] if urls else []


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
        hits = ans.trace.passages  # what this answer was drawn from, as ranked (never searched again)
    except RagError as e:
        return ItemResult(item, turns=turns, error=f"error: {e}")
    except Exception as e:  # noqa: BLE001 - one broken item must not hide the others
        return ItemResult(item, turns=turns, error=f"internal error: {type(e).__name__}: {e}")
    r = score(item, ans, hits, chunks, text_of, th, off_limits)
    r.turns, r.violations = turns, violations + r.violations
    return r
