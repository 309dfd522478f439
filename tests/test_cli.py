"""The command line, run as a reader would run it: fresh processes, real store."""
import json
import os
import subprocess
import sys

import pytest

from conftest import CORPUS, ROOT


def rag(*args, env=None, input=None):
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, capture_output=True, text=True,
                          env=e, input=input, timeout=300)


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("cli") / "store"
    r = rag("ingest", str(CORPUS), "--store", str(store), "--exclude-faq")
    assert r.returncode == 0, r.stderr
    assert "1 added, 0 updated, 0 unchanged, 0 removed, 0 skipped" in r.stdout
    return store


def test_ingest_twice_reports_unchanged(cli_store):
    r = rag("ingest", str(CORPUS), "--store", str(cli_store), "--exclude-faq", "--json")
    report = json.loads(r.stdout)
    assert report["unchanged"] == ["anthropic-alibaba-accusation.md"] and report["chunks_embedded"] == 0


def test_ask_prints_answer_and_sources(cli_store):
    r = rag("ask", "What is Anthropic accusing Alibaba of?", "--store", str(cli_store))
    assert r.returncode == 0, r.stderr
    assert "[1]" in r.stdout and "Sources:" in r.stdout and "Anthropic's Alibaba Accusation" in r.stdout


def test_ask_json_and_env_store(cli_store):
    r = rag("ask", "Which companies are involved in this dispute?", "--json", env={"RAG_STORE": str(cli_store)})
    d = json.loads(r.stdout)
    assert not d["refused"] and d["citations"][0]["quote"] in CORPUS.joinpath(
        "anthropic-alibaba-accusation.md").read_text(encoding="utf-8")


def test_batch_answers_every_line_and_reports_failures(cli_store, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text("\n".join([
        json.dumps({"id": "a", "q": "What is Anthropic accusing Alibaba of?"}),
        "{broken json",
        json.dumps({"id": "c", "q": ""}),
        json.dumps({"id": "d", "q": "What is its cloud division building?",
                    "history": [{"question": "Tell me about Alibaba's AI ambitions.", "answer": ""}]}),
        json.dumps({"id": "e", "q": "What is the capital of France?"}),
    ]))
    r = rag("ask", "--json", "--batch", str(f), "--store", str(cli_store))
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip().endswith('error: 2 of 5 questions failed; their lines carry an "error" instead of an answer')
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c", "d", "e"]
    assert not out[0]["refused"] and "error" in out[1] and out[2]["error"] == "Please type a question."
    assert "Tongyi Qianwen" in out[3]["answer"] or "Alibaba Cloud" in out[3]["answer"]
    assert out[4]["refused"]


def test_batch_without_failures_exits_0(cli_store):
    lines = "\n".join(json.dumps({"id": i, "q": q}) for i, q in enumerate(["Who is accusing Alibaba?", "Why?"]))
    r = rag("ask", "--json", "--batch", "-", "--store", str(cli_store), input=lines + "\n\n")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == [0, 1] and "failed" not in r.stderr


def test_missing_store_gives_a_clear_error(tmp_path):
    r = rag("ask", "Anything?", "--store", str(tmp_path / "none"))
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: No store at {tmp_path / 'none'}. Build it with: rag ingest corpus/ --store {tmp_path / 'none'}"
    assert "Traceback" not in r.stderr


def test_verify_judges_every_line_and_reports_bad_ones(tmp_path):
    p = ("Anthropic said on Tuesday that Alibaba illicitly accessed its Claude models through third-party accounts, "
         "a charge Alibaba denied.")
    f = tmp_path / "pairs.jsonl"
    f.write_text("\n".join([
        json.dumps({"id": "swap", "sentence": "Alibaba said on Tuesday that Anthropic illicitly accessed its Claude "
                    "models through third-party accounts.", "passage": p}),
        "{broken json",
        json.dumps({"id": "same", "sentence": "Anthropic said Alibaba illicitly accessed its Claude models.", "passage": p}),
        json.dumps({"id": "empty", "sentence": "", "passage": p}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "para", "sentence": "Anthropic claims Alibaba got into its Claude models improperly using "
                    "other companies' accounts, which Alibaba rejects.", "passage": p}),
    ]) + "\n")
    r = rag("verify", "--json", str(f))
    assert r.returncode == 1, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["swap", 2, "same", "empty", 5, "para"]
    assert out[0]["supported"] is False and "role" in out[0]["reason"]
    assert out[2]["supported"] is True and out[5]["supported"] is True
    assert "not valid JSON" in out[1]["error"] and "sentence" in out[3]["error"] and "JSON object" in out[4]["error"]
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": 1, "sentence": "Alibaba denied the charge.", "passage": p}) + "\n")
    r = rag("verify", "--json", str(good))
    assert r.returncode == 0 and json.loads(r.stdout)["supported"] is True, r.stderr
    r = rag("verify", "--json", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "does not exist" in r.stderr
