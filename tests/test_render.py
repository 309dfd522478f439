"""Pure pieces of the chat server: HTML rendering, origins, the rate limiter, the feedback file."""
from __future__ import annotations

import html
import sqlite3

import pytest

from rag.config import Settings, parse_origins
from rag.errors import RagError
from rag.feedback import FeedbackLog
from rag.limits import RateLimiter, client_key
from rag.render import answer_html, article_link, esc, in_context, safe_url, sources_html, text_fragment
from rag.types import Answer, Citation

TEXT = ("Title\n\nFirst sentence of the paragraph. The quoted sentence is here. A sentence after it.\n\n"
        "Next paragraph.")
QUOTE = "The quoted sentence is here."


def cite(n=1, quote=QUOTE, url="https://news.example/a", title="T", text=TEXT, published="2026-11-20"):
    start = text.index(quote)
    return Citation(n=n, doc_id="a", title=title, url=url, quote=quote, start=start, end=start + len(quote),
                    score=1.0, published=published)


def test_esc_leaves_no_markup_and_one_line():
    s = esc('<img src=x onerror="alert(1)">\n\n![x](http://e.example/p.png) & "q"')
    assert "<" not in s and ">" not in s and '"' not in s and "\n" not in s
    assert html.unescape(s) == '<img src=x onerror="alert(1)"> ![x](http://e.example/p.png) & "q"'


@pytest.mark.parametrize("url,ok", [
    ("https://news.example/a?b=1", True), ("http://news.example", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), (" javascript:alert(1)", False),
    ("data:text/html,<b>x</b>", False), ("//evil.example/x", False), ("/relative", False),
    ("https://news.example/\nx", False), ("", False), ("https://", False),
])
def test_safe_url_keeps_only_http_links(url, ok):
    assert bool(safe_url(url)) is ok


def test_text_fragment_encodes_syntax_characters():
    assert text_fragment("a-b, c & d") == "#:~:text=a%2Db%2C%20c%20%26%20d"
    long = "one two three four five six seven eight nine ten eleven twelve"
    assert text_fragment(long) == "#:~:text=one%20two%20three%20four%20five,eight%20nine%20ten%20eleven%20twelve"
    assert article_link(cite(url="https://news.example/a#old")) == "https://news.example/a#:~:text=The%20quoted%20sentence%20is%20here."
    assert article_link(cite(url="javascript:alert(1)")) == ""


def test_quote_in_its_paragraph():
    assert in_context(TEXT, cite()) == ("First sentence of the paragraph. ", QUOTE, " A sentence after it.")
    # a changed article: the quote alone, never the wrong context
    assert in_context(TEXT.replace("quoted", "QUOTED"), cite()) == ("", QUOTE, "")
    long = "Title\n\n" + "Filler words go on and on. " * 30 + QUOTE + " Then more. " * 40
    before, _, after = in_context(long, cite(text=long))
    assert 0 < len(before) <= 240 and before.startswith("Filler") and len(after) <= 240 and after.endswith(".")


def test_answer_links_markers_to_sources_and_escapes_everything():
    c = cite(quote=QUOTE)
    a = Answer("It says <b>so</b> [1]. Not a marker: [7].", refused=False, citations=[c])
    out = answer_html(a, turn=3)
    assert '<a class="cite" href="#src-3-1"' in out and "&lt;b&gt;so&lt;/b&gt;" in out and "[7]" in out
    panel = sources_html(a, 3, lambda doc_id: TEXT)
    assert '<li id="src-3-1"' in panel and f"<mark>{QUOTE}</mark>" in panel and "2026-11-20" in panel
    assert 'href="https://news.example/a#:~:text=' in panel
    assert "\n" not in panel and "\n" not in out  # one line each: passed through markdown untouched


def test_refusal_has_no_sources():
    a = Answer("The coverage I have does not answer that.", refused=True)
    assert 'class="refusal"' in answer_html(a, 1) and sources_html(a, 1, lambda d: None) == ""


def test_origins_are_normalised_and_wildcards_refused():
    assert parse_origins("https://News.Example:443/, http://localhost:8000") == (
        "https://news.example", "http://localhost:8000")
    for bad in ("*", "null", "news.example", "https://a.example/path", "ftp://a.example"):
        with pytest.raises(ValueError):
            parse_origins(bad)
    with pytest.raises(RagError, match="RAG_ALLOWED_ORIGINS"):
        Settings.from_env({"RAG_ALLOWED_ORIGINS": "*"})


def test_rate_limiter_bucket():
    rl = RateLimiter(per_min=6, burst=2)
    assert rl.hit("a", now=0) == 0 and rl.hit("a", now=0) == 0
    assert rl.hit("a", now=0) == pytest.approx(10.0)
    assert rl.hit("b", now=0) == 0  # per client
    assert rl.hit("a", now=10.0) == 0  # one token back after 10 s
    assert rl.retry_after(0.2) == 1
    assert RateLimiter(per_min=0, burst=1).hit("a") == 0  # off


def test_rate_limiter_stays_bounded():
    rl = RateLimiter(per_min=60, burst=1, max_clients=100)
    for i in range(1000):
        rl.hit(f"c{i}", now=i * 0.001)
    assert len(rl._buckets) <= 100


def test_client_key_groups_ipv6_by_64():
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff") == "2001:db8::/64"
    assert client_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert client_key("10.0.0.1") == "10.0.0.1" and client_key(None) == "unknown"


def test_feedback_roundtrip_in_sqlite(tmp_path):
    log = FeedbackLog(tmp_path / "sub" / "fb.sqlite3")
    assert log.entries() == []
    log.add("like", "Q?", "A. [1]", [cite()], refused=False)
    log.add("dislike", "Q2?", "The coverage I have does not answer that.", [], refused=True)
    rows = log.entries()
    assert [r["rating"] for r in rows] == ["dislike", "like"]
    assert rows[1]["citations"][0]["quote"] == QUOTE and rows[1]["refused"] is False
    assert log.entries(limit=1)[0]["question"] == "Q2?"
    # a plain SQLite file editors can open with any tool
    with sqlite3.connect(tmp_path / "sub" / "fb.sqlite3") as con:
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == 2


def test_session_keeps_the_last_turns_and_their_ratings_aligned():
    from rag.chat import MAX_TURNS_KEPT, Record, Session

    s = Session()
    for i in range(MAX_TURNS_KEPT + 5):
        s.messages += [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]
        s.records[len(s.messages) - 1] = Record(f"q{i}", Answer(f"a{i} [1]", refused=False))
        s.trim()
    assert len(s.messages) == 2 * MAX_TURNS_KEPT
    for index, record in s.records.items():  # a like on message `index` still finds its own answer
        assert s.messages[index]["content"] == record.answer.answer.split(" ")[0]
    assert [t.question for t in s.history()][-1] == f"q{MAX_TURNS_KEPT + 4}" and len(s.history()) == 20


def test_citation_ids_are_unique_and_every_kept_answer_keeps_its_sources():
    import re as _re

    from rag.chat import Record, Session
    from rag.render import sources_panel

    c = cite(title="Ferry <times>")
    out = answer_html(Answer("One [1]. Two [1].", refused=False, citations=[c]), turn=2)
    ids = _re.findall(r' id="([^"]+)"', out)
    assert ids == ["turn-2", "src-2-1-ref", "src-2-1-q1", "src-2-1-ref2", "src-2-1-q2"]  # no id twice
    assert 'title="Source 1: Ferry &lt;times&gt;"' in out and 'role="tooltip"' in out and "title=\"" + QUOTE not in out
    s = Session()
    for turn, q in ((1, "first?"), (2, "second?")):
        a = Answer(f"{q} [1]", refused=False, citations=[c])
        s.records[2 * turn - 1] = Record(q, a, turn, sources_html(a, turn, lambda d: TEXT, q))
    panel = s.panel()
    assert panel.index('id="src-2-1"') < panel.index('id="src-1-1"')  # newest first, the first still there
    assert '<a class="back" href="#src-1-1-ref">' in panel and 'tabindex="-1"' in panel
    assert '<h2 id="sources-head"' in sources_panel([]) and "appear here" in sources_panel([])
