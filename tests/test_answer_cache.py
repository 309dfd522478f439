"""Repeated questions are answered from the cache until an ingest changes the store."""
from __future__ import annotations

import shutil
from dataclasses import replace

from conftest import CORPUS, build_store, make_bot
from rag.ingest import ingest
from rag.types import Turn

Q = "What is Anthropic accusing Alibaba of?"


def test_repeat_is_served_from_cache_and_an_ingest_invalidates_it(tmp_path, embedder, settings):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    store, _ = build_store(tmp_path / "store", embedder, corpus=corpus)
    bot = make_bot(store, embedder, settings)
    first = bot.ask(Q)
    again = bot.ask("  what is anthropic ACCUSING alibaba of? ")  # the same question, typed differently
    assert (bot.answers.hits, bot.answers.misses) == (1, 1)
    assert again.to_dict() | {"latency_ms": 0} == first.to_dict() | {"latency_ms": 0}
    again.citations.clear()  # a caller editing its copy does not edit the kept answer
    assert bot.ask(Q).citations == first.citations
    # another conversation is another key
    bot.ask(Q, history=[Turn("Who is Alibaba?", "A Chinese tech company.")])
    assert bot.answers.misses == 2
    # an ingest that changes the coverage: the next answer is computed again and quotes the new text
    art = next(corpus.glob("*.md"))
    art.write_text(art.read_text(encoding="utf-8").replace(
        "Anthropic", "Anthropic (the Claude developer)", 1), encoding="utf-8")
    ingest([corpus], store, embedder, exclude_faq=True)
    bot.retriever.refresh(force=True)
    after = bot.ask(Q)
    assert bot.answers.misses == 3 and not after.refused


def test_cache_off_computes_every_time(tmp_path, embedder, settings, strict_store):
    bot = make_bot(strict_store, embedder, replace(settings, answer_cache=0))
    bot.ask(Q)
    bot.ask(Q)
    assert (bot.answers.hits, bot.answers.misses) == (0, 0)
