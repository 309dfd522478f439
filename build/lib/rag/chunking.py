"""Split an article into passages: token-aware, on sentence boundaries, with overlap.

A chunk is always a verbatim slice article.text[start:end], so every quote drawn
from it can be located again. Chunks never cross a section heading; each FAQ
pair is a chunk of its own, so the FAQ can be left out of the index.
"""
from __future__ import annotations

from functools import lru_cache

from .text import sentence_spans
from .types import Article, Chunk

CHUNKER_VERSION = "2"


@lru_cache(maxsize=1)
def _tokenizer():
    # The tokenizer llama-index's get_tokenizer() returns (gpt-3.5-turbo's cl100k_base, special tokens
    # allowed), without importing llama_index.core (2-3 s of imports per ingest process). Its BPE file
    # ships inside llama-index; tiktoken.get_encoding would download it: _offline points
    # TIKTOKEN_CACHE_DIR at that copy first.
    from functools import partial

    from . import _offline  # noqa: F401
    import tiktoken

    return partial(tiktoken.encoding_for_model("gpt-3.5-turbo").encode, allowed_special="all")


def count_tokens(text: str) -> int:
    return len(_tokenizer()(text))


def chunk_article(article: Article, size: int = 160, overlap: int = 40, exclude_faq: bool = False) -> list[Chunk]:
    """Chunks of about `size` tokens; consecutive chunks share up to `overlap` tokens of whole sentences."""
    groups: list[list[tuple[int, int]]] = []  # runs of sentence spans that may share a chunk
    run: list[tuple[int, int]] = []
    run_section = None
    only_heading = False
    head = [b for b in article.blocks if b.kind in ("title", "dek")]
    if head:
        groups.append([(head[0].start, head[-1].end)])
    for b in article.blocks:
        if b.kind in ("title", "dek"):
            continue
        if b.section == "faq" and exclude_faq:
            continue
        question = b.kind == "faq" and article.text[b.start:b.end].rstrip().endswith("?")
        starts_new = b.kind == "heading" or b.section != run_section or (question and not only_heading)
        if starts_new and run:
            groups.append(run)
            run = []
        run_section = b.section
        only_heading = b.kind == "heading"
        run.extend(sentence_spans(article.text, b.start, b.end))
    if run:
        groups.append(run)

    section_at = _section_lookup(article)
    chunks: list[Chunk] = []
    for spans in groups:
        for s, e in _pack(article.text, spans, size, overlap):
            chunks.append(Chunk(
                doc_id=article.doc_id, index=len(chunks), text=article.text[s:e], start=s, end=e,
                section=section_at(s), title=article.title, url=article.url, published=article.published,
                updated=article.updated, correction=article.correction,
            ))
    return chunks


def _section_lookup(article: Article):
    def at(pos: int) -> str:
        for b in article.blocks:
            if b.start <= pos < b.end:
                # a chunk opening on a heading belongs to the section the heading opens
                return b.section
        return "lead"

    return at


def _pack(text: str, spans: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    units: list[tuple[int, int, int]] = []
    for s, e in spans:
        n = count_tokens(text[s:e])
        if n <= size:
            units.append((s, e, n))
        else:
            units.extend(_split_long(text, s, e, size))
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= size):
            total += units[j][2]
            j += 1
        out.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        # step back over whole sentences that fit in the overlap budget
        k, back = j, 0
        while k - 1 > i and back + units[k - 1][2] <= overlap:
            back += units[k - 1][2]
            k -= 1
        i = k
    return out


def _split_long(text: str, s: int, e: int, size: int) -> list[tuple[int, int, int]]:
    """A sentence longer than a chunk is cut at word boundaries into pieces of about `size` tokens."""
    import re

    pieces: list[tuple[int, int, int]] = []
    cur_start, cur_end, cur_n = None, None, 0
    for m in re.finditer(r"\S{1,400}", text[s:e]):  # a 400-char cap cuts giant "words" too
        ws, we = s + m.start(), s + m.end()
        n = count_tokens(text[ws:we])
        if cur_start is not None and cur_n + n > size:
            pieces.append((cur_start, cur_end, cur_n))
            cur_start, cur_n = None, 0
        if cur_start is None:
            cur_start = ws
        cur_end, cur_n = we, cur_n + n
    if cur_start is not None:
        pieces.append((cur_start, cur_end, cur_n))
    return pieces
