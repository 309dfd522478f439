"""Retrieval and selection shaped by the kind of answer asked for (real store, models and NLP).

A small corpus written for these tests: a lake story whose closest-worded passages name only the
council, while the person asked about is quoted further down; and a race report where the only figure
near the asked count is a runner's age. Each test states a general rule; none of these questions is
in an eval set.
"""
from __future__ import annotations

import pytest

from conftest import corpus_bot
from rag.facts import article_facts

ARTICLES = {
    "lake-2023.md": ("Algae closes beaches on Lake Tessaly", "https://news.example/2023/08/tessaly", "2023-08-10",
                     "TESSALY, Aug. 9 — Four beaches on Lake Tessaly were closed on Wednesday after tests found "
                     "toxic algae, the Tessaly District Council said. The council said the lake would be tested "
                     "again next week.\n\n"
                     "## Why it happens\n\n"
                     "Warm water and fertiliser runoff feed the bloom. Fertiliser washes off fields after heavy "
                     "rain.\n\n"
                     "## What comes next\n\n"
                     "Swimmers were told to check the council's website before visiting. Boat hire on the "
                     "northern shore stayed open, and the ferry kept its summer timetable. The harbour cafe said "
                     "bookings had held up.\n\n"
                     "\"The lake is telling us something,\" said Dr. Ines Halvorsen, a hydrologist at Tessaly "
                     "Polytechnic, who has studied its water for a decade."),
    "race-2022.md": ("Marsh wins the 2022 Tessaly Fell Race", "https://news.example/2022/05/fell-race", "2022-05-16",
                     "TESSALY, May 15 — Jonas Marsh won the Tessaly Fell Race on Sunday in wet, windy weather. "
                     "Okafor, 19, a student from the valley, was running in only his second fell race and "
                     "finished fourth."),
}


@pytest.fixture(scope="module")
def bot(tmp_path_factory, embedder):
    return corpus_bot(tmp_path_factory.mktemp("kinds"), embedder, ARTICLES)


def test_a_which_person_question_finds_the_passage_quoting_a_person(bot):
    # the lead and the council's sentences are the closest words; only the last paragraph names a person
    a = bot.ask("Which scientist has been talking about Lake Tessaly?", top_k=3)
    assert not a.refused, a.trace.notes
    assert "Ines Halvorsen" in a.answer
    assert a.trace.asked["kind"] == "person_or_org"


def test_an_age_is_no_answer_to_how_many(bot):
    a = bot.ask("How many runners took part in the 2022 Tessaly Fell Race?")
    assert a.refused, a.answer
    assert any("only an age" in n for n in a.trace.notes), a.trace.notes


def test_a_count_beside_an_age_is_still_an_answer(bot):
    # the rule removes the age only: a real count in the same sentence answers
    from rag.facts import _AGE
    assert _AGE.sub(" ", "Okafor, 19, beat 212 runners.").count("212") == 1
    assert not _AGE.search("The race drew 212 runners, 40 of them from abroad.")


def test_a_common_noun_opening_a_sentence_is_no_name():
    text = ("Phosphorus stored in the mud feeds the bloom. Farmers said phosphorus from fields was falling. "
            "Halvorsen said the lake would recover.")
    facts = article_facts([text], ["2023-08-10"])[0]
    names = {n for s in facts.sentences for _, n in s.names}
    assert "phosphorus" not in names
    assert "halvorsen" in names  # a name that opens a sentence is still one


def test_a_chunks_sentences_are_those_overlapping_its_span():
    from rag.facts import ArticleFacts, SentenceFacts

    def sent(start, end):
        return SentenceFacts(start, end, (), (), (), (), frozenset(), False)

    facts = ArticleFacts(2023, (sent(0, 10), sent(11, 20), sent(21, 30), sent(31, 40)))
    assert [s.start for s in facts.overlapping(15, 25)] == [11, 21]
    assert [s.start for s in facts.overlapping(20, 21)] == []  # the gap between two sentences
    assert [s.start for s in facts.overlapping(0, 100)] == [0, 11, 21, 31]
    assert [s.start for s in facts.overlapping(39, 45)] == [31]
