"""The embed's story scope and /embed.js, without a browser: which article a ?article= names, its example
questions, the "other coverage" notice, the retrieval preference on a real store with the bundled
model, and the script's headers through the real Guard. tests/test_embed_browser.py runs it all in a
browser, across origins."""
from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import make_bot
from rag import Settings
from rag.embed import SCRIPT_CACHE, add_script_route, frame_head, script
from rag.guard import Guard
from rag.ingest import ingest
from rag.limits import RateLimiter
from rag.retrieve import PREFER_DOC, STEP
from rag.scope import OTHER_COVERAGE, resolve, story_examples, with_notice
from rag.store import Store
from rag.types import Answer, Citation, QAPair, StoredArticle

PLAN = "https://news.example/harbour-plan"
PLAN_MD = f"""---
title: "Harbour plan approved"
url: "{PLAN}?utm_source=feed&utm_medium=rss"
published: "2026-11-18"
---

The Kettle Bay council approved the new harbour plan on Tuesday after a two-hour debate.

## What changes for ferries

Ferries will dock at the new north pier from March, the council said. The old ferry ramp closes in May.

## The Money

The plan costs 4 million euros, paid by the port authority and a regional grant.
"""
TIMETABLE = json.dumps({
    "title": "Kettle Bay ferry timetable", "url": "https://news.example/ferry-timetable", "published": "2026-11-20",
    "body": ("The Kettle Bay ferry will run every twenty minutes from March, the operator said.\n\n"
             "Night crossings to the north pier are added on Saturdays.")})
FAQ_MD = """---
title: "Lighthouse reopens"
---

The Kettle Bay lighthouse reopened to visitors on Sunday after repairs.

## Frequently asked questions

### When did the lighthouse reopen?

It reopened to visitors on Sunday after repairs.
"""


# --------------------------------------------------------------------------- pure rules


def test_resolve_takes_an_id_or_any_form_of_its_canonical_url():
    known = {PLAN, "corpus/story.md"}.__contains__
    assert resolve("corpus/story.md", known) == "corpus/story.md"
    assert resolve(PLAN, known) == PLAN
    assert resolve(f"  {PLAN}?utm_source=x&fbclid=y#top ", known) == PLAN
    assert resolve("HTTPS://NEWS.EXAMPLE/harbour-plan", known) == PLAN
    assert resolve("https://news.example/other", known) == ""
    assert resolve("", known) == "" and resolve(None, known) == "" and resolve(["x"], known) == ""
    assert resolve("https://news.example/" + "a" * 3000, lambda _: True) == ""  # too long to be ours
    assert resolve("bad\ud800", lambda _: True) == ""  # a lone surrogate (JSON can send one) is no id


def _article(faq=(), title="Harbour plan approved") -> StoredArticle:
    return StoredArticle(doc_id=PLAN, version="v", faq=tuple(faq), title=title, text="", url=PLAN, published="")


def test_story_examples_are_its_faq_else_its_headings_as_questions():
    faq = [QAPair("When did it open?", "Sunday.", 0, 10), QAPair("Who paid?", "The council.", 20, 30)]
    assert story_examples(_article(faq), ["lead", "What changes"]) == ["When did it open?", "Who paid?"]
    sections = ["title", "dek", "lead", "What changes for ferries", "What changes for ferries", "The Money:",
                "Why now?", "faq", "Harbour plan approved", "Budget"]
    assert story_examples(_article(), sections) == [
        "What changes for ferries?", "What does the story say about the Money?", "Why now?",
        "What does the story say about Budget?"]
    assert story_examples(_article(), ["title", "lead", "faq"]) == []


def test_the_notice_says_when_a_scoped_answer_cites_another_article():
    mine = Citation(1, PLAN, "Plan", PLAN, "q", 0, 1, 1.0)
    other = Citation(2, "https://news.example/ferry-timetable", "Ferry", "", "q", 0, 1, 1.0)
    assert with_notice(Answer("a [1]", False, [mine]), PLAN) == ""
    assert with_notice(Answer("a [1] b [2]", False, [mine, other]), PLAN) == OTHER_COVERAGE
    assert with_notice(Answer("a [2]", False, [other], notice="Note."), PLAN) == f"Note. {OTHER_COVERAGE}"
    assert with_notice(Answer("a [2]", False, [other]), "") == ""  # not scoped
    assert with_notice(Answer("I can't find that.", True, []), PLAN) == ""
    again = Answer("a [2]", False, [other], notice=OTHER_COVERAGE)
    assert with_notice(again, PLAN) == OTHER_COVERAGE  # a cached answer does not say it twice


# --------------------------------------------------------------------------- /embed.js through the real Guard


def test_scripts_carry_the_allow_list_and_cannot_be_closed_early():
    origins = ("https://news.example", "http://localhost:8000")
    for text in (script(origins), frame_head(origins)):
        assert "__RAG_ALLOWED__" not in text
        assert '["https://news.example", "http://localhost:8000"]' in text
    # inline in the embed page's head: nothing in the list can close it (parse_origins refuses such an origin anyway)
    assert frame_head(("https://x.example</script><script>alert(1)",)).count("</script>") == 1
    assert "const ALLOWED = [];" in script(())
    assert frame_head(()).startswith("<script>") and frame_head(()).count("</script>") == 1


@pytest.fixture(scope="module")
def guarded():
    settings = Settings(allowed_origins=("https://news.example",))
    app = FastAPI()
    add_script_route(app, ("https://news.example",))

    @app.get("/other")
    def other():
        return {"ok": True}

    app.add_middleware(Guard, settings=settings, limiter=RateLimiter(0, 0))
    return TestClient(app)


def test_embed_js_is_cacheable_javascript_any_origin_may_load(guarded):
    r = guarded.get("/embed.js", headers={"origin": "https://evil.example"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["cache-control"] == SCRIPT_CACHE and r.headers["etag"].startswith('"')
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"  # <script src> from a news page
    assert r.headers["access-control-allow-origin"] == "*"  # and with crossorigin=anonymous too
    assert r.headers["x-content-type-options"] == "nosniff"
    assert '["https://news.example"]' in r.text
    again = guarded.get("/embed.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert guarded.head("/embed.js").headers["etag"] == r.headers["etag"]
    # every other response stays same-origin only
    other = guarded.get("/other", headers={"origin": "https://news.example"})
    assert other.headers["cross-origin-resource-policy"] == "same-origin"
    assert "access-control-allow-origin" not in other.headers


# --------------------------------------------------------------------------- a real store, the bundled model


@pytest.fixture(scope="module")
def harbour(tmp_path_factory, embedder):
    corpus = tmp_path_factory.mktemp("harbour-corpus")
    (corpus / "harbour-plan.md").write_text(PLAN_MD)
    (corpus / "ferry-timetable.json").write_text(TIMETABLE)
    (corpus / "lighthouse.md").write_text(FAQ_MD)
    store = Store.open(tmp_path_factory.mktemp("harbour") / "store", create=True)
    report = ingest([corpus], store, embedder, exclude_faq=False)
    assert not report.skipped, report.skipped
    return make_bot(store, embedder)


def test_prefer_doc_moves_the_story_up_and_keeps_the_rest(harbour):
    query = "When does the ferry run from the north pier?"
    plain = {(h.chunk.doc_id, h.chunk.index): h for h in harbour.retriever.search(query, 6)}  # best first
    scoped = harbour.retriever.search(query, 6, prefer_doc=PLAN)
    assert {h.chunk.doc_id for h in scoped} - {PLAN}, "other articles stay in the running"
    for h in scoped:
        before = plain.get((h.chunk.doc_id, h.chunk.index))
        if before is not None:
            bonus = PREFER_DOC * STEP if h.chunk.doc_id == PLAN else 0.0
            assert h.score == pytest.approx(before.score + bonus)
    first = lambda hits, doc: min(i for i, h in enumerate(hits) if h.chunk.doc_id == doc)  # noqa: E731
    assert first(scoped, PLAN) <= first(list(plain.values()), PLAN)


def test_a_scoped_answer_says_when_it_draws_on_other_coverage(harbour):
    own = harbour.ask("Where will ferries dock from March?", prefer_doc=PLAN)
    assert not own.refused and {c.doc_id for c in own.citations} == {PLAN} and own.notice == ""
    elsewhere = harbour.ask("How often will the Kettle Bay ferry run?", prefer_doc=f"{PLAN}?utm_campaign=x")
    assert not elsewhere.refused and any(c.doc_id != PLAN for c in elsewhere.citations)
    assert elsewhere.notice == OTHER_COVERAGE
    # the same question unscoped, or scoped to an article the store does not hold: no notice, same answer
    # (and neither is served the scoped answer from the answer cache)
    for ref in ("", "https://news.example/no-such-story", "<script>"):
        plain = harbour.ask("How often will the Kettle Bay ferry run?", prefer_doc=ref)
        assert plain.notice == "" and plain.answer == elsewhere.answer


def test_examples_for_a_story_come_from_it(harbour):
    assert harbour.examples(article=PLAN) == ["What changes for ferries?", "What does the story say about the Money?"]
    assert harbour.examples(article="lighthouse.md") == ["When did the lighthouse reopen?"]
    corpus_wide = harbour.examples()
    assert corpus_wide == ["When did the lighthouse reopen?"]
    assert harbour.examples(article="https://news.example/ferry-timetable") == corpus_wide  # nothing of its own
    assert harbour.examples(article="https://news.example/nowhere") == corpus_wide
    assert harbour.article_id(f"{PLAN}?utm_source=x") == PLAN
