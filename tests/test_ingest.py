"""Ingest into a real Chroma folder: incremental, idempotent, and safe with bad input."""
import pytest

from conftest import build_store
from rag import Settings
from rag.chunking import chunk_article
from rag.errors import StoreMismatch, StoreNotFound
from rag.explainer import Explainer
from rag.loaders import load_corpus
from rag.store import Store, lock_path, record_id


def test_reingest_of_an_unchanged_corpus_embeds_nothing(tmp_path, embedder, corpus_copy):
    store, first = build_store(tmp_path / "s", embedder, corpus_copy)
    assert first.added == ["anthropic-alibaba-accusation.md"] and first.chunks_embedded > 10
    _, second = build_store(tmp_path / "s", embedder, corpus_copy)
    assert second.chunks_embedded == 0
    assert second.unchanged == ["anthropic-alibaba-accusation.md"] and not second.added + second.updated
    assert store.count()["chunks"] == first.chunks_embedded


def test_changed_article_replaces_its_chunks(tmp_path, embedder, corpus_copy):
    store, first = build_store(tmp_path / "s", embedder, corpus_copy)
    f = corpus_copy / "anthropic-alibaba-accusation.md"
    text = f.read_text(encoding="utf-8").replace("The Bear Case", "The Skeptics' Case")
    text = text.replace("## What It Means", "Regulators in Brussels asked both firms for comment.\n\n## What It Means")
    f.write_text(text, encoding="utf-8")
    (corpus_copy / "second.md").write_text("---\ntitle: Second story\n---\nAn unrelated follow-up article body.")
    _, report = build_store(tmp_path / "s", embedder, corpus_copy)
    assert report.updated == ["anthropic-alibaba-accusation.md"] and report.added == ["second.md"]
    new = load_corpus([corpus_copy]).articles
    expected = sum(len(chunk_article(a, exclude_faq=True)) for a in new)
    assert store.count()["chunks"] == expected == report.chunks_embedded
    texts = [c.text for _, c in store.current_chunks()]
    assert not any("The Bear Case" in t for t in texts)
    assert any("Regulators in Brussels" in t for t in texts)
    stored = store.article("anthropic-alibaba-accusation.md")
    for _, c in store.current_chunks():
        if c.doc_id == stored.doc_id:
            assert stored.text[c.start:c.end] == c.text


def test_removed_article_disappears(tmp_path, embedder, corpus_copy):
    (corpus_copy / "second.md").write_text("---\ntitle: Second story\n---\nAn unrelated follow-up article body.")
    store, _ = build_store(tmp_path / "s", embedder, corpus_copy)
    (corpus_copy / "second.md").unlink()
    _, report = build_store(tmp_path / "s", embedder, corpus_copy)
    assert report.removed == ["second.md"] and report.chunks_embedded == 0
    assert store.article("second.md") is None
    assert all(c.doc_id != "second.md" for _, c in store.current_chunks())


def test_a_file_that_turns_bad_is_skipped_and_its_stored_version_kept(tmp_path, embedder, corpus_copy):
    store, _ = build_store(tmp_path / "s", embedder, corpus_copy)
    before = store.count()
    (corpus_copy / "anthropic-alibaba-accusation.md").write_bytes(b"\x00\x01binary now")
    (corpus_copy / "broken.json").write_text("{nope")
    _, report = build_store(tmp_path / "s", embedder, corpus_copy)
    assert {s.path.rsplit("/", 1)[-1] for s in report.skipped} == {"anthropic-alibaba-accusation.md", "broken.json"}
    assert not report.removed
    assert store.count() == before


def test_settings_change_is_detected_and_rebuilt(tmp_path, embedder, corpus_copy):
    store, first = build_store(tmp_path / "s", embedder, corpus_copy)
    with pytest.raises(StoreMismatch, match="chunk_tokens: 160 -> 96.*rag ingest corpus/ --store .* --rebuild"):
        Explainer.open(Settings(store_dir=tmp_path / "s", chunk_tokens=96))
    _, report = build_store(tmp_path / "s", embedder, corpus_copy, chunk_tokens=96)
    assert "chunk_tokens: 160 -> 96" in report.rebuilt
    assert store.count()["chunks"] == report.chunks_embedded > first.chunks_embedded
    Explainer.open(Settings(store_dir=tmp_path / "s", chunk_tokens=96))  # consistent again


def test_missing_store_is_an_error_not_a_new_empty_store(tmp_path):
    with pytest.raises(StoreNotFound, match="rag ingest corpus/ --store"):
        Store.open(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


def test_a_store_has_one_lock_file(tmp_path):
    """A server store locks one file named after its URL, whatever folder RAG_STORE names."""
    url = "http://127.0.0.1:8000"
    assert lock_path(tmp_path / "s", url) == lock_path("", url) != lock_path("", "http://127.0.0.1:8001")
    assert lock_path(tmp_path / "s") == tmp_path / "s" / "ingest.lock"
    store = Store.open(tmp_path / "s", create=True)
    with store.writer():
        assert [p.name for p in (tmp_path / "s").glob("*.lock")] == ["ingest.lock"]


def test_interrupted_write_is_recovered(tmp_path, embedder, corpus_copy):
    """A crash after new chunks were written but before the switch leaves the old version."""
    store, first = build_store(tmp_path / "s", embedder, corpus_copy)
    art = load_corpus([corpus_copy]).articles[0]
    doc = art.doc_id
    old_version = store.manifest()[doc]["version"]
    # replay steps 1-2 of put_articles by hand, then "crash"
    rid = record_id(doc)
    meta = store._articles.get(ids=[rid])["metadatas"][0]
    store._articles.update(ids=[rid], metadatas=[{**meta, "pending": "newversion"}])
    store._chunks.upsert(ids=["orphan:newversion:0"], embeddings=[[0.1] * embedder.dim], documents=["half-written"],
                         metadatas=[{"doc_id": doc, "index": 0, "start": 0, "end": 5, "version": "newversion"}])
    assert all(c.text != "half-written" for _, c in store.current_chunks())  # readers never see it
    _, report = build_store(tmp_path / "s", embedder, corpus_copy)
    assert report.recovered == [doc]
    assert store.manifest()[doc] == {"version": old_version, "pending": "", "path": str(art.path)}
    assert store.count()["chunks"] == first.chunks_embedded
