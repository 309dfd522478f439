"""The news suite (evals/news/questions.yaml): the loader, the split rule, the gold rule, and a real run."""
import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from rag import Settings
from rag.errors import RagError
from rag.evaluation.metrics import gold_in_articles
from rag.evaluation.runner import EVALS, run_eval
from rag.evaluation.sets import load_news
from rag.types import Chunk

ROOT = Path(__file__).resolve().parent.parent
NEWS = ROOT / "evals" / "news"
TRAM = ["2019-05-harbourline-tram-approved.md", "2021-09-harbourline-cost-rises.md",
        "2023-03-harbourline-cost-452-million.md", "2024-02-harbourline-review-findings.md"]
U = "https://news.example/city/"
G19, G21, G23, G24 = (U + "2019/05/harbourline-tram-approved", U + "2021/09/harbourline-cost-rises",
                      U + "2023/03/harbourline-cost-452-million", U + "2024/02/harbourline-review-findings")
QUESTIONS = f"""
items:
  - id: tram-stops
    q: How many stations will the Harbourline tram serve?
    kind: factoid
    answer_type: number
    facts: [["14"]]
    gold: [{G19}]
    split: dev
  - id: tram-cost-latest
    q: What is the latest budget for the Harbourline?
    kind: changed
    answer_type: money
    facts: [[$470 million, 470 million]]
    also_ok: ["2024"]
    gold: [{G24}]
    split: dev
  - id: tram-2021-cost
    q: What was the Harbourline's estimated cost in 2021?
    kind: past
    answer_type: money
    facts: [[$365 million, 365 million]]
    gold: [{G21}, {G23}]
    split: dev
  - id: tram-fu-opening
    kind: followup
    turns: ["What is the latest budget for the Harbourline?"]
    q: And when are the first passengers expected to ride?
    answer_type: date
    facts: [["2026"]]
    gold: [{G24}, {G23}]
    split: dev
  - id: tram-over-budget-yn
    q: Has the Harbourline gone over its first budget?
    kind: yesno
    answer_type: yesno
    answer: yes
    facts: [[$452 million, 452 million]]
    gold: [{G23}]
    split: heldout
  - id: tram-fare
    q: How much will a single tram ticket cost?
    kind: near_miss
    expect: refuse
    why: no article gives a fare
    scope: [harbourline]
    absent: [[fare], [ticket]]
    split: dev
"""


def news_folder(tmp_path, text=QUESTIONS) -> Path:
    folder = tmp_path / "evals"
    folder.mkdir(exist_ok=True)
    (folder / "questions.yaml").write_text(text, encoding="utf-8")
    return folder


def test_the_loader_maps_each_news_kind_to_an_eval_item(tmp_path):
    items = {i.id: i for i in load_news(news_folder(tmp_path), "all")}
    assert {k: (i.kind, i.expect, i.news_kind) for k, i in items.items()} == {
        "tram-stops": ("answerable", "answer", "factoid"),
        "tram-cost-latest": ("answerable", "answer", "changed"),
        "tram-2021-cost": ("answerable", "answer", "past"),
        "tram-fu-opening": ("conversation", "answer", "followup"),
        "tram-over-budget-yn": ("answerable", "answer", "yesno"),
        "tram-fare": ("unanswerable", "refuse", "near_miss"),
    }
    fu, yn, fare, latest = items["tram-fu-opening"], items["tram-over-budget-yn"], items["tram-fare"], items["tram-cost-latest"]
    assert fu.history == ("What is the latest budget for the Harbourline?",) and fu.facts == (("2026",),)
    assert fu.gold == (G24, G23) and fu.split == "dev" and fu.answer_type == "date"
    assert yn.answer == "yes" and yn.split == "heldout"  # YAML reads a bare yes as true
    assert fare.why == "no article gives a fare" and not fare.facts
    assert latest.also_ok == ("2024",) and latest.facts == (("$470 million", "470 million"),)


def test_the_committed_news_set_loads_with_the_counts_its_readme_gives():
    dev, heldout = load_news(NEWS, "dev"), load_news(NEWS, "heldout")
    assert (len(dev), len(heldout), len(load_news(NEWS, "all"))) == (226, 97, 323)
    kinds = {k: sum(i.news_kind == k for i in dev) for k in ("factoid", "followup", "changed", "past", "near_miss")}
    assert kinds == {"factoid": 72, "followup": 16, "changed": 17, "past": 20, "near_miss": 39}
    assert all(i.kind == "conversation" for i in dev if i.news_kind == "followup")
    assert all(i.expect == "refuse" and i.kind == "unanswerable" for i in dev if i.news_kind == "near_miss")


def test_the_split_filter_keeps_dev_for_building_and_heldout_apart(tmp_path):
    folder = news_folder(tmp_path)
    assert [i.id for i in load_news(folder)] == ["tram-stops", "tram-cost-latest", "tram-2021-cost",
                                                 "tram-fu-opening", "tram-fare"]  # default: dev
    assert [i.id for i in load_news(folder, "heldout")] == ["tram-over-budget-yn"]
    assert len(load_news(folder, "all")) == 6
    with pytest.raises(RagError, match="split 'test' is not one of dev, heldout, all"):
        load_news(folder, "test")


@pytest.mark.parametrize("change, message", [
    (("    split: dev\n  - id: tram-cost-latest", "    colour: red\n    split: dev\n  - id: tram-cost-latest"),
     "item 1: unknown field(s) colour; use id, q, kind, answer_type, facts, gold, split, expect, why, turns, answer, "
     "also_ok, scope, absent."),
    (("kind: changed", "kind: latest"), "item 2 (tram-cost-latest): 'kind' must be one of factoid, why, how, yesno,"),
    (("    gold: [" + G24 + "]\n    split: dev", "    gold: [" + G24 + "]"),
     "item 2 (tram-cost-latest): 'split' must be one of dev, heldout."),
    (("answer: yes", "answer: maybe"), "item 5 (tram-over-budget-yn): 'answer' must be yes or no"),
    (("    facts: [[\"14\"]]\n", ""), "item 1 (tram-stops): an answerable item needs 'facts'"),
    (("gold: [" + G19 + "]", "gold: " + G19), "item 1 (tram-stops): 'gold' must be a list of texts."),
    (("id: tram-2021-cost", "id: tram-stops"), "eval item id 'tram-stops' is used twice"),
])
def test_a_bad_item_is_rejected_naming_the_file_the_item_and_the_field(tmp_path, change, message):
    old, new = change
    assert old in QUESTIONS
    folder = news_folder(tmp_path, QUESTIONS.replace(old, new, 1))
    with pytest.raises(RagError) as e:
        load_news(folder, "all")
    assert str(folder / "questions.yaml") in str(e.value) and message in str(e.value), str(e.value)


def test_split_is_for_a_news_suite_only():
    with pytest.raises(RagError, match="--split applies to a news suite .* has none"):
        run_eval(ROOT / "corpus", Settings(), EVALS, split="dev")


def test_a_gold_passage_belongs_to_a_gold_article_and_states_a_required_fact():
    def chunk(doc, start, text):
        return Chunk(doc_id=doc, index=0, text=text, start=start, end=start + len(text), section="")

    chunks = [chunk(G21, 0, "The estimate rose to $365 million."), chunk(G21, 40, "Work began on the depot."),
              chunk(G23, 0, "In 2021 the estimate stood at $365 million."), chunk(G24, 0, "The cap is $365 million.")]
    facts = [["$365 million", "365 million"]]
    assert gold_in_articles(facts, chunks, [G21, G23]) == {(G21, 0), (G23, 0)}  # not G24: same figure, wrong article
    assert gold_in_articles(facts, chunks, [G19]) == set()


def test_a_real_news_run_scores_each_kind_and_fails_a_bound_it_does_not_reach(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in TRAM:
        shutil.copy(NEWS / "corpus" / name, corpus / name)
    folder = news_folder(tmp_path)
    th = (NEWS / "thresholds.toml").read_text(encoding="utf-8")
    (folder / "thresholds.toml").write_text(th[:th.index("[min]")] + (
        '[min]\n"groundedness.supported" = 1.0\n"news.near_miss_refused" = 0.0\n'
        '"news.answer_accuracy" = 1.01\n'  # above what any run can reach
        '[max]\n"violations" = 0\n'), encoding="utf-8")
    out = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "rag", "eval", "--corpus", str(corpus), "--evals", str(folder),
                           "--report-dir", str(out), "--update-baseline"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads((out / "report.json").read_text())
    assert data["split"] == "dev" and sorted(i["id"] for i in data["items"]) == [
        "tram-2021-cost", "tram-cost-latest", "tram-fare", "tram-fu-opening", "tram-stops"]  # no held-out item
    m = data["metrics"]
    for name in ("news.answer_accuracy", "news.factoid_accuracy", "news.changed_accuracy", "news.past_accuracy",
                 "news.followup_accuracy", "news.near_miss_refused"):
        assert 0 <= m[name] <= 1, name
    assert "news.why_accuracy" not in m and not any(k.startswith("faq.") for k in m)  # no such items: no score
    passed = {i["id"]: i["passed"] for i in data["items"]}
    answerable = [k for k in passed if k != "tram-fare"]
    assert m["news.answer_accuracy"] == sum(passed[k] for k in answerable) / 4
    assert m["news.changed_accuracy"] == passed["tram-cost-latest"]
    assert all(i["gold_passages"] > 0 for i in data["items"] if i["id"] != "tram-fare")
    failed = [c for c in data["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["news.answer_accuracy"], failed
    assert f"news.answer_accuracy = " in proc.stdout and "(needs >= 1.01)" in proc.stdout
    assert "news.changed_accuracy" in (out / "report.md").read_text() and "news.past_accuracy" in (
        out / "report.html").read_text()
    suites = {s.get("name") for s in ET.parse(out / "junit.xml").getroot()}
    assert {"rag-eval.factoid", "rag-eval.changed", "rag-eval.followup", "rag-eval.near_miss"} <= suites
    baseline = json.loads((folder / "baseline.json").read_text())
    assert list(baseline) == ["extractive:dev"] and baseline["extractive:dev"]["items"] == 5
