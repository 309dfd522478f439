"""The citation checker rejects doctored answers; it is the gate for every backend."""
import dataclasses

import pytest

from rag.citations import check_answer, split_cited, support, verify
from rag.types import Chunk


@pytest.fixture(scope="module")
def good(bot, strict_store):
    ans = bot.ask("How much does it cost to develop a top language model?")
    text_of = lambda d: strict_store.article(d).text  # noqa: E731
    assert check_answer(ans, text_of) == []
    return ans, text_of


def _with(ans, answer=None, **cite_changes):
    c0 = dataclasses.replace(ans.citations[0], **cite_changes)
    return dataclasses.replace(ans, answer=answer or ans.answer, citations=[c0] + ans.citations[1:])


def test_changed_number_is_rejected(good):
    ans, text_of = good
    doctored = ans.answer.replace("several hundred million", "several 900 million")
    assert doctored != ans.answer
    assert any("numbers" in p for p in check_answer(_with(ans, doctored), text_of))


def test_swapped_entity_is_rejected(good, bot, strict_store):
    ans = bot.ask("What is Anthropic accusing Alibaba of?")
    doctored = ans.answer.replace("Alibaba", "Tencent", 1)
    problems = check_answer(_with(ans, doctored), lambda d: strict_store.article(d).text)
    assert any("names" in p and "tencent" in p for p in problems)


def test_quote_not_in_the_article_is_rejected(good):
    ans, text_of = good
    bad = _with(ans, quote=ans.citations[0].quote.replace("billion", "trillion"))
    assert any("not verbatim" in p for p in check_answer(bad, text_of))
    shifted = _with(ans, start=ans.citations[0].start + 1, end=ans.citations[0].end + 1)
    assert any("not verbatim" in p for p in check_answer(shifted, text_of))


def test_uncited_sentence_is_rejected(good):
    ans, text_of = good
    bad = _with(ans, ans.answer + " Alibaba has denied every allegation.")
    assert any("uncited sentence" in p for p in check_answer(bad, text_of))


def test_citation_to_a_missing_source_is_rejected(good):
    ans, text_of = good
    bad = _with(ans, ans.answer.replace("[1]", "[7]"))
    assert any("[7] does not exist" in p for p in check_answer(bad, text_of))


def test_added_negation_is_rejected():
    sup = support("Alibaba did not access the models.", "Alibaba accessed the models, Anthropic says.")
    assert "negations" in sup.missing


def test_split_cited_attaches_markers_to_their_sentence():
    parts = split_cited("First claim here. [1] Second claim [2][3]. Third, uncited.")
    assert [(p.text, p.markers) for p in parts] == [
        ("First claim here.", (1,)), ("Second claim.", (2, 3)), ("Third, uncited.", ())]


def test_verify_keeps_supported_and_drops_invented_sentences():
    passage = Chunk("d", 0, "Alibaba Cloud builds Tongyi Qianwen. It serves enterprise customers.", 100, 168, "x")
    v = verify("Alibaba Cloud builds Tongyi Qianwen [1]. It was founded in 1999 by Jack Ma [1]. Unsourced claim.",
               [passage])
    assert [t for t, _ in v.kept] == ["Alibaba Cloud builds Tongyi Qianwen."]
    ev = v.kept[0][1][0]
    assert (ev.start, ev.end, ev.quote) == (100, 136, "Alibaba Cloud builds Tongyi Qianwen.")
    reasons = dict(v.dropped)
    assert "numbers" in reasons["It was founded in 1999 by Jack Ma."]
    assert reasons["Unsourced claim."] == "no citation"
