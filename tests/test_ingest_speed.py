"""The speed paths keep behaviour: stored sentence vectors, stat-only re-ingest, numpy BM25."""
from __future__ import annotations

import os
import time
from collections import Counter

from conftest import build_store, make_bot
from rag import Settings
from rag.embedding import Embedder
from rag.retrieve import Lexical
from rag.text import content_terms, quotable_sentences
from rag.types import Chunk


def test_answering_runs_the_model_on_the_question_only(tmp_path, embedder, corpus_copy):
    store, report = build_store(tmp_path / "s", embedder, corpus_copy)
    assert report.sentences_embedded > report.chunks_embedded  # stored in the same ingest
    fresh = Embedder(Settings().embed_model)  # nothing cached
    calls = Counter()
    documents = fresh.documents

    def counted(texts):
        calls["documents"] += len(texts)
        return documents(texts)

    fresh.documents = counted
    q = "What is Anthropic accusing Alibaba of?"
    got = make_bot(store, fresh).ask(q)
    assert calls["documents"] == 0, "candidate sentences were embedded at ask time"
    want = make_bot(store, embedder).ask(q)
    assert got.answer == want.answer and not got.refused


def test_changed_article_replaces_its_sentence_vectors(tmp_path, embedder, corpus_copy):
    store, _ = build_store(tmp_path / "s", embedder, corpus_copy)
    old = [s for _, c in store.current_chunks() for s in quotable_sentences(c.text)]
    art = next(corpus_copy.glob("*.md"))
    gone = "The specific nature of Anthropic's claims remains under wraps."
    assert gone in old and gone in art.read_text()
    art.write_text(art.read_text().replace(gone, "The claims were described in a filing on Monday morning."))
    _, report = build_store(tmp_path / "s", embedder, corpus_copy)
    assert report.updated and report.chunks_embedded > 0
    assert gone not in store.sentence_vectors([gone])
    new = [s for _, c in store.current_chunks() for s in quotable_sentences(c.text)]
    assert set(store.sentence_vectors(new)) == set(new)
    store_vectors = store.sentence_vectors(new[:3])
    for s in new[:3]:
        assert max(abs(a - b) for a, b in zip(store_vectors[s], embedder.documents([s])[0])) < 1e-4


def test_unchanged_files_are_not_read_and_changed_ones_are(tmp_path, embedder, corpus_copy, monkeypatch):
    import rag.ingest as ingest_module

    art = next(corpus_copy.glob("*.md"))
    time.sleep(2.1)  # let the copy age: a file changed in the last 2 s is always read (next test)
    store, _ = build_store(tmp_path / "s", embedder, corpus_copy)
    reads = []
    load_file = ingest_module.load_file
    monkeypatch.setattr(ingest_module, "load_file", lambda root, f, cap: reads.append(f.name) or load_file(root, f, cap))
    _, second = build_store(tmp_path / "s", embedder, corpus_copy)
    assert second.unchanged == [art.name] and second.chunks_embedded == 0 and reads == []
    # same size and modification time put back, new text: the change time still gives it away
    st = art.stat()
    swapped = art.read_text().replace("Alibaba", "Alibabb", 1)
    assert len(swapped.encode()) == st.st_size
    art.write_text(swapped)
    os.utime(art, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, third = build_store(tmp_path / "s", embedder, corpus_copy)
    assert reads == [art.name] and third.updated == [art.name] and third.chunks_embedded > 0


def test_a_file_changed_seconds_ago_is_read_next_time_too(tmp_path, embedder, corpus_copy):
    """A second write in the same clock tick would not move size or times, so a file that changed in the
    last seconds gets no signature: the next ingest reads it again."""
    art = next(corpus_copy.glob("*.md"))
    art.write_text(art.read_text())
    store, first = build_store(tmp_path / "s", embedder, corpus_copy)
    assert first.added == [art.name] and store.manifest(sigs=True)[art.name]["sig"] == ""


def test_numpy_bm25_matches_the_formula():
    texts = ["Alibaba cloud builds models.", "Anthropic accuses Alibaba.", "Venture capital pours into AI startups.",
             "Alibaba Alibaba cloud division."]
    chunks = [Chunk("d", i, t, 0, len(t), "lead") for i, t in enumerate(texts)]
    lex = Lexical(chunks)
    docs = [content_terms(t) for t in texts]
    avg = sum(map(len, docs)) / len(docs)

    def bm25(q, d):
        score = 0.0
        for t in set(content_terms(q)):
            tf = d.count(t)
            if tf:
                score += lex.idf(t) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(d) / avg))
        return score

    for q in ("Alibaba cloud", "Anthropic", "startups capital", "nothing matches here"):
        want = sorted(((i, bm25(q, d)) for i, d in enumerate(docs) if bm25(q, d) > 0), key=lambda x: (-x[1], x[0]))
        got = lex.search(q, 10)
        assert [i for i, _ in got] == [i for i, _ in want]
        assert all(abs(a - b) < 1e-9 for (_, a), (_, b) in zip(got, want))
    assert lex.search("Alibaba", 1) == lex.search("Alibaba", 10)[:1]
