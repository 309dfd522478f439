"""The gate has teeth: corrupted answers, passage dumps and always-refusing bots all fail it.

Answers come from the real pipeline on the strict store (FAQ blocks not indexed).
"""
import dataclasses

import pytest

from rag.backends import REFUSAL
from rag.citations import split_cited
from rag.evaluation.metrics import ground
from rag.evaluation.mutations import EXPECTED, Corpus, MutationReport, self_test, synthetic_goods
from rag.evaluation.runner import EVALS, Thresholds, gate, score, summarize
from rag.evaluation.sets import faq_items, load_sets
from rag.explainer import _passage
from rag.question import condense
from rag.text import sentence_spans
from rag.types import Answer, Citation, Turn

TH = Thresholds.load(EVALS / "thresholds.toml")
QUESTIONS = ["What is Anthropic accusing Alibaba of?", "How much does it cost to develop a top language model?",
             "What is Alibaba's cloud division building?", "Which companies are involved in this dispute?"]


@pytest.fixture(scope="module")
def world(bot, strict_store):
    articles = strict_store.articles()
    texts = {a.doc_id: a.text for a in articles}
    chunks = list(bot.retriever.chunks)
    items = faq_items(articles) + load_sets(EVALS, set(texts))[0]
    hits = {i.id: bot.retriever.search(condense(i.question, [Turn(q) for q in i.history])) for i in items}
    return {"text_of": texts.get, "chunks": chunks, "corpus": Corpus(chunks), "items": items, "hits": hits}


def _goods(bot, world):
    goods = [(q, bot.ask(q)) for q in QUESTIONS]
    assert all(not a.refused for _, a in goods)
    return goods + synthetic_goods(world["corpus"])


def test_every_corrupted_answer_is_rejected_for_the_right_reason(bot, world):
    rep = self_test(_goods(bot, world), world["text_of"], world["corpus"], TH.min_support)
    assert rep.broken_controls == []  # the uncorrupted answers pass
    assert rep.bases == len(QUESTIONS) + len(synthetic_goods(world["corpus"]))
    assert set(rep.by_kind) == set(EXPECTED)  # every kind of corruption was made
    assert rep.total >= 8 * rep.bases
    assert rep.rejected == rep.total and rep.escaped == []
    assert rep.wrong_reason == []  # a swapped number is caught as a number, a moved quote as not verbatim...
    assert rep.gate_missed == []  # and the production gate (citations.check_answer) rejects them too
    assert rep.ok


def test_the_self_test_notices_a_checker_without_the_hard_rule(bot, world):
    """A checker that only measures word overlap lets swapped numbers, names and negations through."""
    def lexical_only(a):
        return [v for v in ground(a, world["text_of"], TH.min_support).violations if not v.startswith("hard rule")]

    rep = self_test(_goods(bot, world), world["text_of"], world["corpus"], TH.min_support, checker=lexical_only)
    escaped = {e["kind"] for e in rep.escaped}
    assert {"swap_number", "swap_entity", "negate"} <= escaped
    assert not rep.ok


def _dump(chunk) -> Answer:
    """The top passage pasted whole: every sentence verbatim and cited, so only length and correctness can object."""
    body = " ".join(f"{chunk.text[s:e]} [1]" for s, e in sentence_spans(chunk.text))
    cite = Citation(n=1, doc_id=chunk.doc_id, title=chunk.title, url=chunk.url, quote=chunk.text,
                    start=chunk.start, end=chunk.end, score=0.0)
    return Answer(body, refused=False, citations=[cite])


def test_a_verbatim_top_passage_dump_does_not_pass(bot, world):
    """Pasting the top passage is grounded but no answer: past the cap it fails on length, whatever
    its facts. (A passage that is itself answer-sized, like headline + dek, is judged as an answer.)"""
    answerable = [i for i in world["items"] if i.expect == "answer"]
    dumped = 0
    for item in answerable:
        chunk = world["hits"][item.id][0].chunk
        r = score(item, _dump(chunk), [], world["chunks"], world["text_of"], TH)
        assert r.grounding.ok, (item.id, r.violations)  # verbatim and cited: grounded...
        if r.words > TH.max_words:
            dumped += 1
            assert not r.passed and any("word cap" in f for f in r.failures), (item.id, r.failures)
    assert dumped >= 0.7 * len(answerable) >= 14  # most top passages are far longer than an answer
    # and without the cap, correctness still rejects most FAQ dumps (padding drags content-word F1 down)
    faq = [i for i in answerable if i.kind == "faq"]
    uncapped = dataclasses.replace(TH, max_words=10_000)
    rejected = [i.id for i in faq if not score(i, _dump(world["hits"][i.id][0].chunk), [], world["chunks"],
                                                world["text_of"], uncapped).passed]
    assert len(rejected) >= len(faq) / 2, rejected


def _run_with(bot, world, answer_for) -> list:
    results = []
    for item in world["items"]:
        hits = world["hits"][item.id]
        results.append(score(item, answer_for(item, hits), [_passage(h) for h in hits], world["chunks"],
                             world["text_of"], TH))
    return results


def _failed_checks(results) -> set:
    metrics, _ = summarize(results, MutationReport(total=1, rejected=1), TH)
    return {c.name for c in gate(metrics, TH, MutationReport(total=1, rejected=1)) if not c.ok}


def test_an_always_refusing_bot_fails(bot, world):
    results = _run_with(bot, world, lambda item, hits: Answer(REFUSAL, refused=True))
    failed = _failed_checks(results)
    assert {"refusal.answer_rate", "faq.pass_rate", "answerable.pass_rate"} <= failed
    assert "refusal.must_refuse_rate" not in failed and "adversarial.safe_rate" not in failed


def test_a_bot_that_always_pastes_the_top_passage_fails(bot, world):
    results = _run_with(bot, world, lambda item, hits: _dump(hits[0].chunk) if hits else Answer(REFUSAL, True))
    failed = _failed_checks(results)
    assert {"refusal.must_refuse_rate", "length.over_cap", "faq.pass_rate"} <= failed


def test_answers_of_the_real_pipeline_are_split_into_cited_sentences(bot, world):
    a = bot.ask(QUESTIONS[0])
    g = ground(a, world["text_of"], TH.min_support)
    assert g.ok and len(g.sentences) == len(split_cited(a.answer)) and all(s.supported for s in g.sentences)
