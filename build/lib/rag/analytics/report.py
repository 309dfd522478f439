"""What the editors' page and `rag gaps` show for a period: most-asked questions, coverage gaps,
disliked answers, usage over time; each table also as CSV.

    report = build(log, ratings, vectors, since=parse_since("7d"), article="")

Times are UTC. A question belongs to an article when the embed it was asked in was on
that article or its answer cites it (refused questions: the embed's article only).
"""
from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from ..errors import RagError
from .groups import Group, gaps, group
from .questions import Asked, QuestionLog, minute

_SPAN = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$", re.I)
_UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_ROWS = 200  # per table on the page; the CSV has them all


def parse_since(text: str, now: float | None = None) -> float:
    """'7d', '24h', '90m', '2w' before now, or a date (2026-11-20, UTC midnight) -> unix time."""
    now = time.time() if now is None else now
    m = _SPAN.match(text or "")
    if m:
        return now - int(m.group(1)) * _UNIT[m.group(2).lower()]
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()
    except (ValueError, AttributeError):
        raise RagError(f"--since {text!r} is not a period: use 7d, 24h, 90m, 2w or a date like 2026-11-20") from None


def when(ts: float, hours: bool = True) -> str:
    return time.strftime("%Y-%m-%d %H:%M" if hours else "%Y-%m-%d", time.gmtime(ts))


@dataclass(frozen=True)
class Dislike:
    """A disliked answer: the reasons readers gave and the passages it cited."""

    answer_id: str
    ts: float
    question: str
    answer: str
    reason: str
    citations: tuple[dict, ...]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["time"], d["citations"] = when(self.ts), list(self.citations)
        return d


@dataclass(frozen=True)
class Bucket:
    start: int
    asked: int
    refused: int


@dataclass
class Report:
    since: float
    until: float
    article: str
    rows: list[Asked]
    asked: list[Group] = field(default_factory=list)
    gaps: list[Group] = field(default_factory=list)
    dislikes: list[Dislike] = field(default_factory=list)
    usage: list[Bucket] = field(default_factory=list)
    step: int = 3600  # seconds per usage bucket

    @property
    def refused(self) -> int:
        return sum(r.refused for r in self.rows)

    def to_dict(self) -> dict:
        return {"since": when(self.since), "until": when(self.until), "article": self.article,
                "questions": len(self.rows), "refused": self.refused,
                "asked": [g.to_dict() for g in self.asked], "gaps": [g.to_dict() for g in self.gaps],
                "dislikes": [d.to_dict() for d in self.dislikes],
                "usage": [{"start": when(b.start), "questions": b.asked, "refused": b.refused} for b in self.usage]}


def build(log: QuestionLog, ratings, vectors, since: float, until: float | None = None, article: str = "",
          only_gaps: bool = False) -> Report:
    """The report for [since, until): `ratings` is a FeedbackLog, `vectors` a groups.QuestionVectors."""
    until = time.time() if until is None else until
    everything = log.asked(since, until)
    rows = [r for r in everything if not article or r.about(article)]
    report = Report(since, until, article, rows, gaps=gaps(rows, vectors))
    if only_gaps:
        return report
    report.asked = group(rows, vectors)
    report.dislikes = dislikes(ratings.entries(since=minute(since)), {r.answer_id: r for r in everything}, article)
    report.step = 3600 if until - since <= 2 * 86400 else 86400
    report.usage = usage(rows, since, until, report.step)
    return report


def dislikes(entries: list[dict], logged: dict[str, Asked], article: str = "") -> list[Dislike]:
    """Answers whose last rating is a dislike, newest first, each with every reason given."""
    last: dict[str, dict] = {}
    reasons: dict[str, list[str]] = {}
    for e in sorted(entries, key=lambda e: e["id"]):  # entries come newest first
        key = e["answer_id"] or f"row-{e['id']}"  # ratings from before answer ids
        last[key] = e
        if e["rating"] == "dislike" and e["reason"] and e["reason"] not in reasons.setdefault(key, []):
            reasons[key].append(e["reason"])
    out = []
    for key, e in last.items():
        if e["rating"] != "dislike":
            continue
        cited = {c.get("doc_id") for c in e["citations"]}
        if article and article not in cited and getattr(logged.get(key), "article", "") != article:
            continue
        out.append(Dislike(e["answer_id"], e["ts"], e["question"], e["answer"], "; ".join(reasons.get(key, [])),
                           tuple(e["citations"])))
    return sorted(out, key=lambda d: -d.ts)


def usage(rows: list[Asked], since: float, until: float, step: int) -> list[Bucket]:
    """Questions (and how many were refused) per hour or day, empty buckets included."""
    first, last = int(since) // step * step, int(until) // step * step
    counts = {t: [0, 0] for t in range(first, last + 1, step)}
    for r in rows:
        c = counts.setdefault(r.asked // step * step, [0, 0])
        c[0] += 1
        c[1] += r.refused
    return [Bucket(t, a, f) for t, (a, f) in sorted(counts.items())]


# --------------------------------------------------------------------------- the FAQ block, CSV


def faq_entry(question: str) -> str:
    """A FAQ entry in the corpus format (rag/loaders/draft.py reads it), with the answer left to write.

    The placeholder is an HTML comment, which ingest drops: a question left unanswered is not
    an FAQ pair, so no placeholder ever becomes an answer or an eval's gold text.
    """
    q = re.sub(r"\s+", " ", question).strip().lstrip("#>*-+ ").strip()[:300].rstrip(" ?.!") + "?"
    return f"### {q}\n\n<!-- Write the answer from the article's reporting here, then run: rag ingest -->\n"


TABLES = ("asked", "gaps", "dislikes", "usage", "questions")


def table(report: Report, name: str) -> tuple[list[str], list[list]]:
    """One table of the report as (header, rows)."""
    if name in ("asked", "gaps"):
        groups = report.asked if name == "asked" else report.gaps
        return (["count", "refused", "question", "other wordings", "articles", "last asked (UTC)"],
                [[g.count, g.refused, g.question, " | ".join(f"{q} ({n})" for q, n in g.wordings[1:]),
                  " ".join(g.articles), when(g.last)] for g in groups])
    if name == "dislikes":
        return (["time (UTC)", "question", "answer", "reason", "cited passages"],
                [[when(d.ts), d.question, d.answer, d.reason,
                  " | ".join(f"[{c.get('n')}] {c.get('title', '')}: {c.get('quote', '')}" for c in d.citations)]
                 for d in report.dislikes])
    if name == "usage":
        return (["start (UTC)", "questions", "refused"],
                [[when(b.start, report.step < 86400), b.asked, b.refused] for b in report.usage])
    if name == "questions":
        return (["time (UTC)", "question", "answer", "refused", "cited", "article", "backend", "latency_ms",
                 "rating", "reason"],
                [[when(r.asked), r.question, r.answer, int(r.refused), " ".join(r.cited), r.article, r.backend,
                  round(r.latency_ms, 1), r.rating, r.reason] for r in report.rows])
    raise KeyError(name)


def to_csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue()


def _cell(value):
    # Readers write the questions: a cell a spreadsheet would run as a formula is quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --------------------------------------------------------------------------- rag gaps


def gaps_json(report: Report) -> dict:
    return {"since": when(report.since), "until": when(report.until), "article": report.article,
            "questions": len(report.rows), "refused": report.refused,
            "gaps": [{**g.to_dict(), "faq": faq_entry(g.question)} for g in report.gaps]}


def gaps_text(report: Report) -> str:
    """The coverage gaps as an editor reads them in a terminal or a daily mail."""
    scope = f" about {report.article}" if report.article else ""
    head = (f"Coverage gaps{scope}, {when(report.since)} to {when(report.until)} UTC: {report.refused} of "
            f"{len(report.rows)} question{'s' if len(report.rows) != 1 else ''} refused, "
            f"in {len(report.gaps)} group{'s' if len(report.gaps) != 1 else ''}")
    lines = [head]
    for g in report.gaps:
        lines.append(f"{g.count:>5}  {g.question}")
        if len(g.wordings) > 1:
            lines.append("       also: " + "; ".join(f"{q} ({n})" for q, n in g.wordings[1:]))
    if report.gaps:
        lines.append("\nAdd an answered entry to the article's FAQ block (### Question? then the answer), "
                     "then run: rag ingest")
    return "\n".join(lines)
