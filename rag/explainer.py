"""The pipeline a reader talks to: question -> retrieve -> draft -> verify -> cited answer.

`Explainer.ask` is the one code path behind the CLI, the chat UI, the HTTP API
and the evals. Whatever a backend drafts, only sentences the citation checker
accepts reach the reader, also while an answer streams; if too little survives,
the extractive answer is used. What the checker removed is counted in the answer
and kept, with the reasons, in its trace (for editors and evals, never readers).

Why 310 lines: the pipeline and its streaming view (`_Shown`, which gates each sentence before a
reader sees it) share the verify/compose steps; `_Shown` can move beside it if it grows.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterator

from . import _offline  # noqa: F401
from .answer_cache import AnswerCache
from .backends import REFUSAL, Backend, Request, load_backend
from .citations import check_answer, split_cited, verify
from .config import Settings
from .embedding import Embedder
from .errors import BackendError, BadQuestion, StoreMismatch
from .facts import ArticleFacts, article_facts, holds_kind
from .ingest import fingerprint
from .question import aimed_at_model, condense, for_log, parse_history, validate, validate_top_k
from .retrieve import Retriever
from .scope import resolve, story_examples, with_notice
from .store import Store
from .types import Answer, Citation, Hit, Trace, Turn
from .understand import understand

log = logging.getLogger("rag")

# A model draft that loses most of its words to the checker is no longer the answer the
# model meant (what survives is a fragment of it): the extractive answer is used instead.
MIN_KEPT_SHARE = 0.3
UNAVAILABLE = "The generative model was unavailable; showing quoted sentences."
UNVERIFIED = "The generated answer could not be checked against the sources; showing quoted sentences."


@dataclass(frozen=True)
class Event:
    """A step of a streamed answer. No event ever carries unverified text.

    `progress`: the model is writing; `checked` drafted sentences have been checked so far.
    `partial`: `answer` holds the sentences verified so far (it passed the same gate as a final answer).
    `final`: the answer; it is the only authority (a partial sentence it no longer holds was retracted).
    """

    kind: str  # "progress" | "partial" | "final"
    answer: Answer | None = None
    checked: int = 0


class Explainer:
    """An open store plus models, answering questions about the coverage."""

    def __init__(self, store: Store, embedder: Embedder, backend: Backend, settings: Settings):
        self.store, self.embedder, self.backend, self.settings = store, embedder, backend, settings
        self.retriever = Retriever(store, embedder, top_k=settings.top_k, recency=settings.recency_bonus)
        self._texts: dict[str, str | None] = {}
        self._texts_gen = -1
        self._fallback = backend if backend.name == "extractive" else load_backend("extractive", settings, embedder)
        self.answers = AnswerCache(settings.answer_cache)

    @classmethod
    def open(cls, settings: Settings | None = None, **overrides) -> "Explainer":
        """Open the configured store (it must exist) and load the models once."""
        settings = settings or Settings.from_env(**overrides)
        store = Store.open(settings.store_dir, url=settings.chroma_url)
        embedder = Embedder.from_settings(settings)
        built = store.fingerprint()
        want = fingerprint(embedder, settings.chunk_tokens, settings.chunk_overlap, built.get("exclude_faq", False))
        if built and built != want:
            raise StoreMismatch(str(settings.store_dir if not settings.chroma_url else settings.chroma_url), built, want)
        backend = load_backend(settings.backend, settings, embedder)
        return cls(store, embedder, backend, settings)

    # ------------------------------------------------------------------ asking

    def ask(self, question, history=None, top_k: int | None = None, prefer_doc: str = "") -> Answer:
        """Answer one question; `history` holds previous turns (see question.parse_history). `prefer_doc`
        (an article id or URL: the story an embed sits in) makes retrieval prefer that article, and the
        answer says when it cites other coverage; a reference to no stored article is ignored."""
        final = None
        for event in self.stream(question, history, top_k, prefer_doc):
            if event.kind == "final":
                final = event.answer
        return final

    def stream(self, question, history=None, top_k: int | None = None, prefer_doc: str = "") -> Iterator[Event]:
        """Like `ask`, yielding progress and each verified sentence as the draft completes it, then the answer."""
        t0 = time.perf_counter()
        ms = lambda: (time.perf_counter() - t0) * 1000  # noqa: E731
        try:
            q = validate(question, self.settings.max_question_chars)
            turns = parse_history(history)
            top_k = validate_top_k(top_k)
        except BadQuestion as e:
            # operators see abuse; for_log keeps a reader's newlines and escapes from forging log lines
            log.info("rejected a question (%s): %s", e, for_log(question, 200))
            raise
        if aimed_at_model(q):
            # Role tags, "ignore your instructions", encoded payloads: never worth a model call.
            log.info("refused a question aimed at the model: %s", for_log(q, 200))
            answer = Answer(REFUSAL, refused=True, backend=self.backend.name, latency_ms=ms())
            yield Event("final", answer)
            return
        self.retriever.refresh()
        doc = self.article_id(prefer_doc)
        key = self.answers.key(q, turns, top_k, self.backend.name, doc)
        generation = self.retriever.generation
        cached = self.answers.get(key, generation)
        if cached is not None:
            cached.latency_ms = ms()
            yield Event("final", cached)
            return
        failure = None
        try:
            # A model backend rewrites a follow-up into a standalone question before retrieval.
            query = self.backend.condense(q, turns)
        except BackendError as e:
            failure, query = e, condense(q, turns)
        stages: dict[str, float] = {}
        request = self._request(q, turns, top_k, query=query, stages=stages, prefer_doc=doc)
        trace = Trace(query=query, passages=[_passage(h) for h in request.hits], asked=_asked(request.asked))
        trace.timings["retrieve"] = ms()
        trace.timings.update(stages)  # understand_ms, embed_ms, search_ms: durations, not offsets
        answer = None
        draft = ""
        shown = _Shown(self, request) if self.backend is not self._fallback else None
        if request.hits and failure is None:
            if shown:
                yield Event("progress")
            try:
                for piece in self.backend.generate(request):
                    if not draft and piece:
                        trace.timings["first_draft"] = ms()
                    draft += piece
                    if shown:
                        yield from shown.update(draft, trace, ms)
            except BackendError as e:
                failure = e
            trace.timings["draft"], trace.draft = ms(), draft
            trace.timings["select_ms"] = trace.timings["draft"] - trace.timings["retrieve"]
        if failure is not None:
            log.warning("backend %s failed, falling back to extractive: %s", self.backend.name, failure)
            trace.fallback_reason = f"the model failed: {failure}"
            answer, _ = self._compose(self._draft(self._fallback, request), request)
            answer.fallback, answer.notice, answer.drafted = True, UNAVAILABLE, 0
        if answer is None:
            if shown:
                yield from shown.update(draft, trace, ms, final=True)
            answer, trace.dropped = self._compose(draft or REFUSAL, request)
            if answer.refused and self.backend is not self._fallback:
                fb, _ = self._compose(self._draft(self._fallback, request), request)
                fb.fallback, fb.dropped, fb.drafted = True, answer.dropped, answer.drafted
                trace.fallback_reason = "too little of the draft survived the check" if answer.drafted else \
                    "the model drafted nothing or refused"
                if answer.dropped and not fb.refused:
                    fb.notice = UNVERIFIED
                answer = fb
        answer.backend = self.backend.name
        trace.notes = [n for n in request.notes if not n.startswith("notice: ")]
        covered = [n[len("notice: "):] for n in request.notes if n.startswith("notice: ")]
        if answer.refused and covered and not answer.notice:
            answer.notice = covered[0]  # built from years in the coverage: no corpus or model text
        answer.trace = trace
        answer = self._gate(answer)
        answer.notice = with_notice(answer, doc)
        if not answer.refused:
            answer.lead = _lead(request.notes, answer, request.asked)
        if shown:
            shown.settle(answer)
        answer.latency_ms = trace.timings["total"] = ms()
        trace.timings["verify_ms"] = ms() - trace.timings.get("draft", trace.timings["retrieve"])
        if failure is None:  # after a model failure the next request should try the model again
            self.answers.put(key, generation, answer)
        yield Event("final", answer)

    def _request(self, q: str, turns: list[Turn], top_k: int | None, query: str | None = None,
                 stages: dict | None = None, prefer_doc: str = "") -> Request:
        query = condense(q, turns) if query is None else query
        stages = {} if stages is None else stages
        t = time.perf_counter()
        asked = understand(query)
        t, stages["understand_ms"] = time.perf_counter(), (time.perf_counter() - t) * 1000
        emb = self.embedder.query(query)
        t, stages["embed_ms"] = time.perf_counter(), (time.perf_counter() - t) * 1000
        holds = self._holds(asked) if asked.factoid and asked.kind != "place" else None
        hits = self.retriever.search(query, top_k, embedding=emb, asked=asked, holds=holds, dated=self._dated,
                                     prefer_doc=prefer_doc)
        stages["search_ms"] = (time.perf_counter() - t) * 1000
        lex = self.retriever.lexical
        top_idf = lex.idf("\x00")  # the idf of a term seen nowhere: an upper bound
        return Request(question=q, query=query, hits=hits, history=turns, query_embedding=emb,
                       idf=lambda t: lex.idf(t) if lex.knows(t) else top_idf, in_corpus=lex.knows,
                       asked=asked, article=self._article)

    def _holds(self, asked):
        """chunk -> whether one of its sentences holds an answer of the asked kind (from stored facts)."""
        def holds(chunk) -> bool:
            facts = self._article(chunk.doc_id)[1]
            return facts is not None and any(s.start >= chunk.start and holds_kind(asked, s)
                                             for s in facts.overlapping(chunk.start, chunk.end))
        return holds

    def _dated(self, chunk):
        """(years, quarters) a chunk's sentences are about, from its article's stored facts (relative
        dates already read against the article's own date); None when the facts are unknown."""
        facts = self._article(chunk.doc_id)[1]
        if facts is None:
            return None
        inside = facts.overlapping(chunk.start, chunk.end)
        return {y for s in inside for y in s.years}, {q for s in inside for q in s.quarters}

    @staticmethod
    def _draft(backend: Backend, request: Request) -> str:
        return "".join(backend.generate(request))

    def _compose(self, draft: str, request: Request) -> tuple[Answer, list[tuple[str, str]]]:
        """Verify a draft against its passages and number the surviving evidence as citations.

        Returns the answer and the (sentence, reason) pairs the checker removed: those go to the
        trace and the log, never into the answer.
        """
        if draft.strip() == REFUSAL or not request.hits:
            return Answer(REFUSAL, refused=True), []
        passages = request.passages
        checked = verify(draft, passages)
        citations: list[Citation] = []
        index: dict[tuple, int] = {}
        sentences = []
        for text, evidence in checked.kept:
            marks = []
            for ev in evidence:
                key = (passages[ev.passage - 1].doc_id, ev.start, ev.end)
                if key not in index:
                    ch = passages[ev.passage - 1]
                    index[key] = len(citations) + 1
                    citations.append(Citation(
                        n=index[key], doc_id=ch.doc_id, title=ch.title, url=ch.url, quote=ev.quote,
                        start=ev.start, end=ev.end, score=round(request.hits[ev.passage - 1].score * 60, 4),
                        published=ch.published, section=ch.section, updated=ch.updated,
                        correction=ch.correction))
                marks.append(f"[{index[key]}]")
            sentences.append(f"{text} {''.join(marks)}")
        dropped = list(checked.dropped)
        drafted = len(checked.kept) + len(checked.dropped)
        if dropped:
            log.info("dropped %d of %d sentence(s) from %s: %s", len(dropped), drafted, self.backend.name,
                     [for_log(f"{s} ({why})", 120) for s, why in dropped])
        kept_words = sum(len(t.split()) for t, _ in checked.kept)
        all_words = kept_words + sum(len(t.split()) for t, _ in checked.dropped)
        if not sentences or kept_words < MIN_KEPT_SHARE * all_words:
            return Answer(REFUSAL, refused=True, dropped=len(dropped), drafted=drafted), dropped
        return Answer(" ".join(sentences), refused=False, citations=citations, dropped=len(dropped),
                      drafted=drafted), dropped

    def _gate(self, answer: Answer) -> Answer:
        """The last check: an answer that fails is never shown as is."""
        problems = check_answer(answer, self._article_text)
        if problems:
            log.error("answer failed the citation check and was withheld: %s", [for_log(p, 160) for p in problems])
            answer.trace.problems = problems
            return Answer(REFUSAL, refused=True, backend=answer.backend, dropped=answer.dropped,
                          drafted=answer.drafted, trace=answer.trace)
        return answer

    def _article_text(self, doc_id: str) -> str | None:
        return self._article(doc_id)[0]

    def _article(self, doc_id: str) -> tuple[str | None, ArticleFacts | None]:
        """An article's text and sentence facts (cached until the store changes)."""
        gen = self.retriever.generation
        if self._texts_gen != gen:
            self._texts, self._texts_gen = {}, gen
        if doc_id not in self._texts:
            if len(self._texts) > 256:
                self._texts.clear()
            art = self.store.article(doc_id)
            if art is None:
                self._texts[doc_id] = (None, None)
            else:
                facts = ArticleFacts.from_json(getattr(art, "facts", "") or "")
                if facts is None:  # not stored with the article: work it out once per process
                    facts = article_facts([art.text], [art.published])[0]
                self._texts[doc_id] = (art.text, facts)
        return self._texts[doc_id]

    # ------------------------------------------------------------------ state

    def health(self) -> dict:
        counts = self.store.count()
        return {"ok": counts["chunks"] > 0, "store": self.store.where, **counts,
                "generation": self.store.generation(), "embed_model": self.embedder.model_id,
                "backend": self.backend.name}

    def article_id(self, ref: str) -> str:
        """The stored article `ref` (an id or a URL, see rag.scope.resolve) names, or ""."""
        return resolve(ref, lambda doc_id: self._article_text(doc_id) is not None) if ref else ""

    def examples(self, limit: int = 8, article: str = "") -> list[str]:
        """Questions for readers to click: with `article` (an id or URL), that story's own
        (rag.scope.story_examples); else, or when it has none, the corpus's FAQ questions."""
        doc = self.article_id(article)
        stored = self.store.article(doc) if doc else None
        if stored is not None:
            chunks = sorted((c for c in self.retriever.chunks if c.doc_id == doc), key=lambda c: c.index)
            mine = story_examples(stored, (c.section for c in chunks), limit)
            if mine:
                return mine
        out = []
        for a in self.store.articles():
            out.extend(p.question for p in a.faq)
        return list(dict.fromkeys(out))[:limit]


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _lead(notes: list[str], answer: Answer, asked=None) -> str:
    """What is said before the answer's sentences, in our own fixed wording, about its first citation
    (after the gate): "As of 8 February 2023:" (the cited article's updated, else published, date) for a
    "latest/now" question, a factoid question in the present tense, or an answer the backend gave as the
    newest of dated statements; then the yes/no lead when the sentence it was read from is that citation's."""
    first = answer.citations[0] if answer.citations else None
    if first is None:
        return ""
    parts = []
    current = asked is not None and (asked.latest or (asked.now and asked.factoid))
    if current or any(n == f"asof: {first.doc_id}" for n in notes):
        day = _day(max(first.published, first.updated))
        if day:
            parts.append(f"As of {day}:")
    for note in notes:
        if note.startswith("lead: "):
            doc_id, start, lead = note[len("lead: "):].split("\t", 2)
            if first.doc_id == doc_id and first.start <= int(start) < first.end:
                parts.append(lead)
            break
    return " ".join(parts)


def _day(iso: str) -> str:
    """"2023-02-08" (or a timestamp that starts so) as "8 February 2023"; "" when it is no date."""
    import datetime as dt

    try:
        d = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return ""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _asked(a) -> dict:
    if a is None:
        return {}
    return {"kind": a.kind, "years": sorted(a.years), "quarters": sorted([list(q) for q in a.quarters], key=str),
            "entities": [e.text for e in a.entities], "ordinal": a.ordinal, "latest": a.latest,
            "earliest": a.earliest}


def _passage(h: Hit) -> dict:
    c = h.chunk
    return {"doc_id": c.doc_id, "index": c.index, "start": c.start, "end": c.end, "section": c.section,
            "score": round(h.score, 6), "dense": round(h.dense, 4), "lexical": round(h.lexical, 4)}


class _Shown:
    """What a reader has seen of a streamed model answer: only sentences that passed the gate.

    Each drafted sentence is checked as soon as the next one begins (the checker works per
    sentence); the verified ones so far are composed and gated like a final answer and shown.
    """

    def __init__(self, explainer: Explainer, request: Request):
        self.explainer, self.request = explainer, request
        self.checked = 0
        self.kept: list[str] = []  # drafted sentences (with their markers) that passed
        self.last: Answer | None = None  # the last partial answer a reader saw

    def update(self, draft: str, trace: Trace, ms, final: bool = False) -> Iterator[Event]:
        sentences = split_cited(draft)
        done = sentences if final else sentences[:-1]  # the last one may still be growing
        new = done[self.checked:]
        if not new:
            return
        before = len(self.kept)
        for cs in new:
            self.checked += 1
            text = f"{cs.text} {''.join(f'[{m}]' for m in cs.markers)}"
            if cs.markers and verify(text, self.request.passages).kept:
                self.kept.append(text)
        if len(self.kept) > before:
            partial, _ = self.explainer._compose(" ".join(self.kept), self.request)
            if not partial.refused and not check_answer(partial, self.explainer._article_text):
                partial.backend = self.explainer.backend.name
                if self.last is None:
                    trace.timings["first_shown"] = ms()
                self.last = partial
                yield Event("partial", partial, self.checked)
                return
        yield Event("progress", self.last, self.checked)

    def settle(self, final: Answer) -> None:
        """Count (and log) sentences a reader saw that the final answer does not hold."""
        if self.last is None:
            return
        held = set() if final.refused else {cs.text for cs in split_cited(final.answer)}
        gone = [cs.text for cs in split_cited(self.last.answer) if cs.text not in held]
        if gone:
            final.trace.retracted = len(gone)
            log.warning("%d sentence(s) shown while streaming were retracted by the final answer (%s): %s",
                        len(gone), final.trace.fallback_reason or "final check",
                        [for_log(g, 120) for g in gone])
