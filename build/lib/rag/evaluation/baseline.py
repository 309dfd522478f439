"""The committed baseline (evals/baseline.json): a run compared to it, and a run written as it."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import RagError
from .scoring import EvalRun
from .thresholds import Check, _fmt


def fingerprint(articles) -> str:
    """The corpus a baseline belongs to: its articles' ids and versions (a baseline of another corpus is not compared)."""
    return hashlib.sha256(json.dumps(sorted((a.doc_id, a.version) for a in articles)).encode()).hexdigest()[:16]


def baseline_key(run: EvalRun) -> str:
    """A backend's entry; a news suite's per split (the items differ, so do the scores)."""
    return f"{run.backend}:{run.split}" if run.split else run.backend


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
    base = data.get(baseline_key(run))
    if not base:
        run.baseline = {"compared": False, "note": f"no baseline for backend {run.backend!r}"
                        f"{f' ({run.split} split)' if run.split else ''} in {path}"}
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
    data[baseline_key(run)] = baseline_entry(run)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
