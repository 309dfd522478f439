"""Validate evals/attribution/set.jsonl and print its counts per class and split.

Usage: /work/main/.venv/bin/python evals/attribution/check.py [path/to/set.jsonl]

Stdlib only, so it runs before anything is installed. Exits 1 if any row is
malformed or the set no longer meets the shape its README promises.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

FAITHFUL = (
    "verbatim", "synonym_paraphrase", "reorder_voice", "summary", "alias",
    "attributed_paraphrase", "number_format",
)
UNFAITHFUL = (
    "number_swap", "entity_swap", "negation_inserted", "unsupported_detail",
    "wrong_passage", "role_swap", "attribution_dropped", "attribution_changed",
    "stance_reversal", "modality_change", "quantifier_change", "date_tense_shift",
    "merged_claims", "entity_scope",
)
FIELDS = ("id", "sentence", "passage", "label", "class", "reason", "split")
SPLITS = ("dev", "heldout")
# The shape the README promises; a row edit that breaks it should be noticed.
MIN_PER_CLASS = 20
MIN_FAITHFUL_SHARE = 0.40


def _norm(text: str) -> str:
    return " ".join(text.split())


def check_rows(lines: list[str]) -> tuple[list[dict], list[str]]:
    """Parse and validate; returns the good rows and one message per problem."""
    rows: list[dict] = []
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_pairs: dict[tuple[str, str], int] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            problems.append(f"line {n}: blank line (one JSON object per line, no blanks)")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"line {n}: not valid JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(row, dict):
            problems.append(f"line {n}: expected a JSON object, got {type(row).__name__}")
            continue
        where = f"line {n} ({row.get('id', 'no id')})"
        missing = [f for f in FIELDS if f not in row]
        extra = sorted(set(row) - set(FIELDS))
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
        if extra:
            problems.append(f"{where}: unknown field(s) {', '.join(extra)}; allowed: {', '.join(FIELDS)}")
        if missing:
            continue
        bad = [f for f in FIELDS if not isinstance(row[f], str) or not row[f].strip()]
        if bad:
            problems.append(f"{where}: field(s) {', '.join(bad)} must be non-empty strings")
            continue
        cls, label = row["class"], row["label"]
        if label not in ("faithful", "unfaithful"):
            problems.append(f"{where}: label {label!r} must be 'faithful' or 'unfaithful'")
        if cls not in FAITHFUL + UNFAITHFUL:
            problems.append(f"{where}: unknown class {cls!r}; see the class list in README.md")
        else:
            want = "faithful" if cls in FAITHFUL else "unfaithful"
            if label in ("faithful", "unfaithful") and label != want:
                problems.append(f"{where}: class {cls!r} is a {want} class but the label is {label!r}")
        if row["split"] not in SPLITS:
            problems.append(f"{where}: split {row['split']!r} must be 'dev' or 'heldout'")
        if row["id"] in seen_ids:
            problems.append(f"{where}: duplicate id (first on line {seen_ids[row['id']]})")
        else:
            seen_ids[row["id"]] = n
        if cls != "verbatim" and _norm(row["sentence"]) == _norm(row["passage"]):
            problems.append(f"{where}: sentence is identical to its passage; only class 'verbatim' may be")
        pair = (_norm(row["sentence"]), _norm(row["passage"]))
        if pair in seen_pairs:
            problems.append(f"{where}: same sentence and passage as line {seen_pairs[pair]}")
        else:
            seen_pairs[pair] = n
        rows.append(row)
    return rows, problems


def check_shape(rows: list[dict]) -> list[str]:
    problems = []
    per_class = Counter(r["class"] for r in rows)
    for cls in FAITHFUL + UNFAITHFUL:
        if per_class[cls] < MIN_PER_CLASS:
            problems.append(f"class {cls!r} has {per_class[cls]} rows; needs at least {MIN_PER_CLASS}")
    if rows:
        share = sum(r["label"] == "faithful" for r in rows) / len(rows)
        if share < MIN_FAITHFUL_SHARE:
            problems.append(f"faithful rows are {share:.1%} of the set; need at least {MIN_FAITHFUL_SHARE:.0%}")
    return problems


def table(rows: list[dict]) -> str:
    counts = Counter((r["class"], r["split"]) for r in rows)
    out = [f"{'class':<24}{'label':<12}{'dev':>6}{'heldout':>9}{'total':>7}"]
    for cls in FAITHFUL + UNFAITHFUL:
        dev, held = counts[(cls, "dev")], counts[(cls, "heldout")]
        label = "faithful" if cls in FAITHFUL else "unfaithful"
        out.append(f"{cls:<24}{label:<12}{dev:>6}{held:>9}{dev + held:>7}")
    for label, group in (("faithful", FAITHFUL), ("unfaithful", UNFAITHFUL)):
        dev = sum(counts[(c, "dev")] for c in group)
        held = sum(counts[(c, "heldout")] for c in group)
        out.append(f"{'all ' + label:<36}{dev:>6}{held:>9}{dev + held:>7}")
    dev = sum(r["split"] == "dev" for r in rows)
    out.append(f"{'all rows':<36}{dev:>6}{len(rows) - dev:>9}{len(rows):>7}")
    out.append(f"distinct passages: {len({_norm(r['passage']) for r in rows})}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("set.jsonl")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        print(f"cannot read {path}: {e.strerror}; pass the path of set.jsonl", file=sys.stderr)
        return 1
    rows, problems = check_rows(lines)
    if not problems:
        problems = check_shape(rows)
    print(table(rows))
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"ok: {len(rows)} rows in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
