"""The question log under real load and on real databases.

Four `python ui.py` workers share one store and one SQLite file; 200 questions arrive at once
(with cookies, a forwarded address and identifying headers): each is logged exactly once, no
worker meets "database is locked", and neither the database nor any log holds an address, a
header or a cookie value, an email or a phone number. Rows older than the retention period,
planted before the start, are gone once the workers are up.

PostgreSQL: a real server started here (initdb + postgres from /usr/lib/postgresql/*/bin, run as
the postgres user when the tests run as root); four processes migrate and write at once.
Skipped, with the reason printed, when those binaries are not installed.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from live_server import spawn_server, wait_all
from rag._testing import free_port
from rag.analytics.db import Database, feedback, questions, sqlite_url
from rag.analytics.questions import minute

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
QUESTIONS = 200
COOKIE = "cookie-value-5f2a9e"
AGENT = "agent-value-Mozilla-91c3"
HEADER = "reader-id-value-77d1"
FORWARDED = "203.0.113.77"


def question(i: int) -> str:
    base = ("How often will the Zorblax ferry run", "Who won the football world cup in 1998",
            "What is Anthropic accusing Alibaba of", "How much do the Zorblax concert tickets cost")[i % 4]
    extra = f" Write to reader{i}@example.org or call +1 555 01{i:03d} 77." if i % 10 == 0 else ""
    return f"{base}, asks reader number {i}?{extra}"


def stored(i: int) -> str:
    return question(i).replace(f"reader{i}@example.org", "[email]").replace(f"+1 555 01{i:03d} 77", "[phone]")


@pytest.fixture(scope="module")
def workers(served_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("workers")
    shared = work / "editors.sqlite3"
    db = Database.open(sqlite_url(shared))
    old = minute(time.time() - 100 * 86400)
    with db.write() as con:  # planted before the start: older than RAG_ANALYTICS_DAYS
        con.execute(questions.insert(), [{"answer_id": "f" * 32, "asked": old, "question": "An old question?",
                                          "answer": "", "refused": True, "cited": "[]", "article": "",
                                          "backend": "extractive", "latency_ms": 1.0}])
        con.execute(feedback.insert(), [{"ts": float(old), "rating": "dislike", "question": "An old question?",
                                         "answer": "", "refused": 1, "citations": "[]", "answer_id": "f" * 32}])
    servers = [spawn_server(served_store, work / f"w{i}", feedback=shared, RAG_RATE_LIMIT="0", RAG_WORKERS="4",
                            RAG_ANALYTICS_DAYS="90", RAG_LOG_LEVEL="INFO") for i in range(WORKERS)]
    try:
        yield wait_all(servers, timeout=400), db, shared
    finally:
        for s in servers:
            s.stop()


def logged(db: Database) -> list[dict]:
    with db.read() as con:
        return [dict(r) for r in con.execute(sa.select(questions)).mappings()]


def test_four_workers_log_200_concurrent_questions_exactly_once(workers):
    servers, db, shared = workers
    assert [r["question"] for r in logged(db)] == []  # the planted old row went at start
    with db.read() as con:
        assert con.execute(sa.select(sa.func.count()).select_from(feedback)).scalar() == 0

    def one(i: int):
        s = servers[i % WORKERS]
        headers = {"user-agent": AGENT, "x-forwarded-for": FORWARDED, "x-reader-id": HEADER,
                   "cookie": f"session={COOKIE}; _ga={COOKIE}"}
        r = httpx.post(s.url + "/api/ask", json={"question": question(i)}, headers=headers, timeout=120)
        return r.status_code, r.text[:200]

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4 * WORKERS) as pool:
        results = list(pool.map(one, range(QUESTIONS)))
    print(f"\n{QUESTIONS} questions over {WORKERS} workers in {time.perf_counter() - t:.1f}s")
    assert [code for code, _ in results] == [200] * QUESTIONS, [r for r in results if r[0] != 200][:3]
    rows = []
    for _ in range(120):  # written off the request path: give the writer threads a moment
        rows = logged(db)
        if len(rows) >= QUESTIONS:
            break
        time.sleep(0.5)
    texts = sorted(r["question"] for r in rows)
    assert texts == sorted(stored(i) for i in range(QUESTIONS))  # each once, scrubbed
    assert len({r["answer_id"] for r in rows}) == QUESTIONS
    assert {r["refused"] for r in rows if "world cup" in r["question"]} == {True}
    assert all(r["asked"] % 60 == 0 and r["backend"] == "extractive" for r in rows)
    for s in servers:
        log = s.log.read_text(errors="replace")
        assert "database is locked" not in log and "question log:" not in log, s.tail()


def test_no_address_header_cookie_email_or_phone_is_kept(workers):
    servers, db, shared = workers
    assert len(logged(db)) >= QUESTIONS  # after the load test (module order)
    secrets = [COOKIE, AGENT, HEADER, FORWARDED, "127.0.0.1", "example.org", "555 01", "Mozilla"]
    stored_bytes = b"".join(p.read_bytes() for p in shared.parent.glob(shared.name + "*"))  # with -wal, -shm
    assert stored(7).encode() in stored_bytes  # the questions are in these bytes, and nothing else of the request
    for secret in secrets:
        assert secret.encode() not in stored_bytes, secret
    with db.read() as con:
        dump = json.dumps([dict(r) for r in con.execute(sa.select(questions)).mappings()])
    for secret in secrets:
        assert secret not in dump, secret
    for s in servers:
        log = s.log.read_text(errors="replace")
        for secret in (COOKIE, AGENT, HEADER, FORWARDED):
            assert secret not in log, (secret, s.tail())


# --------------------------------------------------------------------------- PostgreSQL


PG_INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server on a free loopback port; its URL."""
    if not PG_INITDB:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): the question log was not "
                    "tested against PostgreSQL. Install its server binaries (apt-get install postgresql) to run it.")
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[postgres]'")
    bin_dir = Path(PG_INITDB[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="rag-pg-"))  # not tmp_path: the postgres user must be able to enter it
    as_user = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        import pwd

        pg = pwd.getpwnam("postgres")
        os.chown(data, pg.pw_uid, pg.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_user + [str(bin_dir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "rag",
                              "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    port = free_port()
    log = open(data / "server.log", "wb")
    proc = subprocess.Popen(as_user + [str(bin_dir / "postgres"), "-D", str(data / "db"), "-h", "127.0.0.1",
                                       "-p", str(port), "-k", str(data), "-c", "fsync=off"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"postgresql://rag@127.0.0.1:{port}/postgres"
    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        for _ in range(150):
            try:
                with engine.connect():
                    break
            except sa.exc.OperationalError:
                assert proc.poll() is None, (data / "server.log").read_text()
                time.sleep(0.2)
        engine.dispose()
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
        shutil.rmtree(data, ignore_errors=True)


WRITER = """
import sys, time
from rag.analytics import QuestionLog
from rag.config import Settings
from rag.feedback import FeedbackLog
from rag.analytics.questions import database_url
from rag.types import Answer, Citation
n = int(sys.argv[1])
s = Settings.from_env()
log = QuestionLog.open(s)
cite = Citation(1, "ferry.json", "Ferry", "", "runs every twenty minutes", 0, 25, 1.0)
for i in range(50):
    refused = i % 2 == 0
    a = Answer("I can't find that." if refused else "Every twenty minutes. [1]", refused, [] if refused else [cite])
    aid = log.record(f"Writer {n} question {i}: who runs the night bus? mail w{n}@example.org", a)
    if i == 1:
        FeedbackLog(database_url(s)).add("dislike", "q", a.answer, a.citations, answer_id=aid, reason="Out of date")
assert log.flush(60)
print("ok")
"""


def test_postgresql_four_processes_migrate_and_write_at_once(postgres, tmp_path):
    env = {**os.environ, "RAG_ANALYTICS_URL": postgres, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(n)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in range(WORKERS)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * WORKERS, [err[-2000:] for _, err in outs]
    db = Database.open(postgres)
    assert db.version() == 3
    rows = logged(db)
    assert len(rows) == 50 * WORKERS and len({r["question"] for r in rows}) == 50 * WORKERS
    assert all("[email]" in r["question"] and "example.org" not in r["question"] for r in rows)
    with db.read() as con:
        versions = con.execute(sa.text("SELECT version FROM rag_schema ORDER BY version")).scalars().all()
    assert versions == [1, 2, 3]  # migrated once, whichever process came first

    gaps = subprocess.run([sys.executable, "-m", "rag", "gaps", "--since", "1d", "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert gaps.returncode == 0, gaps.stderr
    report = json.loads(gaps.stdout)
    assert (report["questions"], report["refused"]) == (200, 100)
    assert sum(g["count"] for g in report["gaps"]) == 100
    fb = subprocess.run([sys.executable, "-m", "rag", "feedback", "--json"], env=env, cwd=ROOT, capture_output=True,
                        text=True, timeout=120)
    assert fb.returncode == 0, fb.stderr
    ratings = [json.loads(line) for line in fb.stdout.splitlines()]
    assert sorted((r["rating"], r["reason"]) for r in ratings) == [("dislike", "Out of date")] * WORKERS

    from rag.analytics import QuestionLog

    log = QuestionLog(db, days=1)
    try:
        assert log.purge(now=time.time() + 3 * 86400) == 200 + WORKERS  # questions and ratings past retention
        assert logged(db) == []
    finally:
        log.close()
