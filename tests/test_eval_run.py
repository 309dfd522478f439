"""`rag eval` end to end: a fresh strict store, every item through Explainer.ask, reports, and a
doctored corpus that must fail."""
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from conftest import CORPUS, ROOT
from rag import Settings
from rag.citations import support
from rag.evaluation import report
from rag.evaluation.runner import compare_baseline, run_eval, update_baseline
from rag.loaders import load_corpus
from rag.text import sentence_spans

ART = load_corpus([CORPUS]).articles[0]
DOCTORED = (0, 1)  # the FAQ pairs whose supporting body sentences the doctored corpus loses


@pytest.fixture(scope="module")
def run(embedder):
    return run_eval(CORPUS, Settings(), embedder=embedder)


def test_the_faq_set_is_read_from_the_corpus_faq_blocks(run):
    faq = [r.item for r in run.items if r.item.kind == "faq"]
    assert [(i.question, i.reference) for i in faq] == [(p.question, p.answer) for p in ART.faq]
    assert len({r.item.id for r in run.items}) == len(run.items)
    assert {r.item.kind for r in run.items} == {"faq", "answerable", "unanswerable", "adversarial", "conversation"}


def test_every_item_is_answered_by_the_pipeline_and_the_hard_rules_hold(run):
    assert all(r.answer is not None and r.answer.latency_ms > 0 and not r.error for r in run.items)
    assert run.strict and all(c.section != "faq" for r in run.items for c in (r.answer.citations if r.answer else []))
    m = run.metrics
    assert m["violations"] == 0 and m["errors"] == 0
    assert m["citations.validity"] == 1.0 and m["groundedness.supported"] == 1.0
    assert run.mutation.ok and run.mutation.total >= 9 * 3 and run.mutation.rejected == run.mutation.total
    # the gate's verdict is exactly "all checks hold"
    assert run.passed == all(c.ok for c in run.checks)
    for item_id in (f"faq-anthropic-alibaba-accusation-{i + 1}" for i in DOCTORED):
        assert next(r for r in run.items if r.item.id == item_id).passed  # these pass on the real corpus


def test_reports_are_written_for_people_and_for_ci(run, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    paths = report.write_all(run, tmp_path / "out")

    data = json.loads(paths["json"].read_text())
    assert data["passed"] == run.passed and len(data["items"]) == len(run.items)
    assert set(data["metrics"]) <= set(data["meanings"])
    assert data["mutation"]["total"] == run.mutation.total

    suites = ET.parse(paths["junit"]).getroot().findall("testsuite")
    cases = [c for s in suites if s.get("name") != "rag-eval.gate" for c in s.findall("testcase")]
    assert sorted(c.get("name") for c in cases) == sorted(r.item.id for r in run.items)
    failing = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failing == {r.item.id for r in run.items if not r.passed}

    page = paths["html"].read_text()
    assert page.count("<details") == len(run.items) and "<svg" in page and "<script" not in page
    assert "&lt;/context&gt;&lt;system&gt;" in page and "</context><system>" not in page  # escaped
    assert "&lt;|im_start|&gt;" in page
    md = paths["md"].read_text()
    assert md.startswith(f"## rag eval: {'PASSED' if run.passed else 'FAILED'}") and "`faq.recall`" in md
    assert summary.read_text() == "earlier step\n" + md + "\n"


def test_the_console_table_says_what_failed_and_why(run):
    text = report.console(run)
    assert "retrieval.hit_rate" in text and "mutation self-test:" in text
    for r in run.items:
        for why in r.failures + r.violations:
            assert f"{r.item.id}: {why}" in text
    assert ("PASSED" if run.passed else "FAILED") in text


def test_a_drop_below_the_committed_baseline_fails(run, tmp_path):
    path = tmp_path / "baseline.json"
    update_baseline(run, path)
    same = dataclasses.replace(run, checks=list(run.checks))
    compare_baseline(same, path)
    assert same.baseline["compared"] and same.baseline["newly_failing"] == []
    assert not any(c.name.startswith("baseline") for c in same.checks)

    data = json.loads(path.read_text())
    data[run.backend]["metrics"]["faq.recall"] = run.metrics["faq.recall"] + 0.2  # a better past
    path.write_text(json.dumps(data))
    worse = dataclasses.replace(run, checks=list(run.checks))
    compare_baseline(worse, path)
    assert [c.name for c in worse.checks if not c.ok and c.name.startswith("baseline")] == ["baseline faq.recall"]
    assert not worse.passed

    data[run.backend]["corpus"] = "another corpus"
    path.write_text(json.dumps(data))
    other = dataclasses.replace(run, checks=list(run.checks))
    compare_baseline(other, path)
    assert not other.baseline["compared"]


def _doctor(corpus_dir) -> list[str]:
    """Delete from the article every body sentence that backs the chosen FAQ answers."""
    body = [ART.text[s:e] for b in ART.blocks if b.section != "faq" for s, e in sentence_spans(ART.text, b.start, b.end)]
    path = corpus_dir / "anthropic-alibaba-accusation.md"
    md = path.read_text(encoding="utf-8")
    removed = []
    for i in DOCTORED:
        for sentence in body:
            if support(ART.faq[i].answer, sentence).recall >= 0.3 and sentence in md:
                md = md.replace(sentence, "")
                removed.append(sentence)
    path.write_text(md, encoding="utf-8")
    return removed


def test_the_eval_fails_when_the_body_loses_the_evidence_for_faq_answers(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    removed = _doctor(corpus)
    assert 1 <= len(removed) <= 4  # a few sentences, not the article
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    proc = subprocess.run([sys.executable, "-m", "rag", "eval", "--corpus", str(corpus), "--report-dir",
                           str(tmp_path / "reports")], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAILED" in out and "faq.pass_rate" in out
    for i in DOCTORED:
        assert f"faq-anthropic-alibaba-accusation-{i + 1}: no body passage backs the editor's answer" in out
    data = json.loads((tmp_path / "reports" / "report.json").read_text())
    failed = {it["id"] for it in data["items"] if not it["passed"]}
    assert {f"faq-anthropic-alibaba-accusation-{i + 1}" for i in DOCTORED} <= failed
    assert data["metrics"]["violations"] == 0  # the bot stays grounded; it is the FAQ that lost its evidence
    assert summary.read_text().startswith("## rag eval: FAILED")
    assert (tmp_path / "reports" / "junit.xml").is_file() and (tmp_path / "reports" / "report.html").is_file()


def test_a_missing_corpus_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rag", "eval", "--corpus", str(tmp_path / "nope"), "--report-dir",
                           str(tmp_path / "r")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2
    assert f"error: No corpus folder at {tmp_path / 'nope'}. Give one with: rag eval --corpus corpus/" in proc.stderr
