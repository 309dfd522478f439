"""Readers' like/dislike on answers, kept for editors (`rag feedback`, the /admin page).

Written only by the chat's own event handler, never through a public endpoint.
Each write is its own committed transaction, so a crash loses at most the click
being written. The table lives in the editors' database (rag/analytics/db.py):
the SQLite file RAG_FEEDBACK, or RAG_ANALYTICS_URL; `answer_id` joins a rating to
the question log. The question and the reason are scrubbed of personal data.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

import sqlalchemy as sa

from .analytics.db import Database, feedback, sqlite_url
from .analytics.scrub import scrub

# Generous for real answers, small enough that a scripted client cannot grow the file fast.
MAX_TEXT = 4000
MAX_CITATIONS = 20
MAX_REASON = 200


class FeedbackLog:
    """Append-only log of ratings with the question, the answer and its citations."""

    def __init__(self, where: Path | str):
        """`where`: a SQLite file, or a database URL (postgresql://…, sqlite:///…)."""
        self.url = str(where) if "://" in str(where) else sqlite_url(where)
        self.path = None if "://" in str(where) else Path(where)

    @property
    def db(self) -> Database:
        return Database.open(self.url)

    def add(self, rating: str, question: str, answer: str, citations=(), refused: bool = False,
            answer_id: str = "", reason: str = "") -> int:
        """Store one rating ("like", "dislike", "cleared") with an optional reason; returns its id."""
        cites = [asdict(c) if is_dataclass(c) else dict(c) for c in list(citations)[:MAX_CITATIONS]]
        for c in cites:
            c["quote"] = str(c.get("quote", ""))[:MAX_TEXT]
        row = {"ts": float(int(time.time()) // 60 * 60), "rating": str(rating)[:40],
               "question": scrub(str(question)[:MAX_TEXT]), "answer": str(answer)[:MAX_TEXT],
               "refused": int(bool(refused)), "citations": json.dumps(cites, ensure_ascii=False),
               "answer_id": str(answer_id)[:32] or None, "reason": scrub(str(reason or "")[:MAX_REASON])}
        with self.db.write() as con:
            return int(con.execute(feedback.insert().values(**row)).inserted_primary_key[0])

    def entries(self, limit: int | None = None, since: float | None = None) -> list[dict]:
        """Ratings, newest first; `since`: unix time of the oldest wanted."""
        if self.path is not None and not self.path.exists():
            return []
        q = sa.select(feedback).order_by(feedback.c.id.desc())
        if since is not None:
            q = q.where(feedback.c.ts >= since)
        if limit:
            q = q.limit(limit)
        with self.db.read() as con:
            rows = con.execute(q).mappings().all()
        return [{"id": r["id"], "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(r["ts"])),
                 "ts": r["ts"], "rating": r["rating"], "question": r["question"], "answer": r["answer"],
                 "refused": bool(r["refused"]), "citations": json.loads(r["citations"]),
                 "answer_id": r["answer_id"] or "", "reason": r["reason"] or ""} for r in rows]
