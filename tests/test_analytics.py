"""The question log and what editors read from it, on real SQLite files and the bundled model.

Scrubbing, migrations (also of a feedback file from before the log), the writer thread, ratings
joined by answer id, retention, the off switch, grouping by meaning, FAQ drafts that the real
loader reads, CSV, and `rag gaps` as a real process.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from rag.analytics import QuestionLog
from rag.analytics.db import Database, questions, sqlite_url
from rag.analytics.groups import QuestionVectors, gaps, group
from rag.analytics.questions import Asked, minute
from rag.analytics.report import build, faq_entry, parse_since, table, to_csv
from rag.analytics.scrub import scrub
from rag.errors import RagError
from rag.feedback import FeedbackLog
from rag.types import Answer, Citation

ROOT = Path(__file__).resolve().parent.parent


def cited(doc_id: str, quote: str = "a quote") -> Citation:
    return Citation(n=1, doc_id=doc_id, title=f"Title of {doc_id}", url="", quote=quote, start=0, end=len(quote),
                    score=1.0)


ANSWERED = Answer("The ferry runs every twenty minutes. [1]", refused=False, citations=[cited("ferry.json")],
                  latency_ms=12.5, backend="extractive")
REFUSED = Answer("I can't find that in our coverage.", refused=True, latency_ms=3.0)


@pytest.fixture()
def db_file(tmp_path) -> Path:
    return tmp_path / "editors.sqlite3"


@pytest.fixture()
def qlog(db_file):
    log = QuestionLog(Database.open(sqlite_url(db_file)), days=90)
    yield log
    log.close()


@pytest.fixture(scope="module")
def vectors(embedder):
    return QuestionVectors(embedder.documents)


# --------------------------------------------------------------------------- scrubbing


@pytest.mark.parametrize("text, stored", [
    ("Mail me at jane.doe+news@example.co.uk about it", "Mail me at [email] about it"),
    ("Call +44 20 7946 0958 or (555) 123-4567?", "Call [phone] or [phone]?"),
    ("Is 555-1234 the hotline?", "Is [phone] the hotline?"),
    ("My card is 4111111111111111", "My card is [number]"),
    ("Ticket 123456 was refused", "Ticket [number] was refused"),
    ("I wrote from 192.168.1.20", "I wrote from [ip]"),
])
def test_personal_data_is_scrubbed(text, stored):
    assert scrub(text) == stored


@pytest.mark.parametrize("text", [
    "What changed between 2019-2026?", "What happened on 2026-11-20 and 20/11/2026?",
    "Was the fine 1,200,000 euros?", "Do tickets cost 12 euros in 2026?", "Is version 3.5 worth 4.2bn?",
    "What about postcode 10115?", "Revenue in Q3 2025 was 12 000 000?",
])
def test_what_news_questions_need_is_kept(text):
    assert scrub(text) == text


# --------------------------------------------------------------------------- the database


def test_a_feedback_file_from_before_the_log_is_migrated_and_keeps_its_rows(db_file):
    con = sqlite3.connect(db_file)  # the schema rag/feedback.py created before this database
    con.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, rating TEXT NOT NULL, "
                "question TEXT NOT NULL, answer TEXT NOT NULL, refused INTEGER NOT NULL, citations TEXT NOT NULL)")
    con.execute("INSERT INTO feedback (ts, rating, question, answer, refused, citations) VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), "like", "Old question?", "Old answer [1]", 0, json.dumps([{"n": 1, "quote": "q"}])))
    con.commit()
    con.close()
    log = FeedbackLog(db_file)
    rows = log.entries()
    assert [(r["rating"], r["question"], r["answer_id"], r["reason"]) for r in rows] == [
        ("like", "Old question?", "", "")]
    log.add("dislike", "New question?", "New answer", answer_id="a" * 32, reason="Out of date")
    assert [(r["rating"], r["answer_id"], r["reason"]) for r in log.entries(limit=1)] == [
        ("dislike", "a" * 32, "Out of date")]
    assert log.db.version() == 3
    con = sqlite3.connect(db_file)
    assert con.execute("SELECT version FROM rag_schema ORDER BY version").fetchall() == [(1,), (2,), (3,)]
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.close()
    shown = subprocess.run([sys.executable, "-m", "rag", "feedback", "--file", str(db_file)], capture_output=True,
                           text=True, cwd=ROOT, timeout=60)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "dislike  Q: New question?" in lines[0] and lines[1] == "    Reason: Out of date"
    assert any("like     Q: Old question?" in line for line in lines)


def test_a_newer_schema_is_refused_with_what_to_do(db_file):
    Database.open(sqlite_url(db_file))
    con = sqlite3.connect(db_file)
    con.execute("INSERT INTO rag_schema (version, applied, note) VALUES (99, 0, 'from the future')")
    con.commit()
    con.close()
    with pytest.raises(RagError, match="schema version 99, newer than this version of rag"):
        Database(sqlite_url(db_file))


def test_a_bad_url_says_what_to_use():
    with pytest.raises(RagError, match="use postgresql://"):
        Database("not a url")
    with pytest.raises(RagError, match="mysql is not supported"):
        Database("mysql://u@h/db")


# --------------------------------------------------------------------------- the log


def test_a_question_is_logged_with_its_answer_and_joined_to_its_rating(qlog, db_file):
    t0 = time.time()
    aid = qlog.record("How often does the ferry run? Write to me at a.reader@example.org", ANSWERED, article="ferry.json")
    other = qlog.record("Who won the 1998 world cup?", REFUSED)
    assert len(aid) == 32 and aid != other
    assert qlog.flush()
    FeedbackLog(db_file).add("dislike", "How often does the ferry run?", ANSWERED.answer, ANSWERED.citations,
                             answer_id=aid, reason="Out of date")
    FeedbackLog(db_file).add("dislike", "How often does the ferry run?", ANSWERED.answer, answer_id=aid,
                             reason="Hard to understand")
    rows = qlog.asked(since=t0 - 120)
    assert [r.answer_id for r in rows] == [aid, other]
    first, second = rows
    assert first.question == "How often does the ferry run? Write to me at [email]"
    assert first.asked % 60 == 0 and t0 - 60 <= first.asked <= t0
    assert (first.answer, first.refused, first.cited, first.article, first.backend, first.latency_ms) == (
        ANSWERED.answer, False, ("ferry.json",), "ferry.json", "extractive", 12.5)
    assert (first.rating, first.reason) == ("dislike", "Out of date; Hard to understand")
    assert (second.refused, second.cited, second.rating) == (True, (), "")
    assert [r.answer_id for r in qlog.asked(since=t0 - 120, article="ferry.json")] == [aid]


def test_record_costs_microseconds_and_never_touches_the_database(qlog, db_file):
    # the request path only queues: with the writer held up, record still returns at once
    with qlog.db.write():  # holds SQLite's write lock, as another worker's long write would
        t = time.perf_counter()
        ids = [qlog.record(f"Question {i}?", ANSWERED) for i in range(1000)]
        spent = time.perf_counter() - t
    assert len(set(ids)) == 1000
    print(f"\nrecord(): {spent * 1000:.2f} ms for 1000 calls while the database was locked")
    assert qlog.flush()
    assert len(qlog.asked(since=time.time() - 120)) == 1000


def test_old_rows_are_deleted_at_start_and_by_purge(db_file):
    db = Database.open(sqlite_url(db_file))
    now = time.time()
    old, recent = minute(now - 91 * 86400), minute(now - 89 * 86400)
    with db.write() as con:
        con.execute(questions.insert(), [
            {"answer_id": f"{i:032d}", "asked": ts, "question": "q?", "answer": "a", "refused": False, "cited": "[]",
             "article": "", "backend": "extractive", "latency_ms": 1.0} for i, ts in enumerate((old, recent))])
    fb = FeedbackLog(db_file)
    fb.add("dislike", "q?", "a", answer_id="0" * 32)
    with db.write() as con:  # back-date that rating
        con.execute(sa.text("UPDATE feedback SET ts = :ts"), {"ts": old})
    log = QuestionLog(db, days=90)  # purges as it starts
    try:
        assert log.flush()
        deadline = time.time() + 10
        while len(log.asked(since=0)) != 1 and time.time() < deadline:
            time.sleep(0.05)
        assert [r.asked for r in log.asked(since=0)] == [recent]
        assert fb.entries() == []
        assert log.purge(now=now + 2 * 86400) == 1  # two days on, the other one is too old
        assert log.asked(since=0) == []
    finally:
        log.close()


def test_the_off_switch_stores_no_question(db_file):
    log = QuestionLog(Database.open(sqlite_url(db_file)), enabled=False)
    try:
        assert len(log.record("Anything?", ANSWERED)) == 32  # ratings still get an id
        assert log.flush()
        assert log.asked(since=0) == []
    finally:
        log.close()


# --------------------------------------------------------------------------- grouping and the report


def asked(question: str, refused: bool = False, cited=(), article="") -> Asked:
    return Asked(uuid.uuid4().hex, minute(time.time()), question, "", refused, tuple(cited), article, "extractive", 1.0)


def test_rewordings_group_together_and_different_questions_stay_apart(vectors):
    rows = [asked(q) for q in (
        "How much do the Zorblax concert tickets cost?", "How much do the Zorblax concert tickets cost?",
        "how much do the zorblax concert tickets cost", "What is the price of tickets for the Zorblax concerts?",
        "Will Alibaba sue Anthropic?", "Is Alibaba going to take Anthropic to court?",
        "What is Anthropic accusing Alibaba of?", "How often will the Zorblax ferry run?",
        "When does the Zorblax festival open?")]
    groups = group(rows, vectors)
    assert [(g.question, g.count) for g in groups][:2] == [
        ("How much do the Zorblax concert tickets cost?", 4), ("Will Alibaba sue Anthropic?", 2)]
    assert groups[0].wordings == (("How much do the Zorblax concert tickets cost?", 3),
                                  ("What is the price of tickets for the Zorblax concerts?", 1))
    assert sorted(g.question for g in groups[2:]) == [
        "How often will the Zorblax ferry run?", "What is Anthropic accusing Alibaba of?",
        "When does the Zorblax festival open?"]


def test_gaps_are_the_refused_questions_most_frequent_first(vectors):
    rows = [asked("Who won the football world cup in 1998?", True), asked("Which team won the 1998 World Cup?", True),
            asked("Who won the world cup final in 1998?", True), asked("What will the weather be on Saturday?", True),
            asked("How often will the Zorblax ferry run?", False, cited=["ferry.json"])]
    found = gaps(rows, vectors)
    assert [(g.question, g.count, g.refused) for g in found] == [
        ("Who won the football world cup in 1998?", 3, 3), ("What will the weather be on Saturday?", 1, 1)]


def test_a_drafted_faq_entry_is_read_by_the_loader_once_answered(tmp_path):
    from rag.loaders import load_file

    entry = faq_entry("  ## how much do the concert tickets cost  ")
    assert entry.startswith("### how much do the concert tickets cost?\n\n<!--")
    article = (ROOT / "corpus" / "anthropic-alibaba-accusation.md").read_text(encoding="utf-8")
    unanswered = tmp_path / "unanswered.md"
    unanswered.write_text(article.rstrip() + "\n\n" + entry, encoding="utf-8")
    answered = tmp_path / "answered.md"
    answered.write_text(article.rstrip() + "\n\n" + entry.replace(
        entry[entry.index("<!--"):], "Tickets cost 12 euros at the harbour office.\n"), encoding="utf-8")
    before = [p.question for p in _load(load_file, unanswered).faq]
    after = _load(load_file, answered).faq
    assert "how much do the concert tickets cost?" not in before  # a placeholder is never an answer
    assert (after[-1].question, after[-1].answer) == ("how much do the concert tickets cost?",
                                                      "Tickets cost 12 euros at the harbour office.")
    assert len(after) == len(before) + 1


def _load(load_file, path):
    articles, skipped = load_file(path.parent, path, 10_000_000)
    assert not skipped and len(articles) == 1
    return articles[0]


def test_report_tables_and_csv(qlog, db_file, vectors):
    t0 = time.time()
    ids = [qlog.record(q, a, article=art) for q, a, art in (
        ("How often does the ferry run?", ANSWERED, ""), ("How frequently does the ferry run?", ANSWERED, ""),
        ("=HYPERLINK(\"http://evil.example\")", REFUSED, "festival.json"), ("Who won the 1998 world cup?", REFUSED, ""))]
    assert qlog.flush()
    FeedbackLog(db_file).add("dislike", "How often does the ferry run?", ANSWERED.answer, ANSWERED.citations,
                             answer_id=ids[0], reason="Out of date")
    FeedbackLog(db_file).add("like", "How frequently does the ferry run?", ANSWERED.answer, answer_id=ids[1])
    report = build(qlog, FeedbackLog(db_file), vectors, since=t0 - 120)
    assert (len(report.rows), report.refused) == (4, 2)
    assert [(g.question, g.count) for g in report.asked][0] == ("How often does the ferry run?", 2)
    assert [d.reason for d in report.dislikes] == ["Out of date"]
    assert sum(b.asked for b in report.usage) == 4 and report.step == 3600
    header, rows = table(report, "gaps")
    parsed = list(csv.reader(io.StringIO(to_csv(header, rows))))
    assert parsed[0][:3] == ["count", "refused", "question"]
    assert sorted(r[2] for r in parsed[1:]) == ["'=HYPERLINK(\"http://evil.example\")", "Who won the 1998 world cup?"]
    scoped = build(qlog, FeedbackLog(db_file), vectors, since=t0 - 120, article="festival.json")
    assert [r.question for r in scoped.rows] == ["=HYPERLINK(\"http://evil.example\")"] and scoped.dislikes == []
    ferry = build(qlog, FeedbackLog(db_file), vectors, since=t0 - 120, article="ferry.json")
    assert len(ferry.rows) == 2 and [d.reason for d in ferry.dislikes] == ["Out of date"]


def test_periods_are_parsed_or_refused_with_the_forms_that_work():
    now = 1_800_000_000
    assert parse_since("7d", now) == now - 7 * 86400 and parse_since("24h", now) == now - 86400
    assert parse_since("2w", now) == now - 14 * 86400 and parse_since("90m", now) == now - 5400
    assert parse_since("2026-11-20") == 1795132800
    with pytest.raises(RagError, match="use 7d, 24h, 90m, 2w or a date"):
        parse_since("last week")


# --------------------------------------------------------------------------- rag gaps


def test_rag_gaps_prints_the_grouped_refusals(db_file):
    log = QuestionLog(Database.open(sqlite_url(db_file)))
    for q in ("Who won the football world cup in 1998?", "Which team won the 1998 World Cup?",
              "What will the weather be on Saturday?"):
        log.record(q, REFUSED, article="festival.json")
    log.record("How often does the ferry run?", ANSWERED)
    log.record("Is there a night bus?", REFUSED)
    assert log.flush()
    log.close()
    env = {**os.environ, "RAG_FEEDBACK": str(db_file)}

    def gaps_cli(*args):
        out = subprocess.run([sys.executable, "-m", "rag", "gaps", *args], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    text = gaps_cli("--since", "7d")
    assert "4 of 5 questions refused, in 3 groups" in text
    lines = text.splitlines()
    assert lines[1].split() == ["2", "Who", "won", "the", "football", "world", "cup", "in", "1998?"]
    assert "also: Which team won the 1998 World Cup? (1)" in lines[2]
    data = json.loads(gaps_cli("--since", "1d", "--article", "festival.json", "--json"))
    assert (data["questions"], data["refused"], data["article"]) == (3, 3, "festival.json")
    assert [(g["question"], g["count"]) for g in data["gaps"]] == [
        ("Who won the football world cup in 1998?", 2), ("What will the weather be on Saturday?", 1)]
    assert data["gaps"][0]["faq"].startswith("### Who won the football world cup in 1998?\n")
    bad = subprocess.run([sys.executable, "-m", "rag", "gaps", "--since", "yesterday"], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=60)
    assert bad.returncode == 2 and "use 7d, 24h, 90m, 2w or a date" in bad.stderr
