"""Time until a reader sees the first sentence of a model answer, before and after the
"stream only what is verified" change, in one run:

    python benchmarks/first_sentence.py                       # bundled SmolLM2 (llamacpp), strict store of corpus/
    python benchmarks/first_sentence.py --backend openai      # RAG_LLM_BASE_URL ...
    python benchmarks/first_sentence.py --json

Before, the chat showed the model's raw draft as it arrived: the first thing a reader saw was
the first piece of draft text (`trace.timings["first_draft"]`). Now it shows a sentence once
the checker has passed it (`first_shown`, when the draft completes that sentence). Both are
recorded in the same answers, with the time to the final answer; questions that showed no
sentence before the final one (the whole draft failed, or it was one sentence) are counted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402,F401  (offline switches first)
from rag._testing import percentile as pct  # noqa: E402

QUESTIONS = [
    "What is Anthropic accusing Alibaba of?",
    "Which companies are involved in this dispute?",
    "What is Alibaba's cloud division developing?",
    "How much does it cost to develop a leading large language model?",
    "What is Anthropic known for?",
    "What could a prolonged legal battle do to Anthropic?",
    "What should investors watch next?",
    "Why is intellectual property protection crucial for AI companies?",
]


def run(backend: str, store_dir: str, threads: int) -> dict:
    from rag import Settings
    from rag.embedding import Embedder
    from rag.explainer import Explainer
    from rag.ingest import ingest
    from rag.store import Store

    settings = Settings(backend=backend, store_dir=Path(store_dir), llamacpp_threads=threads,
                        llm_timeout=900.0)
    store = Store.open(settings.store_dir, create=True)
    embedder = Embedder(settings.embed_model)
    ingest([ROOT / "corpus"], store, embedder, exclude_faq=True)
    bot = Explainer.open(settings)
    bot.ask(QUESTIONS[0])  # load the model and warm its prompt cache
    rows = []
    for q in QUESTIONS:
        events = list(bot.stream(q))
        a = events[-1].answer
        t = a.trace.timings
        rows.append({"q": q, "first_draft": t.get("first_draft"), "first_shown": t.get("first_shown"),
                     "total": t["total"], "partials": sum(e.kind == "partial" for e in events),
                     "drafted": a.drafted, "dropped": a.dropped, "fallback": a.fallback,
                     "retracted": a.trace.retracted})
    def col(name):
        return [r[name] for r in rows if r[name] is not None]
    out = {"backend": backend, "questions": len(rows), "rows": rows}
    for name in ("first_draft", "first_shown", "total"):
        vals = col(name)
        out[name] = {"n": len(vals), "median_ms": statistics.median(vals) if vals else None,
                     "p95_ms": pct(vals, 95) if vals else None}
    out["no_sentence_before_final"] = sum(r["first_shown"] is None for r in rows)
    out["retracted"] = sum(r["retracted"] for r in rows)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default="llamacpp")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = run(args.backend, tmp + "/store", args.threads)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"backend {out['backend']}, {out['questions']} questions (warm model)")
    print(f"{'':32} {'n':>3} {'median ms':>10} {'p95 ms':>10}")
    labels = {"first_draft": "first draft text (before)", "first_shown": "first verified sentence (after)",
              "total": "final answer"}
    for name, label in labels.items():
        r = out[name]
        fmt = lambda v: f"{v:10.0f}" if v is not None else f"{'-':>10}"  # noqa: E731
        print(f"{label:32} {r['n']:>3} {fmt(r['median_ms'])} {fmt(r['p95_ms'])}")
    print(f"answers with no sentence shown before the final one: {out['no_sentence_before_final']}; "
          f"sentences retracted: {out['retracted']}")
    for r in out["rows"]:
        print(f"  {r['q'][:50]:50} draft {r['first_draft'] or 0:6.0f}  shown {r['first_shown'] or 0:6.0f}  "
              f"final {r['total']:6.0f}  partials {r['partials']}  dropped {r['dropped']}/{r['drafted']}"
              f"{'  fallback' if r['fallback'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
