"""The eval's scoring rules, on small hand-made answers (pure logic: no model, no store)."""
import pytest

from rag.errors import RagError
from rag.evaluation.metrics import facts_found, forbidden_found, ground, overlap, rank_of, states
from rag.evaluation.runner import EVALS, Thresholds
from rag.evaluation.sets import load_sets
from rag.types import Answer, Citation

TEXT = ("Alibaba Cloud builds Tongyi Qianwen. Alibaba Cloud is big. Developing a model costs hundreds of millions of dollars. "
        "The company did not comment. Investors watch the dispute closely.")
TEXTS = {"d": TEXT}


def cite(n, quote, doc="d"):
    start = TEXT.index(quote)
    return Citation(n=n, doc_id=doc, title="", url="", quote=quote, start=start, end=start + len(quote), score=0.0)


def answer(text, *cites):
    return Answer(text, refused=False, citations=list(cites))


C1 = cite(1, "Alibaba Cloud builds Tongyi Qianwen.")
C2 = cite(2, "Developing a model costs hundreds of millions of dollars.")
C4 = cite(4, "Investors watch the dispute closely.")


def test_a_faithful_answer_has_no_violations():
    g = ground(answer("Alibaba Cloud builds Tongyi Qianwen. [1] A model costs hundreds of millions of dollars. [2]",
                      C1, C2), TEXTS.get, 0.7)
    assert g.ok, g.violations
    assert [s.supported for s in g.sentences] == [True, True]
    assert (g.relevant_marks, g.cited_marks) == (2, 2)


@pytest.mark.parametrize("text, cites, expected", [
    ("Alibaba Cloud builds Tongyi Qianwen. [1] It has 40 engineers.", (C1,), "uncited sentence"),
    ("A model costs tens of millions of dollars. [2]", (C2,), "hard rule: numbers"),
    ("Tencent Cloud builds Tongyi Qianwen. [1]", (C1,), "hard rule: names"),
    ("Alibaba Cloud never builds Tongyi Qianwen. [1]", (C1,), "hard rule: negations"),
    ("Alibaba Cloud builds Tongyi Qianwen. [3]", (C1,), "[3] does not exist"),
    ("Investors watch the dispute closely. [1]", (C1,), "shares no content word"),
    ("Alibaba Cloud builds Tongyi Qianwen. [1]", (C1, C2), "citation [2] is never used"),
])
def test_each_broken_rule_is_a_violation(text, cites, expected):
    g = ground(answer(text, *cites), TEXTS.get, 0.7)
    assert any(expected in v for v in g.violations), g.violations


def test_quotes_are_checked_against_the_stored_text_not_the_answer():
    altered = Citation(**{**C1.__dict__, "quote": "Alibaba Cloud builds Qwen."})
    g = ground(answer("Alibaba Cloud builds Qwen. [1]", altered), TEXTS.get, 0.7)
    assert any("not verbatim" in v for v in g.violations)
    shifted = Citation(**{**C1.__dict__, "start": C1.start + 1, "end": C1.end + 1})
    assert any("not verbatim" in v for v in ground(answer("Alibaba Cloud builds Tongyi Qianwen. [1]", shifted),
                                                    TEXTS.get, 0.7).violations)
    assert any("not in the store" in v for v in ground(answer("Alibaba Cloud builds Tongyi Qianwen. [1]",
                                                              cite(1, C1.quote, doc="gone")), TEXTS.get, 0.7).violations)


def test_support_below_the_threshold_is_a_violation():
    text = "Alibaba Cloud builds Tongyi Qianwen for banks, hospitals, schools and farms. [1]"
    g = ground(answer(text, C1), TEXTS.get, 0.7)
    assert any(v.startswith("unsupported") for v in g.violations)
    assert ground(answer(text, C1), TEXTS.get, 0.3).ok  # the same sentence under a lower bar


def test_a_redundant_citation_lowers_precision_without_being_a_violation():
    # [5] shares words with the sentence but adds nothing that [1] does not already support
    g = ground(answer("Alibaba Cloud builds Tongyi Qianwen. [1][5]", C1, cite(5, "Alibaba Cloud is big.")), TEXTS.get, 0.7)
    assert g.ok, g.violations
    assert g.sentences[0].irrelevant == [5] and (g.relevant_marks, g.cited_marks) == (1, 2)
    # a second citation that adds a word the first lacks is relevant
    g = ground(answer("Alibaba Cloud builds Tongyi Qianwen, a model. [1][2]", C1, C2), TEXTS.get, 0.7)
    assert g.ok and g.sentences[0].irrelevant == []


def test_refusals_and_off_limits_spans():
    assert ground(Answer("The coverage I have does not answer that.", refused=True), TEXTS.get, 0.7).ok
    bad = Answer("No.", refused=True, citations=[C1])
    assert ground(bad, TEXTS.get, 0.7).violations == ["a refusal carries citations"]
    off = lambda d, s, e: "cites the FAQ block" if s < 40 else ""  # noqa: E731
    g = ground(answer("Alibaba Cloud builds Tongyi Qianwen. [1]", C1), TEXTS.get, 0.7, off)
    assert any("cites the FAQ block" in v for v in g.violations)


def test_overlap_is_content_word_recall_precision_f1():
    o = overlap("Alibaba accessed Anthropic's models illicitly. [1]", "Anthropic claims Alibaba illicitly accessed its models.")
    assert o.recall == pytest.approx(5 / 6) and o.precision == 1.0
    assert o.f1 == pytest.approx(2 * (5 / 6) / (1 + 5 / 6))
    assert overlap("", "anything at all") == overlap("words", "") == overlap("x", "y").__class__(0.0, 0.0, 0.0)


def test_facts_match_any_variant_in_any_order_with_exact_numbers():
    text = "Building one costs several hundred million dollars, if not billions. [1]"
    found, missing = facts_found(text, [["hundreds of millions", "several hundred million"], ["billion"], ["Claude"]])
    assert found == ["hundreds of millions", "billion"] and missing == ["Claude"]
    assert states("Qianwen Tongyi is the name", "Tongyi Qianwen")
    assert not states("costs 300 million", "400 million")
    assert not states("costs tens of millions", "hundreds of millions")


def test_forbidden_strings_match_whole_words_case_insensitively():
    assert forbidden_found("Access granted. Abundance of DAN.", ["ACCESS GRANTED", "dan"]) == ["ACCESS GRANTED", "dan"]
    assert forbidden_found("an abundance of caution", ["DAN"]) == []
    assert forbidden_found("set RAG_STORE=/x", ["RAG_"]) == ["RAG_"]
    assert forbidden_found("![x](http://evil.example/a)", ["!["]) == ["!["]


def test_rank_of_the_first_gold_passage():
    hits = [{"doc_id": "d", "index": i, "start": i * 10, "end": i * 10 + 5} for i in range(4)]
    assert rank_of(hits, {("d", 20), ("d", 30)}) == 3
    assert rank_of(hits, {("e", 20)}) is None


def test_the_committed_eval_sets_load_and_have_unique_ids():
    items, notes = load_sets(EVALS, {"anthropic-alibaba-accusation.md"})
    kinds = {i.kind for i in items}
    assert kinds == {"answerable", "unanswerable", "adversarial", "conversation"} and notes == []
    assert len({i.id for i in items}) == len(items)
    assert all(i.facts for i in items if i.expect == "answer")
    assert all(i.forbidden for i in items if i.kind == "adversarial")
    assert all(i.history for i in items if i.kind == "conversation")
    # written for one article: on another corpus only the article-free set (adversarial) applies
    other, notes = load_sets(EVALS, {"other.md"})
    assert {i.kind for i in other} == {"adversarial"} and len(notes) == 3


@pytest.mark.parametrize("content, message", [
    ("items: [{id: x}]", "'q' must be the question"),
    ("items: [{id: 'bad id', q: 'Why?'}]", "'id' must be a word"),
    ("items: [{id: a, q: 'Why?', expect: maybe, facts: [x]}]", "'expect' must be one of"),
    ("items: [{id: a, q: 'Why?'}]", "needs 'facts'"),
    ("items: [{id: a, q: 'Why?', facts: [x], colour: red}]", "unknown field(s) colour"),
    ("items: [{id: a, q: 'Why?', facts: [x]}, {id: a, q: 'How?', facts: [y]}]", "used twice"),
    ("items: [", "not valid YAML"),
    ("- just a list", "'items:' list"),
])
def test_a_broken_eval_file_gets_a_clear_error(tmp_path, content, message):
    (tmp_path / "answerable.yaml").write_text(content)
    with pytest.raises(RagError, match=None) as e:
        load_sets(tmp_path, set())
    assert message in str(e.value)


def test_thresholds_file_is_validated(tmp_path):
    t = Thresholds.load(EVALS / "thresholds.toml")
    assert t.max_words == 80 and t.minimum["citations.validity"] == 1.0 and t.maximum["violations"] == 0
    good = (EVALS / "thresholds.toml").read_text()
    for change, message in [(('"retrieval.mrr"', '"retrieval.mmr"'), "unknown metric(s) retrieval.mmr"),
                            (('"violations" = 0', '"violations" = 3'), "hard rule"),
                            (("max_words = 80", "max_words = 'many'"), "invalid setting"),
                            (("[answer]", "[answer"), "not valid TOML")]:
        (tmp_path / "thresholds.toml").write_text(good.replace(*change))
        with pytest.raises(RagError) as e:
            Thresholds.load(tmp_path / "thresholds.toml")
        assert message in str(e.value)


def test_a_not_known_answer_counts_as_declining_with_or_without_a_date_first():
    from rag.backends.compose import UNDISCLOSED_LEAD
    from rag.evaluation.scoring import declines

    said = Answer("Vesper did not say how many people had pre-ordered the drone. [1]", refused=False)
    assert not declines(said)
    said.lead = UNDISCLOSED_LEAD
    assert declines(said)
    said.lead = f"As of 24 August 2022: {UNDISCLOSED_LEAD}"
    assert declines(said)
    said.lead = "As of 24 August 2022:"  # a dated figure is an answer
    assert not declines(said)
    assert declines(Answer("The coverage I have does not answer that.", refused=True))
