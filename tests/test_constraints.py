"""Answers that answer the question asked: its year, quarter, names and kind of answer.

A small dated corpus written for these tests (real store, real embedding and NLP models):
a yearly tournament with a different winner each year, a company's quarterly figures, a
sentence that only makes sense with the one before it. Each test states a general rule;
none of these questions is in an eval set.
"""
from __future__ import annotations

import pytest

from conftest import corpus_bot
from rag.citations import check_answer
from rag.question import condense
from rag.types import Turn
from rag.understand import understand

ARTICLES = {
    "harbour-regatta-2019.md": ("Fenwick wins the 2019 Harbour Regatta", "https://news.example/2019/07/regatta",
                                "2019-07-08",
                                "TALLIN BAY, July 7 — Oskar Fenwick won the Harbour Regatta on Sunday, finishing "
                                "four minutes ahead of the field in strong winds. The race drew 48 boats, organisers "
                                "said."),
    "harbour-regatta-2021.md": ("Moreau takes the 2021 Harbour Regatta", "https://news.example/2021/07/regatta",
                                "2021-07-12",
                                "TALLIN BAY, July 11 — Claire Moreau won the Harbour Regatta on Sunday, the first "
                                "sailor from outside the bay to take the trophy. The race drew 61 boats, organisers "
                                "said."),
    "harbour-regatta-2023.md": ("Harbour Regatta: Lindqvist wins again in record fleet",
                                "https://news.example/2023/07/regatta", "2023-07-10",
                                "TALLIN BAY, July 9 — Saga Lindqvist won the Harbour Regatta on Sunday, leading a "
                                "record fleet of 75 boats around the bay. The Harbour Regatta has been sailed every "
                                "year since 1987, and the Harbour Regatta trophy is now on display at the yacht "
                                "club. The Harbour Regatta has never been cancelled. Sailors call the final leg "
                                "\"the long reach\", the stretch from the harbour mouth to the finish buoy."),
    "ostrel-q1-2021.md": ("Ostrel Foods sales rise in first quarter", "https://news.example/2021/04/ostrel",
                          "2021-04-20",
                          "Ostrel Foods sold 12.4 million meal kits in the first quarter, up 9% from a year earlier, "
                          "the company said on Tuesday. It credited a new frozen range for the rise."),
    "ostrel-q2-2021.md": ("Ostrel Foods sales keep growing", "https://news.example/2021/07/ostrel", "2021-07-20",
                          "Ostrel Foods sold 13.6 million meal kits in the second quarter, the company said on "
                          "Tuesday. Ostrel Foods closed its Varno kitchen in June. The lease on the building had run "
                          "out, and the landlord wanted to sell the site to a developer."),
    "ostrel-q1-2022.md": ("Ostrel Foods sales slip", "https://news.example/2022/04/ostrel", "2022-04-19",
                          "Ostrel Foods sold 11.1 million meal kits in the first quarter, the company said on Monday. "
                          "It blamed higher delivery costs, which pushed prices up, and a warm spring that cut "
                          "demand for its soups."),
}


@pytest.fixture(scope="module")
def bot(tmp_path_factory, embedder):
    return corpus_bot(tmp_path_factory.mktemp("dated"), embedder, ARTICLES)


def shown(bot, answer) -> str:
    assert check_answer(answer, bot._article_text) == [], answer.answer  # the gate holds on every answer
    return answer.answer


def test_the_question_is_understood():
    a = understand("How many meal kits did Ostrel Foods sell in Q1 2022?")
    assert a.kind == "number" and a.years == {2022} and a.quarters == {(2022, 1)}
    assert any(e.text == "Ostrel Foods" for e in a.entities)
    assert understand("Who won the 2021 Harbour Regatta?").kind == "person_or_org"
    assert understand("When did the regatta start?").kind == "date"
    assert understand("Why did sales fall?").kind == "reason"
    assert understand("Has Ostrel Foods raised prices?").kind == "yesno"
    assert understand("Which company sells meal kits?").kind == "person_or_org"


def test_a_year_answered_from_that_years_article_although_a_newer_one_ranks_higher(bot):
    a = bot.ask("Who won the 2021 Harbour Regatta?")
    text = shown(bot, a)
    assert "Moreau" in text and "Lindqvist" not in text and "Fenwick" not in text
    assert {c.doc_id for c in a.citations} == {"https://news.example/2021/07/regatta"}


def test_a_year_the_coverage_lacks_is_refused_and_the_covered_years_named(bot):
    a = bot.ask("Who won the 2020 Harbour Regatta?")
    assert a.refused, a.answer
    assert "2020" in a.notice and ("2019" in a.notice or "2021" in a.notice), a.notice


def test_a_quarter_mismatch_is_not_an_answer(bot):
    a = bot.ask("How many meal kits did Ostrel Foods sell in the first quarter of 2022?")
    assert "11.1 million" in shown(bot, a) and "12.4" not in a.answer
    assert bot.ask("How many meal kits did Ostrel Foods sell in the first quarter of 2020?").refused


def test_a_missing_answer_type_is_refused(bot):
    # the articles name no person who runs Ostrel Foods: a sentence about the company is not a "who"
    a = bot.ask("Who is the chief executive of Ostrel Foods?")
    assert a.refused, a.answer


def test_the_factoid_answer_comes_first_verbatim(bot):
    a = bot.ask("Who won the 2019 Harbour Regatta?")
    text = shown(bot, a)
    assert text.startswith("Oskar Fenwick. [1]"), text
    quote = a.citations[0].quote
    assert "Oskar Fenwick" in quote  # the answer span lies inside its cited sentence


def test_a_pronoun_sentence_is_judged_with_the_sentence_before_it(bot):
    # "It credited a new frozen range" names neither Ostrel nor 2021: the sentence before it does
    a = bot.ask("Why did Ostrel Foods sales rise in 2021?")
    text = shown(bot, a)
    assert "frozen range" in text, (text, a.trace.notes)


def test_a_why_question_gets_the_whole_reason(bot):
    a = bot.ask("Why did Ostrel Foods sales slip in 2022?")
    text = shown(bot, a)
    assert "delivery costs" in text and "warm spring" in text, text


def test_a_follow_up_that_changes_the_year(bot):
    assert condense("And in 2023?", [Turn("Who won the 2021 Harbour Regatta?", "x")]) == \
        "Who won the 2023 Harbour Regatta?"
    first = bot.ask("Who won the 2021 Harbour Regatta?")
    a = bot.ask("And in 2023?", history=[Turn("Who won the 2021 Harbour Regatta?", first.answer)])
    text = shown(bot, a)
    assert "Lindqvist" in text and "Moreau" not in text, text


def test_the_question_is_understood_from_its_grammar():
    # the first wh-word is the one asked: the "when" belongs to a clause inside the question
    assert understand("Who finished second when Fenwick first won?").kind == "person_or_org"
    # a noun after "did" is the clause's subject, not what is asked
    assert understand("What did the regulator hold against Ostrel Foods?").kind != "person_or_org"
    # names in a scene-setting clause need only be in the article, not in the answering sentence
    a = understand("Who took second place when Oskar Fenwick won the regatta?")
    assert [e.text for e in a.side] == ["Oskar Fenwick"]
    assert understand('What is meant by "the long reach"?').term == "the long reach"
    assert understand("How many spectators watched the regatta?").measure == "spectator"


def test_a_figure_of_another_measure_is_not_an_answer(bot):
    # the coverage counts boats, never spectators
    a = bot.ask("How many spectators watched the 2021 Harbour Regatta?")
    assert a.refused, a.answer


def test_a_follow_up_with_ellipsis_moves_the_quarter(bot):
    assert condense("And in the quarter after that?", [Turn("How many meal kits did Ostrel Foods sell in Q1 2021?")]) \
        == "How many meal kits did Ostrel Foods sell in Q2 2021?"
    first = bot.ask("How many meal kits did Ostrel Foods sell in Q1 2021?")
    assert "12.4 million" in shown(bot, first)
    a = bot.ask("And in the quarter after that?", history=[Turn("How many meal kits did Ostrel Foods sell in Q1 2021?",
                                                                 first.answer)])
    text = shown(bot, a)
    assert "13.6 million" in text and "12.4" not in text, text


def test_a_follow_up_pronoun_is_the_person_the_previous_answer_named(bot):
    first = bot.ask("Who won the 2019 Harbour Regatta?")
    assert first.answer.startswith("Oskar Fenwick.")
    history = [Turn("Who won the 2019 Harbour Regatta?", first.answer)]
    assert condense("How far ahead did he finish?", history) == "How far ahead did Oskar Fenwick finish in 2019?"
    text = shown(bot, bot.ask("How far ahead did he finish?", history=history))
    assert "four minutes" in text, text


def test_a_reason_given_in_the_next_sentence_is_read_on(bot):
    # the sentence that matches the question restates it; the one after it gives the reason
    text = shown(bot, bot.ask("Why did Ostrel Foods close its Varno kitchen?"))
    assert "closed its Varno kitchen" in text and "lease" in text, text


def test_a_yes_no_answer_leads_with_what_the_coverage_says(bot):
    a = bot.ask("Has the Harbour Regatta ever been cancelled?")
    text = shown(bot, a)
    assert "never been cancelled" in text and a.lead == "Not so far.", (a.lead, text)
    assert a.to_dict()["lead"] == "Not so far."
    # no lead rather than a guess: the sentence that answers does not state the asked predicate
    b = bot.ask("Did Claire Moreau win the 2021 Harbour Regatta?")
    assert not b.refused and b.lead in ("", "Yes."), (b.lead, b.answer)


def test_a_definition_is_answered_by_the_sentence_naming_the_term(bot):
    a = bot.ask('What is meant by "the long reach"?')
    text = shown(bot, a)
    assert "the long reach" in text and "finish buoy" in text, text
