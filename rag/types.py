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
    facts: str = ""  # rag.facts.ArticleFacts as JSON, added at ingest (not part of the content hash)
    section: str = ""  # the desk or category the publisher files it under
    language: str = ""  # as the page declares it: "en", "en-GB"
    correction: str = ""  # the article's correction notes (they stay in `text` too), for its citations

    def content_hash(self) -> str:
        import hashlib

        h = hashlib.sha256()
        # `updated` and `correction` only when set, so articles without them keep the versions they had
        for part in (self.doc_id, self.title, self.url, self.published, self.text):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        for part in (self.updated, self.correction):
            if part:
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
    facts: str = ""  # rag.facts.ArticleFacts as JSON (see rag.facts)
    updated: str = ""
    correction: str = ""
    byline: str = ""
    section: str = ""
    language: str = ""


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
    updated: str = ""
    correction: str = ""  # the article's correction notes, shown with its citations


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
    published: str = ""  # ISO 8601, when known
    section: str = ""
    updated: str = ""  # ISO 8601, when the article says it was updated
    correction: str = ""  # the article's correction notes, when it has any


@dataclass(frozen=True)
class Turn:
    """One previous exchange of a conversation."""

    question: str
    answer: str = ""


@dataclass
class Trace:
    """How an answer came about, for editors and the eval harness: never sent to readers.

    It holds text the gate withheld (a model's unsupported or injected sentences), so the
    public API returns it only with the editors' token and `Answer.to_dict()` leaves it out.
    """

    query: str = ""  # the standalone question used for retrieval (follow-ups resolved)
    draft: str = ""  # what the backend wrote, unverified
    asked: dict = field(default_factory=dict)  # what the question was understood to ask (kind, years, names)
    passages: list[dict] = field(default_factory=list)  # retrieved: doc_id, index, start, end, score, dense, lexical
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (drafted sentence, why the checker removed it)
    problems: list[str] = field(default_factory=list)  # what the final gate found (the answer was then withheld)
    retracted: int = 0  # sentences shown while streaming that the final answer no longer holds
    fallback_reason: str = ""  # why the extractive answer replaced the model's
    timings: dict[str, float] = field(default_factory=dict)  # ms since the question: retrieve, draft, first_draft, first_shown, total; durations: understand_ms, embed_ms, search_ms, select_ms, verify_ms
    notes: list[str] = field(default_factory=list)  # what a backend says about its choice (candidates, rejections)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["dropped"] = [{"sentence": s, "reason": r} for s, r in self.dropped]
        d["timings"] = {k: round(v, 2) for k, v in self.timings.items()}
        return d


@dataclass
class Answer:
    """What `ask` returns: a short cited answer or a plain refusal.

    Only verified text is public: `to_dict()` (the CLI's JSON, the HTTP API) carries how many
    drafted sentences the checker removed (`dropped`), never their text; that is in `trace`.
    """

    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0
    backend: str = "extractive"
    fallback: bool = False
    dropped: int = 0  # drafted sentences the checker removed (their text and reasons: trace.dropped)
    notice: str = ""
    drafted: int = 0  # sentences in the backend's draft
    # said before the sentences, in our own fixed wording about the first citation: the date a dated answer
    # stands as of ("As of 26 January 2023:", from that article's metadata), then a yes/no answer in plain
    # words ("No.", "Not so far.", "Carrow says no.") or "Not disclosed so far." before a sentence saying the
    # asked thing is not known; read from that sentence and shown only with it
    lead: str = ""
    trace: Trace = field(default_factory=Trace, repr=False)

    def to_dict(self, trace: bool = False) -> dict:
        """The public shape; `trace=True` adds the trace (editors and local tools only)."""
        d = asdict(self)
        del d["trace"]
        d["latency_ms"] = round(self.latency_ms, 2)
        for c in d["citations"]:
            c["score"] = round(c["score"], 4)
        if trace:
            d["trace"] = self.trace.to_dict()
        return d
