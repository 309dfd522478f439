"""The editors' database: readers' questions and likes/dislikes, SQLite by default, PostgreSQL by URL.

    db = Database.open("sqlite:////srv/rag/feedback.sqlite3")   # or postgresql://user@host/rag
    with db.write() as con: con.execute(questions.insert(), rows)

Only this module knows SQL dialects. The schema is migrated on open, inside one
transaction that other processes wait for (several server workers start at
once): SQLite's write lock (BEGIN IMMEDIATE), PostgreSQL's advisory lock. SQLite
runs in WAL mode with a long busy timeout, and every write transaction takes the
write lock up front, so concurrent writers queue instead of failing with
"database is locked". Queries are built with SQLAlchemy Core; values are always
bound parameters.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ..errors import ExtraMissing, RagError

metadata = sa.MetaData()

questions = sa.Table(
    "questions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("answer_id", sa.String(32), nullable=False, unique=True),
    sa.Column("asked", sa.BigInteger, nullable=False, index=True),  # unix time, whole minutes
    sa.Column("question", sa.Text, nullable=False),  # scrubbed (rag.analytics.scrub)
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("refused", sa.Boolean, nullable=False),
    sa.Column("cited", sa.Text, nullable=False),  # JSON list of the cited article ids
    sa.Column("article", sa.String(300), nullable=False, index=True),  # the embed's article, or ""
    sa.Column("backend", sa.String(64), nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
)

# The table rag/feedback.py created before this database existed (kept so old files open), plus the
# answer id that joins a rating to its question and the reader's reason.
feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("rating", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("refused", sa.Integer, nullable=False),
    sa.Column("citations", sa.Text, nullable=False),
    sa.Column("answer_id", sa.String(32)),
    sa.Column("reason", sa.Text),
    sqlite_autoincrement=True,
)

_schema = sa.Table(
    "rag_schema", sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied", sa.Float, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)


# --------------------------------------------------------------------------- migrations


def _v1(con) -> None:
    legacy = sa.MetaData()
    sa.Table("feedback", legacy, *(c._copy() for c in feedback.columns if c.name not in ("answer_id", "reason")),
             sqlite_autoincrement=True)
    legacy.create_all(con, checkfirst=True)


def _v2(con) -> None:
    have = {c["name"] for c in sa.inspect(con).get_columns("feedback")}
    # Constant DDL: SQLAlchemy Core has no ALTER TABLE, and nothing here comes from input.
    if "answer_id" not in have:
        con.execute(sa.text("ALTER TABLE feedback ADD COLUMN answer_id VARCHAR(32)"))
    if "reason" not in have:
        con.execute(sa.text("ALTER TABLE feedback ADD COLUMN reason TEXT"))
    sa.Index("ix_feedback_answer_id", feedback.c.answer_id).create(con, checkfirst=True)
    sa.Index("ix_feedback_ts", feedback.c.ts).create(con, checkfirst=True)


def _v3(con) -> None:
    questions.create(con, checkfirst=True)


MIGRATIONS = (
    (1, "feedback, as rag/feedback.py first created it", _v1),
    (2, "feedback: answer_id, reason", _v2),
    (3, "questions", _v3),
)
VERSION = MIGRATIONS[-1][0]


# --------------------------------------------------------------------------- connections


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def _engine_url(url: str) -> sa.engine.URL:
    try:
        u = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise RagError(f"RAG_ANALYTICS_URL={url!r} is not a database URL; use postgresql://user:password@host/db "
                       "or leave it unset for SQLite beside RAG_FEEDBACK") from None
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")  # psycopg 3: the `postgres` extra
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise RagError(f"RAG_ANALYTICS_URL: {u.get_backend_name()} is not supported; use postgresql://… or SQLite")
    return u


class Database:
    """One engine per URL and process; `write()` for a transaction that holds the write lock."""

    _open: dict[str, "Database"] = {}
    _lock = threading.Lock()

    def __init__(self, url: str):
        u = _engine_url(url)
        self.sqlite = u.get_backend_name() == "sqlite"
        self.where = u.render_as_string(hide_password=True)
        if self.sqlite:
            if u.database and u.database != ":memory:":
                Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(u, connect_args={"timeout": 30})
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        else:
            try:
                self.engine = sa.create_engine(u, pool_pre_ping=True, pool_size=2, max_overflow=4)
            except ImportError:
                raise ExtraMissing("RAG_ANALYTICS_URL=postgresql://…", ["psycopg"], "postgres") from None
        self._migrate()

    @classmethod
    def open(cls, url: str) -> "Database":
        """The database at `url`, migrated to the current schema (once per process)."""
        with cls._lock:
            if url not in cls._open:
                cls._open[url] = cls(url)
            return cls._open[url]

    @contextmanager
    def write(self):
        """A connection in a committed-on-exit transaction that holds the write lock from its start."""
        with self.engine.connect() as con:
            con.execution_options(immediate=True)
            with con.begin():
                yield con

    @contextmanager
    def read(self):
        with self.engine.connect() as con:
            yield con

    def _migrate(self) -> None:
        try:
            with self.write() as con:
                if not self.sqlite:  # several replicas may start at once
                    con.execute(sa.select(sa.func.pg_advisory_xact_lock(0x7261675f6c6f67)))
                _schema.create(con, checkfirst=True)
                done = con.execute(sa.select(sa.func.max(_schema.c.version))).scalar() or 0
                if done > VERSION:
                    raise RagError(f"The editors' database {self.where} has schema version {done}, newer than this "
                                   f"version of rag ({VERSION}). Upgrade rag, or point RAG_ANALYTICS_URL elsewhere.")
                for version, note, step in MIGRATIONS:
                    if version > done:
                        step(con)
                        con.execute(_schema.insert().values(version=version, applied=time.time(), note=note))
        except sa.exc.OperationalError as e:
            raise RagError(f"The editors' database {self.where} cannot be opened ({_short(e)}). Check "
                           "RAG_ANALYTICS_URL (or that RAG_FEEDBACK's folder is writable).") from None

    def version(self) -> int:
        with self.read() as con:
            return con.execute(sa.select(sa.func.max(_schema.c.version))).scalar() or 0


def _short(e: Exception) -> str:
    return str(getattr(e, "orig", e)).splitlines()[0][:200]


def _sqlite_connect(dbapi_con, _record) -> None:
    dbapi_con.isolation_level = None  # SQLAlchemy's begin hook below emits BEGIN
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA busy_timeout = 30000")  # first: switching to WAL itself waits for other writers
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _sqlite_begin(con) -> None:
    # A deferred transaction that reads and then writes cannot wait for the lock (SQLite answers
    # "database is locked" at once, whatever the busy timeout); IMMEDIATE takes it at BEGIN and waits.
    con.exec_driver_sql("BEGIN IMMEDIATE" if con.get_execution_options().get("immediate") else "BEGIN")
