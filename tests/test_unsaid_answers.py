"""Answers about what the coverage says is not known or not (yet) done, and names that are products
(real store, models and NLP).

A small corpus written for these tests: a takeover whose price was not disclosed, an accusation whose
method was not disclosed and a company that did not respond, a bank that did respond, a shipping firm
whose lawsuit is only possible and a ferry firm whose lawsuit was filed, and a software maker whose
names are products. Each rule has a question it must answer and a near neighbour it must not answer
that way; none of these questions is in an eval set.
"""
from __future__ import annotations

import re

import pytest

from conftest import corpus_bot
from rag.facts import article_facts
from rag.lexicon import nominal_of, withheld
from rag.nlp import analyze

ARTICLES = {
    "harlow.md": ("Harlow Foods to buy Brightwater Dairy", "https://news.example/2024/02/harlow", "2024-02-06",
                  "Harlow Foods agreed to buy Brightwater Dairy, the family-owned cheesemaker, the companies said "
                  "on Tuesday. The terms of the deal were not disclosed. The purchase is due to close in March, "
                  "Harlow Foods said. Brightwater's 140 staff will keep their jobs."),
    "kestrel.md": ("Kestrel Motors accuses Pellam Auto over battery designs", "https://news.example/2024/03/kestrel",
                   "2024-03-11",
                   "Kestrel Motors has accused Pellam Auto of copying the designs of its battery packs. How Pellam "
                   "Auto obtained the battery designs has not been disclosed. Pellam Auto did not respond to a "
                   "request for comment.\n\n"
                   "Kestrel Motors discovered the copying of its battery designs by comparing patent drawings "
                   "from both companies, its engineers said."),
    "corlin.md": ("Regulator fines Corlin Bank over lost records", "https://news.example/2024/04/corlin", "2024-04-02",
                  "The Finance Authority fined Corlin Bank for losing customer records, and charged two of its "
                  "managers. Corlin Bank denied the charges on Monday, saying its records were complete. Corlin "
                  "Bank declined to comment further on the charges."),
    "maren.md": ("Maren Shipping disputes port fees", "https://news.example/2024/05/maren", "2024-05-20",
                 "Maren Shipping has accused the Ostby Port Authority of overcharging its ships for two years. "
                 "Investors are waiting for a possible lawsuit by Maren Shipping against the port authority."),
    "tolland.md": ("Tolland Ferries sues over berth rules", "https://news.example/2024/05/tolland", "2024-05-22",
                   "Tolland Ferries filed a lawsuit against the Ostby Port Authority on Tuesday over new berth "
                   "rules. Any ruling is months away."),
    "orvane.md": ("Orvane and Dunmore Labs race to sell chatbots", "https://news.example/2024/06/chatbots", "2024-06-03",
                  "Orvane, a software maker in Port Calder, released its chatbot, Vela, in March. Orvane is run by "
                  "its chief executive, Mira Tallis, who founded it in 2015.\n\n"
                  "Dunmore Labs sells large language models, such as Kestra and Brio, to banks and insurers."),
}


@pytest.fixture(scope="module")
def bot(tmp_path_factory, embedder):
    return corpus_bot(tmp_path_factory.mktemp("unsaid"), embedder, ARTICLES)


def quoted(a) -> str:
    return " ".join(c.quote for c in a.citations)


# ---------------------------------------------------------------- 1. what the coverage says is not known

def test_a_price_that_was_not_disclosed_is_said_so(bot):
    a = bot.ask("How much is Harlow Foods paying for Brightwater Dairy?")
    assert not a.refused, a.trace.notes
    assert "terms of the deal were not disclosed" in quoted(a), a.answer
    # a present-tense question may get the date the coverage stands as of first (rag/explainer.py _lead)
    assert undated(a.lead) == "Not disclosed so far.", (a.lead, a.answer)


def test_an_undisclosed_price_does_not_answer_another_figure(bot):
    # the same article, a figure question about something the undisclosed terms are not about
    a = bot.ask("How many shops does Harlow Foods own?")
    assert "not disclosed" not in quoted(a) and a.lead == "", (a.lead, a.answer)


def test_a_question_the_article_does_answer_is_answered_as_before(bot):
    a = bot.ask("When will Harlow Foods complete the Brightwater Dairy purchase?")
    assert not a.refused and "March" in a.answer, a.answer
    assert "not disclosed" not in quoted(a) and undated(a.lead) == "", (a.lead, a.answer)


def test_how_something_happened_that_was_not_disclosed(bot):
    a = bot.ask("How did Pellam Auto get hold of the battery designs?")
    assert "has not been disclosed" in quoted(a), (a.answer, a.trace.notes)
    assert a.lead == "Not disclosed so far."


def test_a_sentence_giving_the_manner_wins_over_the_undisclosed_one(bot):
    # "discovered ... by comparing patent drawings" says how; the undisclosed method is a different "how"
    a = bot.ask("How did Kestrel Motors find the copying of its battery designs?")
    assert "by comparing patent drawings" in quoted(a), (a.answer, a.trace.notes)
    assert "not been disclosed" not in quoted(a) and a.lead == ""


def test_no_comment_answers_how_the_company_responded(bot):
    a = bot.ask("How did Pellam Auto react to the accusation?")
    assert "did not respond to a request for comment" in quoted(a), (a.answer, a.trace.notes)
    assert a.lead == ""  # the sentence says it in plain words


def test_a_response_the_coverage_reports_wins_over_no_further_comment(bot):
    a = bot.ask("How did Corlin Bank respond to the charges?")
    assert a.citations and "denied the charges" in a.citations[0].quote, (a.answer, a.trace.notes)
    assert not any("not known" in n for n in a.trace.notes), a.trace.notes


def test_a_response_nobody_reports_is_refused(bot):
    # the port authority is accused and named, but no sentence has it saying or doing anything in reply
    a = bot.ask("How did the Ostby Port Authority respond to the accusation?")
    assert a.refused, a.answer
    assert any("nothing reports a response" in n for n in a.trace.notes), a.trace.notes


def test_withheld_reads_what_is_not_known():
    how, kinds = withheld("The terms of the deal were not disclosed.")
    assert how == "undisclosed" and "figure" in kinds
    assert withheld("The club declined to name the buyer.") == ("undisclosed", frozenset({"person_or_org"}))
    assert withheld("It declined to name the country.") == ("undisclosed", frozenset({"place"}))
    assert withheld("It is unclear when the bridge will reopen.")[0] == "unknown"
    assert withheld("Vesta did not respond to a request for comment.")[0] == "no comment"
    assert withheld("The terms of the deal were disclosed on Friday.") == ("", frozenset())
    assert withheld("The deal closed in March.") == ("", frozenset())


# ---------------------------------------------------------------- 2. an act only possible or to come

def test_a_lawsuit_only_awaited_is_not_so_far(bot):
    a = bot.ask("Has Maren Shipping sued the Ostby Port Authority?")
    assert "possible lawsuit" in quoted(a), (a.answer, a.trace.notes)
    assert a.lead == "Not so far.", (a.lead, a.answer)


def test_a_lawsuit_that_was_filed_is_not_not_so_far(bot):
    a = bot.ask("Has Tolland Ferries filed a lawsuit against the Ostby Port Authority?")
    assert "filed a lawsuit" in quoted(a), a.answer
    assert a.lead != "Not so far.", a.lead


def test_a_possible_act_of_someone_else_gives_no_lead(bot):
    # the possible lawsuit is Maren Shipping's, not the port authority's
    a = bot.ask("Has the Ostby Port Authority sued Maren Shipping?")
    assert a.lead != "Not so far.", (a.lead, a.answer)


def test_prospective_acts_are_claims_with_their_actor():
    claims = [c for c in analyze("Analysts expect any formal filings or statements from Vesta or Orm soon.").claims
              if c.modality == "prospective"]
    assert {(c.predicate, c.subject) for c in claims} >= {("filing", "vesta"), ("filing", "orm"), ("statement", "vesta")}
    assert not [c for c in analyze("Vesta did not file any lawsuit.").claims if c.modality == "prospective"]
    assert not [c for c in analyze("Investors are watching the case.").claims
                if c.modality == "prospective" and c.predicate == "investor"]  # who watches is no act
    assert nominal_of("file", "filing") and nominal_of("approve", "approval") and nominal_of("sue", "lawsuit")
    assert not nominal_of("file", "statement")


# ---------------------------------------------------------------- 3. a product is not a person

def test_a_product_name_does_not_answer_who(bot):
    a = bot.ask("Who runs Dunmore Labs?")
    assert a.refused, a.answer
    assert any("product" in n for n in a.trace.notes), a.trace.notes


def test_a_person_who_runs_the_company_does(bot):
    a = bot.ask("Who runs Orvane?")
    assert not a.refused and "Mira Tallis" in a.answer, (a.answer, a.trace.notes)


def test_a_product_still_answers_which_model(bot):
    a = bot.ask("Which model does Dunmore Labs sell?")
    assert not a.refused and "Kestra" in a.answer, (a.answer, a.trace.notes)


def test_names_introduced_as_products_are_labelled_so():
    text = ("Orvane released its chatbot, Vela, in March. Analysts said Vela was fast. Executives such as Ben "
            "Ortiz left. Its models, such as Corvid and Lark, are popular. Rivals such as Kestrel Labs copied it.")
    labels = {n: lab for s in article_facts([text], ["2024-01-01"])[0].sentences for lab, n in s.names}
    assert labels["vela"] == labels["corvid"] == labels["lark"] == "PRODUCT", labels
    assert labels["ben ortiz"] != "PRODUCT" and labels["kestrel labs"] != "PRODUCT", labels


def undated(lead: str) -> str:
    """The lead without the "As of <date>:" a dated or present-tense answer starts with."""
    return re.sub(r"^As of \d{1,2} [A-Z][a-z]+ \d{4}:\s*", "", lead)
