"""The citation gate on SummEdits (news): does it accept the consistent summaries and reject the edited ones?

    python benchmarks/attribution_summedits.py [--split evaluation|test|all] [--no-embed]
                                               [--checker both|lexical|support|gate|judge]

Reads ../shared/data/summedits_news.json (or $RAG_SUMMEDITS); the file is not part of the project. Each
row is one summary sentence checked against its whole article. `lexical` is the bag-of-words check
alone, `support` citations.support as production calls it (no word vectors), `gate` the same with word
vectors, `judge` rag.attribution.judge alone. A summary of several sentences is supported when each
sentence is, as the gate checks a draft sentence by sentence (`--whole`: the summary as one text). Prints balanced accuracy per split and per
edit type (recall of the rejected class within each edit type), and the time per check. Tune only on the
"evaluation" split; "test" is for the report.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401  (offline switches first)

ROOT = Path(__file__).resolve().parent.parent


def data_path() -> Path:
    env = os.environ.get("RAG_SUMMEDITS")
    for p in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data" / "summedits_news.json",
                                             Path("/work/shared/data/summedits_news.json")]:
        if p.is_file():
            return p
    sys.exit("SummEdits not found: set RAG_SUMMEDITS to summedits_news.json (shared/data/ beside the checkout)")


def balanced(rows: list[tuple[int, bool]]) -> float:
    pos = [ok for label, ok in rows if label == 1]
    neg = [not ok for label, ok in rows if label == 0]
    parts = [sum(x) / len(x) for x in (pos, neg) if x]
    return sum(parts) / len(parts) if parts else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="all", choices=["evaluation", "test", "all"])
    ap.add_argument("--checker", default="both", choices=["both", "lexical", "support", "gate", "judge"])
    ap.add_argument("--no-embed", action="store_true", help="judge without word vectors (lemmas only)")
    ap.add_argument("--whole", action="store_true", help="check a multi-sentence summary as one text")
    ap.add_argument("--show", type=int, default=0, help="print this many wrong verdicts")
    args = ap.parse_args()
    from rag import nlp
    from rag.attribution import judge
    from rag.citations import lexical_support, support
    from rag.text import sentence_spans

    rows = json.loads(data_path().read_text())
    splits = ["evaluation", "test"] if args.split == "all" else [args.split]
    embed = None
    if not args.no_embed and args.checker in ("both", "gate", "judge"):
        from rag.config import Settings
        from rag.embedding import Embedder

        embed = Embedder(Settings.from_env().embed_model).cached
    t0 = time.perf_counter()
    docs = sorted({r["doc"] for r in rows if r["split"] in splits})
    nlp.analyze_many(docs)
    print(f"analysed {len(docs)} articles in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    checkers = {"lexical": lambda s, d: lexical_support(s, d).supported(),
                "support": lambda s, d: support(s, d).supported(),
                "gate": lambda s, d: support(s, d, embed=embed).supported(),
                "judge": lambda s, d: judge(s, d, embed=embed).supported}
    names = ["support", "gate"] if args.checker == "both" else [args.checker]
    checkers = {n: checkers[n] for n in names}
    if not args.whole:
        checkers = {n: (lambda c: lambda s, d: all(c(s[a:b], d) for a, b in sentence_spans(s)))(c)
                    for n, c in checkers.items()}
    for name, check in checkers.items():
        for split in splits:
            part = [r for r in rows if r["split"] == split]
            for r in part[:3]:
                check(r["summary"], r["doc"])  # warm: the article's analysis and vectors
            got, times, wrong = [], [], []
            by_type: dict[str, list] = defaultdict(list)
            for r in part:
                t = time.perf_counter()
                ok = check(r["summary"], r["doc"])
                times.append(time.perf_counter() - t)
                got.append((r["label"], ok))
                for et in r["edit_types"] or (["(none)"] if r["label"] == 1 else ["(unlabelled edit)"]):
                    by_type[et].append((r["label"], ok))
                if ok != bool(r["label"]):
                    wrong.append(r)
            ms = sorted(x * 1000 for x in times)
            print(f"{name:8s} {split:10s} balanced accuracy {balanced(got):.1%} (n={len(part)}); "
                  f"per check median {statistics.median(ms):.1f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms")
            for et, v in sorted(by_type.items()):
                label = v[0][0]
                rate = sum(ok == bool(label) for _, ok in v) / len(v)
                print(f"    {et:30s} n={len(v):4d}  {'accepted' if label else 'rejected'} {rate:.1%}")
            for r in wrong[:args.show]:
                why = ""
                if name in ("support", "gate"):
                    sup = support(r["summary"], r["doc"], embed=embed if name == "gate" else None)
                    why = sup.structure or ",".join(sup.missing) or f"recall {sup.recall:.2f}"
                    why += f": {sup.reason}" if sup.reason else ""
                elif name == "judge":
                    v = judge(r["summary"], r["doc"], embed=embed)
                    why = f"{v.kind}: {v.reason}"
                print(f"  WRONG label={r['label']} {r['edit_types']} {why}\n    {r['summary']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
