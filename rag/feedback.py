"""Readers' like/dislike on answers, kept in one SQLite file for editors (`rag feedback`).

Written only by the chat's own event handler, never through a public endpoint.
Each write is its own committed transaction, so a crash loses at most the click
being written.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

# Generous for real answers, small enough that a scripted client cannot grow the file fast.
MAX_TEXT = 4000
MAX_CITATIONS = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    rating TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    citations TEXT NOT NULL
)"""


class FeedbackLog:
    """Append-only log of ratings with the question, the answer and its citations."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(_SCHEMA)
        return con

    def add(self, rating: str, question: str, answer: str, citations=(), refused: bool = False) -> int:
        """Store one rating ("like", "dislike", ...); returns its id."""
        cites = [asdict(c) if is_dataclass(c) else dict(c) for c in list(citations)[:MAX_CITATIONS]]
        for c in cites:
            c["quote"] = str(c.get("quote", ""))[:MAX_TEXT]
        con = self._connect()
        try:
            with con:
                cur = con.execute(
                    "INSERT INTO feedback (ts, rating, question, answer, refused, citations) VALUES (?, ?, ?, ?, ?, ?)",
                    (time.time(), str(rating)[:40], str(question)[:MAX_TEXT], str(answer)[:MAX_TEXT],
                     int(bool(refused)), json.dumps(cites, ensure_ascii=False)))
            return int(cur.lastrowid)
        finally:
            con.close()

    def entries(self, limit: int | None = None) -> list[dict]:
        """Ratings, newest first."""
        if not self.path.exists():
            return []
        con = self._connect()
        try:
            sql = "SELECT id, ts, rating, question, answer, refused, citations FROM feedback ORDER BY id DESC"
            rows = con.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
        finally:
            con.close()
        return [{"id": r[0], "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(r[1])), "rating": r[2],
                 "question": r[3], "answer": r[4], "refused": bool(r[5]), "citations": json.loads(r[6])}
                for r in rows]
