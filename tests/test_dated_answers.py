"""Answers that know what day it is: a figure that changed over time is answered with the newest
value and its date, the earlier value cited beside it; a question about a past moment gets the
coverage of that moment; relative dates are read against each article's own date.

A small dated corpus written for these tests (real store, real embedding and NLP models): a ferry
terminal whose budget was raised twice, and a museum whose visitor count one article gives only as
"last year". None of these questions is in an eval set.
"""
from __future__ import annotations

import datetime
from dataclasses import replace

import pytest

from conftest import build_store, make_bot
from rag import Settings
from rag.backends.dated import _when
from rag.citations import check_answer
from rag.errors import RagError
from rag.explainer import _day, _lead
from rag.types import Answer, Citation
from rag.understand import understand

ARTICLES = {
    "terminal-approved.md": (
        "Council approves Marrow Point ferry terminal", "https://news.example/2021/03/terminal", "2021-03-10", "",
        "HALLOWAY, March 9 — The city council approved the Marrow Point ferry terminal on Tuesday. The terminal "
        "is budgeted at $42 million, the council said, and is due to open in 2023. Ferries to the islands will "
        "leave from its four berths."),
    "terminal-cost-rises.md": (
        "Marrow Point terminal cost rises", "https://news.example/2022/09/terminal", "2022-09-14", "",
        "HALLOWAY, Sept. 14 — The Marrow Point ferry terminal will now cost $57 million, up from the $42 million "
        "approved last year, the city council said on Wednesday. Steel prices and a redesign of the berths "
        "pushed the budget up. The council still expects the terminal to open in 2023."),
    "terminal-opens.md": (
        "Marrow Point ferry terminal opens", "https://news.example/2023/11/terminal", "2023-11-20", "2023-11-22",
        "HALLOWAY, Nov. 20 — The Marrow Point ferry terminal opened to passengers on Monday. The terminal's "
        "final bill came to $61 million, the city council said. The first ferry left for the islands at 7 a.m. "
        "with 212 passengers on board."),
    "museum-visitors.md": (
        "Halloway Maritime Museum plans a new wing", "https://news.example/2024/01/museum", "2024-01-05", "",
        "HALLOWAY, Jan. 5 — The Halloway Maritime Museum will add a wing for its collection of ship models. The "
        "museum welcomed 38,400 visitors last year, a record, its director said on Thursday. Building work is "
        "due to start in the spring."),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory, embedder):
    corpus = tmp_path_factory.mktemp("dated-answers") / "corpus"
    corpus.mkdir()
    for name, (title, url, published, updated, body) in ARTICLES.items():
        extra = f"updated: {updated}\n" if updated else ""
        (corpus / name).write_text(f"---\ntitle: \"{title}\"\nurl: {url}\npublished: {published}\n{extra}---\n"
                                   f"{body}\n")
    store, report = build_store(corpus.parent / "store", embedder, corpus)
    assert len(report.added) == len(ARTICLES) and not report.skipped
    return store


@pytest.fixture(scope="module")
def bot(store, embedder):
    return make_bot(store, embedder)


def shown(bot, answer) -> str:
    assert not answer.refused, answer.trace.notes
    assert check_answer(answer, bot._article_text) == [], answer.answer  # the gate holds on every answer
    return answer.answer


def test_the_question_says_when_and_what():
    now, then = understand("How much does the terminal cost now?"), understand("What did it originally cost?")
    assert (now.latest, now.cue, then.earliest, then.cue) == (True, "now", True, "originally")
    assert understand("What did the council think the terminal would cost?").kind == "money"
    assert understand("What did the council say about the cost?").kind != "money"
    start = understand("How many ferries sailed on the first day of the strike?")
    assert start.earliest and "strike" not in start.cue  # the event stays what is asked about
    assert not understand("How many ferries sailed at the start of the year?").earliest
    # the present or future tense asks about now; the past tense, a year or "originally" about then
    assert understand("Who holds the record?").now and understand("When will the terminal open?").now
    assert not any(understand(q).now for q in ("Who won the race?", "Who is the mayor in 2024?",
                                               "What did it originally cost?"))


def test_a_present_tense_answer_says_what_date_it_stands_as_of(bot):
    a = bot.ask("How many berths does the Marrow Point ferry terminal have?")
    shown(bot, a)
    assert "four berths" in a.citations[0].quote and a.lead == "As of 10 March 2021:"
    b = bot.ask("How many berths did the Marrow Point ferry terminal have?")
    assert not b.refused and b.lead == ""


def test_the_newest_figure_is_given_first_with_its_date_and_the_earlier_one_cited(bot):
    a = bot.ask("How much does the Marrow Point ferry terminal cost now?")
    text = shown(bot, a)
    first, *rest = a.citations
    assert "$61 million" in first.quote and first.url.endswith("2023/11/terminal")
    # our own wording, from the article's metadata: its update date, not the day it was first published
    assert a.lead == "As of 22 November 2023:"
    assert a.to_dict()["lead"] == a.lead and a.to_dict()["citations"][0]["updated"] == "2023-11-22"
    # the value it replaced, with its own citation of the older article, after the newest
    assert text.index("$61 million") < text.index("$57 million")
    assert any("$57 million" in c.quote and c.url.endswith("2022/09/terminal") for c in rest)


def test_without_a_cue_a_restated_figure_still_gives_the_newest(bot):
    # nothing says "now" (and the past tense does not either): the newer article restating the older
    # figure beside its own is the update
    a = bot.ask("How much was the Marrow Point ferry terminal budgeted at?")
    shown(bot, a)
    assert "$57 million" in a.citations[0].quote and a.citations[0].url.endswith("2022/09/terminal")
    assert a.lead == "As of 14 September 2022:"


def test_a_past_moment_is_answered_with_the_figure_of_that_moment(bot):
    a = bot.ask("How much was the Marrow Point ferry terminal originally expected to cost?")
    text = shown(bot, a)
    assert "$42 million" in a.citations[0].quote and a.citations[0].url.endswith("2021/03/terminal")
    assert not a.lead  # no "as of": the reader asked about then, not now
    assert "$61 million" not in text.split("[1]")[0]


def test_a_named_year_is_answered_from_that_years_coverage(bot):
    a = bot.ask("What did the council expect the Marrow Point ferry terminal to cost in 2022?")
    shown(bot, a)
    assert "$57 million" in a.citations[0].quote and a.citations[0].url.endswith("2022/09/terminal")


def test_a_relative_date_is_read_against_its_articles_date(bot):
    # "last year" in an article of January 2024 is 2023, whatever year it is today
    assert understand("How many visitors did the Halloway Maritime Museum have in 2023?").years == {2023}
    a = bot.ask("How many visitors did the Halloway Maritime Museum have in 2023?")
    shown(bot, a)
    assert "38,400" in a.citations[0].quote
    today = datetime.date.today().year
    if today - 1 not in (2023, 2024):  # read against today, "last year" would be this one
        b = bot.ask(f"How many visitors did the Halloway Maritime Museum have in {today - 1}?")
        assert b.refused or "38,400" not in b.answer


def test_dated_values_compare_the_days_they_name():
    # relative dates become days: "last year" in 2023 is the 2022 another article names, and
    # "Thursday" in two articles of different weeks is two different days
    assert _when("last year", "2023-05-10") == _when("2022", "2024-01-01")
    assert _when("Thursday", "2024-03-07") != _when("Thursday", "2024-03-14")
    assert _when("next Tuesday", "2024-03-07") == _when("March 12, 2024", "2020-01-01")


def test_the_date_lead_is_our_wording_for_the_articles_date():
    assert _day("2023-02-08") == "8 February 2023"
    assert _day("2023-11-22T09:30:00+00:00") == "22 November 2023"
    assert _day("") == "" and _day("soon") == ""


def test_the_lead_says_the_first_citations_date_whatever_backend_wrote_the_answer():
    # pure logic: a model backend leaves no notes; a "now" question still gets the date of its first citation
    cite = Citation(1, "doc-a", "T", "", "q", 0, 1, 1.0, published="2023-01-26", updated="2023-02-01")
    answer = Answer("Forty. [1]", refused=False, citations=[cite])
    now, then = understand("How many vehicles does it make now?"), understand("How many did it make in 2019?")
    assert _lead([], answer, now) == "As of 1 February 2023:"
    assert _lead([], answer, then) == ""
    assert _lead(["asof: doc-a"], answer, then) == "As of 1 February 2023:"  # the backend weighed dated statements
    assert _lead(["asof: doc-b"], answer, then) == ""  # ...but the gate left another article first
    assert _lead(["asof: doc-a", "lead: doc-a\t0\tNo."], answer, then) == "As of 1 February 2023: No."


def test_the_recency_bonus_is_a_setting_that_moves_only_latest_questions(store, embedder):
    with pytest.raises(RagError, match="RAG_RECENCY_BONUS"):
        Settings.from_env({"RAG_RECENCY_BONUS": "-1"})
    assert Settings.from_env({"RAG_RECENCY_BONUS": "0"}).recency_bonus == 0.0
    off = make_bot(store, embedder, replace(Settings(), recency_bonus=0.0))
    strong = make_bot(store, embedder, replace(Settings(), recency_bonus=3.0))

    def scores(bot, q):
        req = bot._request(q, [], None)
        return {(h.chunk.doc_id, h.chunk.index): h.score for h in req.hits}

    latest = "What is the latest cost of the Marrow Point ferry terminal?"
    a, b = scores(off, latest), scores(strong, latest)
    newest = [k for k in b if k[0].endswith("2023/11/terminal")]
    assert newest and all(b[k] > a.get(k, 0.0) for k in newest)
    assert max(b, key=b.get) in newest  # the newest coverage of what is asked leads
    # a question about the past is never shaped by it
    past = "How much was the Marrow Point ferry terminal originally expected to cost?"
    assert scores(off, past) == scores(strong, past)
