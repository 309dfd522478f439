"""The small types that travel between pipeline stages.

Library types (chromadb, llama-index) never cross a module boundary; these do.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class QAPair:
    """One question/answer pair from an article's FAQ block."""

    question: str
    answer: str
    q_start: int
    a_start: int


@dataclass(frozen=True)
class Block:
    """A run of article text (paragraph, heading, pull quote) with its section."""

    start: int
    end: int
    section: str
    kind: str = "paragraph"  # heading | title | dek | paragraph | faq


@dataclass(frozen=True)
class Article:
    """A normalised article: one text, offsets into it, and its metadata."""

    doc_id: str
    title: str
    text: str
    blocks: tuple[Block, ...]
    url: str = ""
    published: str = ""
    updated: str = ""
    byline: str = ""
    source: str = ""
    dek: str = ""
    path: str = ""
    faq: tuple[QAPair, ...] = ()

    def content_hash(self) -> str:
        import hashlib

        h = hashlib.sha256()
        for part in (self.doc_id, self.title, self.url, self.published, self.text):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()[:24]


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store holds it (what citations are checked against)."""

    doc_id: str
    version: str  # `Article.content_hash` of the stored article: names its chunks
    faq: tuple[QAPair, ...]
    title: str
    text: str
    url: str
    published: str
    path: str = ""
    dek: str = ""


@dataclass(frozen=True)
class Skipped:
    """A file (or record) the loader could not use, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a verbatim slice text[start:end] of one article."""

    doc_id: str
    index: int
    text: str
    start: int
    end: int
    section: str
    title: str = ""
    url: str = ""
    published: str = ""


@dataclass(frozen=True)
class Hit:
    """A chunk returned by retrieval, with its fused score and rank."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    lexical: float = 0.0


@dataclass(frozen=True)
class Citation:
    """The evidence behind one [n] marker: a verbatim quote at its span."""

    n: int
    doc_id: str
    title: str
    url: str
    quote: str
    start: int
    end: int
    score: float
    published: str = ""
    section: str = ""


@dataclass(frozen=True)
class Turn:
    """One previous exchange of a conversation."""

    question: str
    answer: str = ""


@dataclass
class Answer:
    """What `ask` returns: a short cited answer or a plain refusal."""

    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0
    backend: str = "extractive"
    fallback: bool = False
    dropped: list[str] = field(default_factory=list)  # draft sentences the checker removed, with the reason
    notice: str = ""
    drafted: int = 0  # sentences in the backend's draft (len(dropped) of them were removed)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["latency_ms"] = round(self.latency_ms, 2)
        for c in d["citations"]:
            c["score"] = round(c["score"], 4)
        return d
