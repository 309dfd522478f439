"""Chunking: verbatim slices, token-bounded, sentence-aligned, FAQ separable."""
from conftest import CORPUS
from rag.chunking import chunk_article, count_tokens
from rag.loaders import load_corpus
from rag.types import Article, Block

ART = load_corpus([CORPUS]).articles[0]


def test_chunks_are_verbatim_token_bounded_slices():
    chunks = chunk_article(ART, size=160, overlap=40)
    assert len(chunks) >= 10  # small enough that retrieval means something
    for c in chunks:
        assert ART.text[c.start:c.end] == c.text
        assert count_tokens(c.text) <= 160
        assert c.text[-1] in ".?!\"”'’" or c.section in ("title", "faq") or "\n" not in c.text


def test_chunks_overlap_by_whole_sentences_and_never_cross_a_heading():
    chunks = [c for c in chunk_article(ART) if c.section == "lead"]
    assert len(chunks) >= 2
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # overlap
        assert ART.text[b.start - 1] == " " or ART.text[b.start - 1] == "\n"  # starts at a sentence
    headings = [b for b in ART.blocks if b.kind == "heading"]
    for c in chunk_article(ART):
        inside = [h for h in headings if c.start < h.start < c.end]
        assert not inside, (c.text[:60], [ART.text[h.start:h.end] for h in inside])


def test_faq_is_its_own_section_and_can_be_left_out():
    full = chunk_article(ART)
    strict = chunk_article(ART, exclude_faq=True)
    faq = [c for c in full if c.section == "faq"]
    assert len(faq) == len(ART.faq) == 6
    assert all(c.section != "faq" for c in strict)
    assert len(full) - len(strict) == 6
    assert not any("Frequently asked questions" in c.text for c in strict)


def test_long_sentence_without_punctuation_is_split():
    text = "Title\n\n" + " ".join(["word"] * 2000)
    art = Article("x", "Title", text, (Block(0, 5, "title", "title"), Block(7, len(text), "lead")))
    chunks = chunk_article(art, size=100, overlap=20)
    assert len(chunks) > 10
    assert all(count_tokens(c.text) <= 100 and text[c.start:c.end] == c.text for c in chunks)
