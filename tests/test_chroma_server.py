"""More than one machine: app processes sharing one real Chroma server (`chroma run` on loopback).

A writer ingests through the server; two separate chat/API server processes answer
from it; an ingest made afterwards is answered by both without restarting them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from live_server import start_chroma, start_servers
from rag.ingest import ingest
from rag.store import Store

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

NEW_FACT = ("The Zorblax observatory in Kettlewick opened on Tuesday after a telescope upgrade costing "
            "40 million euros, its director said.")
QUESTION = "How much did the Zorblax observatory upgrade cost?"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """A real Chroma server from the installed chromadb package, on a free loopback port."""
    folder = tmp_path_factory.mktemp("chroma")
    with start_chroma(folder / "data", log=folder / "chroma.log") as chroma:
        yield chroma.url


def ask(server, question: str) -> dict:
    r = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_two_app_processes_share_one_chroma_server(chroma_url, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    article = next(corpus.glob("*.md"))

    # the writer: ingest through the server (the store lives there, not in a folder)
    report = ingest([corpus], Store.open(url=chroma_url, create=True), embedder, exclude_faq=True)
    assert report.added and report.chunks_embedded > 10

    env = {"RAG_CHROMA_URL": chroma_url, "RAG_RATE_LIMIT": "0"}
    a, b = start_servers((tmp_path / "unused-a", tmp_path / "a"), (tmp_path / "unused-b", tmp_path / "b"), **env)
    try:
        assert not (tmp_path / "unused-a").exists() and not (tmp_path / "unused-b").exists()
        for server in (a, b):
            health = httpx.get(server.url + "/api/health", timeout=10).json()
            assert health["store"]["chunks"] == report.chunks_embedded
            first = ask(server, "What is Anthropic accusing Alibaba of?")
            assert not first["refused"] and "Alibaba" in first["answer"], first
            assert ask(server, QUESTION)["refused"]  # nothing about it yet

        # a later ingest by the writer, while both readers keep running
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("\n## What It Means", f"\n{NEW_FACT}\n\n## What It Means", 1), encoding="utf-8")
        second = ingest([corpus], Store.open(url=chroma_url, create=True), embedder, exclude_faq=True)
        assert second.updated == report.added and second.chunks_embedded > 0

        for server in (a, b):
            deadline = time.monotonic() + 30  # readers re-check the store's generation every 2 s
            while True:
                answer = ask(server, QUESTION)
                if not answer["refused"]:
                    break
                assert time.monotonic() < deadline, f"{server.url} never saw the new ingest"
                time.sleep(0.5)
            assert "40 million euros" in answer["answer"], answer
            quote = answer["citations"][0]["quote"]
            assert quote in NEW_FACT or NEW_FACT in quote, answer
    finally:
        a.stop()
        b.stop()


def test_cli_against_the_server_and_the_writer_lock(chroma_url, tmp_path):
    """`rag ingest`/`rag ask` as separate processes; a second writer waits for the first, then is refused."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    env = {**os.environ, "RAG_CHROMA_URL": chroma_url, "RAG_STORE": str(tmp_path / "unused")}
    run = lambda *args, **kw: subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env,  # noqa: E731
                                             capture_output=True, text=True, timeout=300, **kw)
    done = run("ingest", str(corpus), "--json")
    assert done.returncode == 0, done.stderr
    # a server store has one lock file, in the temp folder: nothing is written where RAG_STORE points
    assert not (tmp_path / "unused").exists()
    assert json.loads(done.stdout)["unchanged"] or json.loads(done.stdout)["added"]

    answer = run("ask", "Which companies are involved in this dispute?", "--json")
    assert answer.returncode == 0, answer.stderr
    assert not json.loads(answer.stdout)["refused"]

    with Store.open(url=chroma_url).writer():
        busy = run("ingest", str(corpus))
    assert busy.returncode != 0
    assert f"Another ingest is writing to {chroma_url}" in busy.stderr, busy.stderr
