"""The editors' side: what readers asked and what the coverage does not answer.

    db.py         the database (SQLite or PostgreSQL), its tables and migrations
    scrub.py      personal data removed from questions before they are stored
    questions.py  QuestionLog: questions queued off the request path, one writer thread, retention
    groups.py     questions grouped by meaning (the embedding model), coverage gaps
    report.py     a period's report: most asked, gaps, dislikes, usage; CSV; FAQ entry drafts
"""
from .questions import Asked, QuestionLog, database_url  # noqa: F401
