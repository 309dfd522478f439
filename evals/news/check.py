"""Self-check for the news eval set: corpus front matter, question schema, facts in gold articles.

Run: /work/main/.venv/bin/python evals/news/check.py [--overlap]
Prints counts per kind and split; exits 1 on any problem. --overlap also lists, for each
answerable item, the non-gold articles that contain every fact (to review gold completeness;
informational only, because a name or number can appear in an article that does not answer).

Matching rule (the one the README states): a fact variant is found in an article when every
word of it appears in the article's title, dek or body (case-insensitive, any order) and every
number appears exactly as written ("41,200" does not match "41200").
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
QUESTIONS = HERE / "questions.yaml"

KINDS = {"factoid", "why", "how", "yesno", "list", "definition", "followup", "changed", "past", "near_miss"}
ANSWER_TYPES = {"person", "org", "place", "date", "number", "money", "percent", "yesno", "reason",
                "process", "definition", "list"}
SPLITS = {"dev", "heldout"}
REQUIRED_META = ("title", "dek", "url", "byline", "published", "section")
URL_RE = re.compile(r"^https://news\.example/([a-z]+)/(\d{4})/(\d{2})/[a-z0-9-]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Numbers keep inner commas and points ("41,200", "4.5"); words keep inner apostrophes.
TOKEN_RE = re.compile(r"\d[\d,.]*\d|\d|[^\W\d_]+(?:'[^\W\d_]+)*")
SENTENCE_RE = re.compile(r"(?<=[.!?])[\"”]?\s+")


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(text.lower().replace("’", "'"))


def parse_article(path: Path) -> tuple[dict, str, list[str]]:
    raw = path.read_text(encoding="utf-8")
    problems = []
    if not raw.startswith("---\n"):
        return {}, "", [f"{path.name}: no front matter"]
    head, _, body = raw[4:].partition("\n---\n")
    meta = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            problems.append(f"{path.name}: front-matter line without a colon: {line!r}")
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        meta[key.strip()] = value
    for key in REQUIRED_META:
        if not meta.get(key):
            problems.append(f"{path.name}: missing {key}")
    for key in ("published", "updated"):
        if key in meta and not DATE_RE.match(meta[key]):
            problems.append(f"{path.name}: {key} is not YYYY-MM-DD: {meta[key]!r}")
    m = URL_RE.match(meta.get("url", ""))
    if not m:
        problems.append(f"{path.name}: url not https://news.example/<section>/<yyyy>/<mm>/<slug>")
    elif meta.get("published", "")[:7] != f"{m.group(2)}-{m.group(3)}":
        problems.append(f"{path.name}: url year/month differ from published {meta.get('published')}")
    words = len(body.split())
    if not 150 <= words <= 450:
        problems.append(f"{path.name}: body has {words} words (want 150-450)")
    text = "\n".join([meta.get("title", ""), meta.get("dek", ""), body])
    return meta, text, problems


def variant_in(variant: str, token_set: set[str]) -> bool:
    toks = tokens(variant)
    return bool(toks) and all(t in token_set for t in toks)


def term_in(term: str, sentence: str) -> bool:
    if term.startswith("re:"):
        return re.search(term[3:], sentence) is not None
    # Word boundaries only where the term starts or ends with a word character ("$" has none).
    left = r"(?<!\w)" if term[:1].isalnum() else ""
    right = r"(?!\w)" if term[-1:].isalnum() else ""
    return re.search(left + re.escape(term.lower()) + right, sentence.lower()) is not None


def check_items(items, articles) -> list[str]:
    problems = []
    by_url = {a["url"]: a for a in articles}
    seen = set()
    for n, item in enumerate(items):
        iid = item.get("id") or f"<item {n}>"

        def say(msg: str, iid=iid) -> None:
            problems.append(f"{iid}: {msg}")

        if iid in seen:
            say("duplicate id")
        seen.add(iid)
        kind = item.get("kind")
        if kind not in KINDS:
            say(f"unknown kind {kind!r}")
        if item.get("split") not in SPLITS:
            say(f"split must be dev or heldout, not {item.get('split')!r}")
        if not isinstance(item.get("q"), str) or not item["q"].strip():
            say("missing q")
        if kind == "followup":
            turns = item.get("turns")
            if not (isinstance(turns, list) and turns and all(isinstance(t, str) for t in turns)):
                say("followup needs turns: a list of earlier questions")
        if item.get("expect") == "refuse":
            if kind != "near_miss":
                say("only near_miss items expect refuse")
            if "facts" in item or "gold" in item:
                say("a refuse item has no facts or gold")
            if not item.get("why"):
                say("refuse item needs why: what the coverage lacks")
            problems += check_absent(iid, item, articles)
            continue
        if kind == "near_miss":
            say("near_miss items must expect: refuse")
        if item.get("answer_type") not in ANSWER_TYPES:
            say(f"unknown answer_type {item.get('answer_type')!r}")
        if kind == "yesno" or item.get("answer_type") == "yesno":
            if item.get("answer") not in ("yes", "no"):
                say("yes/no item needs answer: yes or no")
        facts, gold = item.get("facts"), item.get("gold")
        if not (isinstance(facts, list) and facts
                and all(isinstance(f, list) and f and all(isinstance(v, str) and v.strip() for v in f)
                        for f in facts)):
            say("facts must be a non-empty list of non-empty lists of strings")
            continue
        if not (isinstance(gold, list) and gold):
            say("gold must be a non-empty list of urls")
            continue
        missing = [g for g in gold if g not in by_url]
        if missing:
            say(f"gold url not in corpus: {missing}")
            continue
        gold_sets = [by_url[g]["tokens"] for g in gold]
        for fact in facts:
            if not any(variant_in(v, s) for v in fact for s in gold_sets):
                say(f"no variant of fact {fact} is in any gold article")
    return problems


def check_absent(iid, item, articles) -> list[str]:
    """For a refuse item: no sentence (in the scoped articles) holds every term of an absent combo."""
    combos = item.get("absent")
    if not (isinstance(combos, list) and combos and all(isinstance(c, list) and c for c in combos)):
        return [f"{iid}: refuse item needs absent: a list of term lists that no sentence may contain together"]
    scope = item.get("scope") or []
    scope = [scope] if isinstance(scope, str) else scope
    problems = []
    for a in articles:
        if scope and not any(s in a["url"] for s in scope):
            continue
        for sentence in a["sentences"]:
            for combo in combos:
                if all(term_in(t, sentence) for t in combo):
                    problems.append(f"{iid}: absent combo {combo} found in {a['file']}: {sentence[:120]!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlap", action="store_true", help="list non-gold articles holding every fact")
    args = parser.parse_args()

    problems, articles, urls = [], [], Counter()
    for path in sorted(CORPUS.glob("*.md")):
        meta, text, probs = parse_article(path)
        problems += probs
        urls[meta.get("url")] += 1
        articles.append({"file": path.name, "url": meta.get("url", ""), "meta": meta,
                         "tokens": set(tokens(text)),
                         "sentences": [s for line in text.splitlines() for s in SENTENCE_RE.split(line) if s.strip()]})
    problems += [f"url used by {n} articles: {u}" for u, n in urls.items() if n > 1]

    try:
        data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        print(f"questions.yaml does not parse: {exc}")
        return 1
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        print("questions.yaml: expected a mapping with an items: list")
        return 1
    problems += check_items(items, articles)

    if args.overlap:
        by_url = {a["url"]: a for a in articles}
        for item in items:
            if item.get("expect") == "refuse" or not item.get("facts"):
                continue
            extra = [a["file"] for a in articles if a["url"] not in item.get("gold", [])
                     and all(any(variant_in(v, a["tokens"]) for v in f) for f in item["facts"])]
            if extra and all(g in by_url for g in item.get("gold", [])):
                print(f"overlap {item['id']}: {', '.join(extra)}")

    kinds = Counter(i.get("kind") for i in items)
    splits = Counter((i.get("kind"), i.get("split")) for i in items)
    print(f"{len(articles)} articles, {len(items)} items")
    print(f"{'kind':<12}{'total':>6}{'dev':>6}{'heldout':>9}")
    for k in sorted(kinds):
        print(f"{k:<12}{kinds[k]:>6}{splits[(k, 'dev')]:>6}{splits[(k, 'heldout')]:>9}")
    held = sum(1 for i in items if i.get("split") == "heldout")
    print(f"{'all':<12}{len(items):>6}{len(items) - held:>6}{held:>9}  ({held / max(len(items), 1):.0%} heldout)")
    for p in problems:
        print("PROBLEM", p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
