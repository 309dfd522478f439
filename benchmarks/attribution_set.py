"""The citation gate on the hand-labelled attribution set (evals/attribution/set.jsonl): per class, how often
it gets the label right.

    python benchmarks/attribution_set.py [--split dev|heldout] [--set PATH] [--checker both|lexical|support|gate|judge]
                                        [--no-embed] [--show N]

`lexical` is the bag-of-words check alone, `support` citations.support as production calls it (lexical and
structural, no word vectors), `gate` the same with word vectors, `judge` rag.attribution.judge alone. Develop on `dev`; run `heldout` once, for the report.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401  (offline switches first)

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev", choices=["dev", "heldout"])
    ap.add_argument("--set", default=str(ROOT / "evals" / "attribution" / "set.jsonl"))
    ap.add_argument("--checker", default="both", choices=["both", "lexical", "support", "gate", "judge"])
    ap.add_argument("--no-embed", action="store_true")
    ap.add_argument("--show", type=int, default=0, help="print this many wrong verdicts")
    args = ap.parse_args()
    path = Path(args.set)
    if not path.is_file():
        sys.exit(f"{path} not found: pass --set PATH to the attribution set")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["split"] == args.split]
    from rag import nlp
    from rag.attribution import judge
    from rag.citations import lexical_support, support

    embed = None
    if not args.no_embed and args.checker in ("both", "gate", "judge"):
        from rag.config import Settings
        from rag.embedding import Embedder

        embed = Embedder(Settings.from_env().embed_model).cached
    nlp.analyze_many(sorted({r["passage"] for r in rows}))
    checkers = {
        "lexical": lambda s, p: (lexical_support(s, p).supported(), ""),
        "support": lambda s, p: (lambda v: (v.supported(), v.structure or ",".join(v.missing) or v.reason))(support(s, p)),
        "judge": lambda s, p: (lambda v: (v.supported, f"{v.kind}: {v.reason}"))(judge(s, p, embed=embed)),
        "gate": lambda s, p: (lambda v: (v.supported(), v.structure or ",".join(v.missing) or v.reason))(
            support(s, p, embed=embed)),
    }
    names = ["support", "gate"] if args.checker == "both" else [args.checker]
    for name in names:
        check = checkers[name]
        for r in rows[:3]:
            check(r["sentence"], r["passage"])  # warm
        by_class: dict[str, list[bool]] = defaultdict(list)
        label_of, times, wrong = {}, [], []
        for r in rows:
            t = time.perf_counter()
            ok, why = check(r["sentence"], r["passage"])
            times.append((time.perf_counter() - t) * 1000)
            right = ok == (r["label"] == "faithful")
            by_class[r["class"]].append(right)
            label_of[r["class"]] = r["label"]
            if not right:
                wrong.append((r, why))
        kept = [x for c, v in by_class.items() if label_of[c] == "faithful" for x in v]
        rejected = [x for c, v in by_class.items() if label_of[c] == "unfaithful" for x in v]
        ms = sorted(times)
        print(f"{name:8s} {args.split}: faithful kept {sum(kept) / len(kept):.1%} ({len(kept)}), unfaithful rejected "
              f"{sum(rejected) / len(rejected):.1%} ({len(rejected)}); per pair median {statistics.median(ms):.2f} ms, "
              f"p95 {ms[int(0.95 * (len(ms) - 1))]:.2f} ms")
        for c in sorted(by_class, key=lambda c: (label_of[c], c)):
            v = by_class[c]
            print(f"    {label_of[c]:10s} {c:22s} {sum(v):3d}/{len(v):3d} {sum(v) / len(v):6.1%}")
        for r, why in wrong[:args.show]:
            print(f"  WRONG {r['id']} {r['class']} ({r['label']}) -> {why}\n    S: {r['sentence']}\n    P: {r['passage']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
