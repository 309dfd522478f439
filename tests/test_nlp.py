"""The NLP layer on the real spaCy model: our types out, claims with who says what."""
import threading

import pytest

from rag import nlp

P = ("Anthropic said on Tuesday that Alibaba illicitly accessed its Claude models through third-party accounts, "
     "a charge Alibaba denied.")


def _claims(text, **kw):
    return {(c.source, c.stance, c.subject, c.predicate, c.object) for c in nlp.analyze(text, **kw).claims}


def test_pipeline_is_loaded_once_across_threads():
    got = []
    threads = [threading.Thread(target=lambda: got.append(nlp.pipeline())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(p) for p in got}) == 1
    assert "parser" not in nlp.pipeline(parser=False).pipe_names
    assert nlp.analyze("Alibaba denied it. Anthropic did not.", parser=False).sentences == ((0, 18), (19, 37))


def test_no_spacy_type_leaves_the_module():
    a = nlp.analyze(P)
    for part in (a.entities, a.times, a.quantities, a.claims, a.tokens):
        for x in part:
            assert type(x).__module__ == "rag.nlp"
    assert all(isinstance(s, tuple) and all(isinstance(i, int) for i in s) for s in a.sentences)


def test_attributed_claim_and_the_denial_of_it():
    assert _claims(P) == {("anthropic", "assert", "alibaba", "access", "claude model"),
                          ("alibaba", "deny", "alibaba", "access", "claude model")}


def test_roles_and_stances_follow_the_parse():
    assert _claims("Alibaba said that Anthropic illicitly accessed its Claude models.") == {
        ("alibaba", "assert", "anthropic", "access", "claude model")}
    assert _claims("Alibaba illicitly accessed Anthropic's Claude models.") == {
        ("", "assert", "alibaba", "access", "claude model")}
    assert ("alibaba", "admit", "it", "access", "claude model") in _claims("Alibaba admitted it accessed Claude models.")
    # passive voice: the agent is the subject
    assert ("", "assert", "alibaba", "access", "model") in _claims("The models were accessed by Alibaba.")
    # "accused X of Ying": X is the actor, the accuser the source
    assert ("anthropic", "allege", "alibaba", "access", "technology") in _claims(
        "Anthropic has accused Alibaba of illicitly accessing its technology.")
    # an unnamed accuser, named by "according to"
    assert ("reuters", "allege", "alibaba", "access", "model") in _claims(
        "Alibaba is accused of accessing the models, according to Reuters.")
    assert ("unnamed", "allege", "alibaba", "access", "model") in _claims("Alibaba allegedly accessed the models.")


def test_reporting_verb_mistagged_as_a_noun_is_still_a_cue():
    claims = _claims("Anthropic claims Alibaba got into its Claude models, which Alibaba rejects.")
    assert ("anthropic", "allege", "alibaba", "get", "claude model") in claims
    assert ("alibaba", "deny", "alibaba", "get", "claude model") in claims


def test_negation_and_modality():
    (c,) = nlp.analyze("Alibaba did not access the models.").claims
    assert c.negated and c.modality == ""
    (c,) = nlp.analyze("Alibaba may have accessed the models.").claims
    assert not c.negated and c.modality == "may"
    (c,) = nlp.analyze("Alibaba plans to appeal the ruling.").claims
    assert (c.predicate, c.modality) == ("appeal", "plans")


def test_entity_norms_and_aliases():
    assert nlp.normalize_name("The Alibaba Group Holding Ltd.") == "alibaba"
    assert nlp.normalize_name("Anthropic's") == "anthropic"
    assert nlp.entity_relation("Alibaba Group", "Alibaba") == "same"
    assert nlp.entity_relation("Alibaba Cloud", "Alibaba") == "narrower"
    assert nlp.entity_relation("Alibaba", "Alibaba Cloud") == "broader"
    assert nlp.entity_relation("IBM", "International Business Machines Corp") == "same"
    assert nlp.entity_relation("Amodei", "Dario Amodei", "PERSON") == "same"
    assert nlp.entity_relation("Tencent", "Alibaba") == "different"
    ents = nlp.analyze("Alibaba Group Holding said Anthropic's claims were false.").entities
    assert any(e.norm == "alibaba" and e.text.startswith("Alibaba Group") for e in ents)


@pytest.mark.parametrize("text, want", [
    ("Profits fell last year.", dict(year=2023, relative="year-1")),
    ("It said so on Tuesday.", dict(year=2024, month=3, day=5, relative="weekday:1")),  # 2024-03-07 is a Thursday
    ("Sales rose in the previous quarter.", dict(year=2023, quarter=4, relative="quarter-1")),
    ("Sales rose in Q1 2021.", dict(year=2021, quarter=1, relative="")),
    ("Sales rose in the first quarter of 2021.", dict(year=2021, quarter=1)),
    ("He scored in the 2019-20 season.", dict(year=2019, year_end=2020)),
    ("It opened on March 3, 2022.", dict(year=2022, month=3, day=3)),
    ("The talks resume next Tuesday.", dict(year=2024, month=3, day=12, relative="weekday:1+")),
    ("They met last Tuesday.", dict(year=2024, month=3, day=5, relative="weekday:1-")),
    ("They met last Thursday.", dict(year=2024, month=2, day=29)),  # not the published day itself
    ("It rained last week.", dict(year=2024, month=2, relative="week-1")),
    ("She spoke yesterday.", dict(year=2024, month=3, day=6, relative="day-1")),
    ("He resigned two days ago.", dict(year=2024, month=3, day=5, relative="day-2")),
])
def test_times_resolve_against_the_published_date(text, want):
    (t,) = nlp.analyze(text, "2024-03-07").times
    assert {k: getattr(t, k) for k in want} == want


def test_a_phrase_is_resolved_against_the_date_given_never_today():
    friday = nlp.resolve_time("on Friday", "2024-01-02")  # a Tuesday: the Friday before is in 2023
    assert (friday.year, friday.month, friday.day) == (2023, 12, 29)
    assert nlp.resolve_time("last year", "2019-06-01").year == 2018
    assert nlp.resolve_time("the committee", "2024-01-02") is None


def test_relative_time_without_a_date_keeps_what_it_said():
    (t,) = nlp.analyze("Profits fell last year.").times
    assert (t.year, t.relative) == (None, "year-1")


@pytest.mark.parametrize("text, value, unit", [
    ("It raised 1.5 billion last year.", 1.5e9, ""),
    ("It raised $2.3m.", 2.3e6, "USD"),
    ("Shares fell 30% on the news.", 30.0, "%"),
    ("Costs rose 12 percent.", 12.0, "%"),
    ("Half of the staff left.", 50.0, "%"),
    ("Three of the five firms agreed.", 3.0, "of 5"),
    ("It hired 1,200 engineers.", 1200.0, "engineer"),
    ("It paid 40 million euros.", 4e7, "EUR"),
])
def test_quantities_are_normalised(text, value, unit):
    (q,) = nlp.analyze(text).quantities
    assert (q.value, q.unit) == (value, unit)


def test_a_year_is_a_time_not_a_quantity():
    a = nlp.analyze("It was founded in 1999.")
    assert a.quantities == () and a.times[0].year == 1999


def test_analyze_many_matches_analyze():
    texts = [P, "Alibaba did not comment.", ""]
    many = nlp.analyze_many(texts, ["2024-03-07"] * 3)
    assert [m.claims for m in many] == [nlp.analyze(t, "2024-03-07").claims for t in texts]
    with pytest.raises(ValueError, match="one published date per text"):
        nlp.analyze_many(texts, ["2024-03-07"])
