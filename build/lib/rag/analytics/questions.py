"""The question log: what readers asked, what they were told, and how they rated it.

    log = QuestionLog.open(settings)
    answer_id = log.record(question, answer, article="")   # microseconds: a queue put, nothing else
    rows = log.asked(since=time.time() - 7 * 86400)

`record` never touches the database: one writer thread per process takes rows off a
queue, scrubs them (rag.analytics.scrub) and inserts them in batches, and deletes
rows older than the retention period at start and every hour. A row holds the time
to the minute, the scrubbed question, the answer, whether it was refused, the cited
article ids, the embed's article, the backend and the latency: never an address,
a header, a cookie or anything else that tells readers apart.
"""
from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from ..question import clean
from ..types import Answer
from .db import Database, feedback, questions, sqlite_url
from .scrub import scrub

log = logging.getLogger("rag")

PURGE_EVERY_S = 3600
BATCH = 500
LINGER_S = 0.05
QUEUE_MAX = 20000  # rows waiting when the database is down: then new ones are dropped (and counted)
MAX_TEXT = 4000


def database_url(settings) -> str:
    """RAG_ANALYTICS_URL, or the SQLite file RAG_FEEDBACK (likes/dislikes and questions side by side)."""
    return settings.analytics_url or sqlite_url(settings.feedback_path)


def minute(ts: float) -> int:
    return int(ts) // 60 * 60


@dataclass(frozen=True)
class Asked:
    """One logged question with the reader's rating of its answer, if any."""

    answer_id: str
    asked: int  # unix time, to the minute
    question: str
    answer: str
    refused: bool
    cited: tuple[str, ...]
    article: str
    backend: str
    latency_ms: float
    rating: str = ""  # the last rating: like, dislike, cleared; "" for none
    reason: str = ""  # the reasons given with dislikes, "; "-joined

    def about(self, article: str) -> bool:
        """Whether the question concerns `article`: the embed was on it, or the answer cites it."""
        return self.article == article or article in self.cited

    def to_dict(self) -> dict:
        d = asdict(self)
        d["time"] = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(self.asked))
        d["cited"] = list(self.cited)
        return d


class QuestionLog:
    """Questions queued by `record`, written by one background thread; reads go straight to the database."""

    def __init__(self, db: Database, days: int = 90, enabled: bool = True):
        self.db, self.days, self.enabled = db, days, enabled
        self.dropped = 0
        self._queue: queue.Queue = queue.Queue(QUEUE_MAX)
        self._thread = threading.Thread(target=self._run, name="question-log", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # a graceful stop writes what is queued

    @classmethod
    def open(cls, settings) -> "QuestionLog":
        return cls(Database.open(database_url(settings)), settings.analytics_days, settings.analytics)

    # ------------------------------------------------------------------ writing

    def record(self, question: str, answer: Answer, article: str = "") -> str:
        """Queue one answered question; returns the answer's id (for a later rating). Never raises."""
        answer_id = uuid.uuid4().hex
        if self.enabled:
            row = (answer_id, time.time(), question, answer.answer, answer.refused,
                   tuple(dict.fromkeys(c.doc_id for c in answer.citations)), article or "", answer.backend,
                   answer.latency_ms)
            try:
                self._queue.put_nowait(row)
            except queue.Full:
                self.dropped += 1
        return answer_id

    def flush(self, timeout: float = 30) -> bool:
        """Wait until every queued row is written (tests, shutdown); False if that took too long."""
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self, timeout: float = 10) -> None:
        if self._thread.is_alive():
            self.flush(timeout)

    def purge(self, now: float | None = None) -> int:
        """Delete questions and ratings older than the retention period; returns how many."""
        cutoff = minute((now or time.time()) - self.days * 86400)
        with self.db.write() as con:
            n = con.execute(questions.delete().where(questions.c.asked < cutoff)).rowcount
            n += con.execute(feedback.delete().where(feedback.c.ts < cutoff)).rowcount
        return n

    def _run(self) -> None:
        next_purge = 0.0
        while True:
            try:
                item = self._queue.get(timeout=max(0.05, next_purge - time.monotonic()))
            except queue.Empty:
                item = None
            if time.monotonic() >= next_purge:
                next_purge = time.monotonic() + PURGE_EVERY_S
                self._try(self.purge, "deleting old questions")
            if item is not None and not isinstance(item, threading.Event):
                # Not at once: the answer that queued this row is still being sent, and a moment later
                # the questions asked meanwhile go in the same transaction.
                time.sleep(LINGER_S)
            batch, events = [], []
            while item is not None:
                (events if isinstance(item, threading.Event) else batch).append(item)
                if len(batch) >= BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if batch:
                self._try(lambda: self._write(batch), f"writing {len(batch)} question(s)")
            for e in events:
                e.set()

    def _write(self, batch: list[tuple]) -> None:
        rows = [{"answer_id": aid, "asked": minute(ts), "question": scrub(clean(str(q)[:MAX_TEXT])),
                 "answer": str(a)[:MAX_TEXT], "refused": bool(refused), "cited": json.dumps(list(cited)),
                 "article": str(article)[:300], "backend": str(backend)[:64], "latency_ms": float(latency)}
                for aid, ts, q, a, refused, cited, article, backend, latency in batch]
        with self.db.write() as con:
            con.execute(questions.insert(), rows)

    def _try(self, step, what: str, attempts: int = 3) -> None:
        # The log must never stop the server: a database that stays down loses these rows, loudly.
        for i in range(attempts):
            try:
                step()
                return
            except Exception as e:  # noqa: BLE001
                if i == attempts - 1:
                    log.error("question log: %s failed (%s); giving up on it", what, type(e).__name__)
                else:
                    time.sleep(0.5 * (i + 1))

    # ------------------------------------------------------------------ reading

    def asked(self, since: float, until: float | None = None, article: str = "") -> list[Asked]:
        """The questions asked in [since, until), oldest first, with their ratings; only `article`'s if given."""
        q = sa.select(questions).where(questions.c.asked >= minute(since)).order_by(questions.c.id)
        if until is not None:
            q = q.where(questions.c.asked < until)
        ratings = sa.select(feedback.c.answer_id, feedback.c.rating, feedback.c.reason).where(
            feedback.c.answer_id.is_not(None), feedback.c.ts >= minute(since)).order_by(feedback.c.id)
        with self.db.read() as con:
            rows = con.execute(q).mappings().all()
            rated: dict[str, tuple[str, list[str]]] = {}
            for aid, rating, reason in con.execute(ratings):
                reasons = rated.get(aid, ("", []))[1]
                if reason and rating == "dislike" and reason not in reasons:
                    reasons.append(reason)
                rated[aid] = (rating, reasons)
        out = []
        for r in rows:
            rating, reasons = rated.get(r["answer_id"], ("", []))
            a = Asked(r["answer_id"], r["asked"], r["question"], r["answer"], bool(r["refused"]),
                      tuple(json.loads(r["cited"])), r["article"], r["backend"], r["latency_ms"], rating,
                      "; ".join(reasons) if rating == "dislike" else "")
            if not article or a.about(article):
                out.append(a)
        return out
