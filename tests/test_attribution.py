"""The claim-level check on the real spaCy model and the bundled embedding model."""
import pytest

from rag.attribution import judge
from rag.citations import support

P = ("Anthropic said on Tuesday that Alibaba illicitly accessed its Claude models through third-party accounts, "
     "a charge Alibaba denied.")


@pytest.fixture(scope="module")
def embed(embedder):
    return embedder.cached


@pytest.mark.parametrize("sentence, kind", [
    ("Alibaba said on Tuesday that Anthropic illicitly accessed its Claude models through third-party accounts.",
     "role_swap"),
    ("Alibaba illicitly accessed Anthropic's Claude models through third-party accounts.", "attribution"),
    ("Alibaba admitted it accessed Claude models through third-party accounts.", "stance"),
    ("Anthropic said Alibaba illicitly accessed all of its Claude models through third-party accounts.", "quantifier"),
])
def test_the_four_distortions_the_bag_of_words_accepted_are_rejected(sentence, kind, embed):
    for e in (None, embed):
        v = judge(sentence, P, embed=e)
        assert (v.supported, v.kind) == (False, kind), v


def test_a_faithful_paraphrase_is_accepted_with_word_vectors(embed):
    v = judge("Anthropic claims Alibaba got into its Claude models improperly using other companies' accounts, "
              "which Alibaba rejects.", P, embed=embed)
    assert v.supported and v.aligned, v


@pytest.mark.parametrize("sentence", [
    "Anthropic said on Tuesday that Alibaba illicitly accessed its Claude models through third-party accounts.",
    "Alibaba denied that it illicitly accessed Anthropic's Claude models.",
    "Alibaba said it did not access Anthropic's Claude models.",  # "did not" for "denied", once the claims align
    "Anthropic accused Alibaba of accessing its Claude models through third-party accounts.",
    "According to Anthropic, Alibaba illicitly accessed its Claude models.",
    "Alibaba allegedly accessed Claude models through third-party accounts.",  # a hedge keeps it an allegation
    "Alibaba Group denied the charge.",  # an alias, and a denial retold
])
def test_faithful_retellings_are_accepted(sentence, embed):
    v = judge(sentence, P, embed=embed)
    assert v.supported, v


@pytest.mark.parametrize("sentence, passage, kind", [
    ("Alibaba Cloud illicitly accessed Claude models, Anthropic said.",
     "Anthropic said Alibaba illicitly accessed Claude models; Alibaba Cloud sells computing.", "entity"),
    ("Anthropic will say Alibaba accessed its Claude models.", "Anthropic said Alibaba accessed its Claude models.",
     "modality"),
    ("Alibaba will appeal the ruling.", "Alibaba plans to appeal the ruling.", "modality"),
    ("Alibaba appealed the ruling.", "Alibaba may appeal the ruling.", "modality"),
    ("Alibaba accessed the models.", "Alibaba did not access the models.", "negations"),
    ("Anthropic confirmed that Alibaba accessed the models.", "Anthropic alleged that Alibaba accessed the models.",
     "stance"),
    ("Alibaba accused Anthropic of wrongdoing.", "Anthropic accused Alibaba of wrongdoing.", "role_swap"),
    ("The models were accessed by Anthropic.", "Alibaba accessed Anthropic's models.", "role_swap"),
    ("Revenue rose 12% to $2.5bn in the third quarter.", "Revenue rose 12% to $2.5bn in the fourth quarter.", "time"),
    ("Revenue rose 12% to $3bn.", "Revenue rose 12% to $2.5bn, up from $3 a share.", "numbers"),
    ("Sales increased in March.", "Sales decreased in March.", "antonym"),
    ("Activists poured red paint on the road.", "Activists poured blue paint on the road.", "detail"),
])
def test_structural_changes_are_rejected(sentence, passage, kind, embed):
    v = judge(sentence, passage, embed=embed)
    assert (v.supported, v.kind) == (False, kind), v


@pytest.mark.parametrize("sentence, passage", [
    ("The models were accessed by Alibaba, Anthropic said.", "Anthropic said Alibaba accessed the models."),  # voice
    ("Revenue rose to $2.5 billion.", "Revenue rose to $2.5bn in the quarter."),  # one amount, two spellings
    ("British activists poured paint on the road.", "U.K. activists poured paint on the road."),  # a demonym
    ("Alibaba may appeal the ruling.", "Alibaba will appeal the ruling."),  # a hedge weakens, it does not invent
    ("Alibaba accessed the models, Anthropic said. Alibaba denied it.",
     "Anthropic said Alibaba accessed the models. Alibaba denied it."),  # several sentences of one passage
])
def test_paraphrase_voice_and_normalisation_are_accepted(sentence, passage, embed):
    v = judge(sentence, passage, embed=embed)
    assert v.supported, v


def test_without_support_the_words_decide():
    v = judge("Alibaba builds electric cars in Hungary.", P)
    assert not v.supported and v.kind in ("names", "unsupported")


# ---------------------------------------------------------------- the gate (citations.support) on real text


def test_checks_run_against_the_sentences_a_sentence_draws_on():
    from rag.attribution import locate

    passage = ("Shares of Greyfield fell 9% on Monday. The company did not comment. "
               "Analysts at Ridgeway expect a recovery next year. Greyfield makes coatings.")
    assert locate("Greyfield shares fell 9% on Monday.", passage) == "Shares of Greyfield fell 9% on Monday."
    # the article says "not" elsewhere: a negation inserted into this claim is still new
    sup = support("Shares of Greyfield did not fall 9% on Monday.", passage)
    assert not sup.supported() and "negations" in sup.missing, sup


@pytest.mark.parametrize("sentence, passage", [
    ("U.K. activists poured paint on the road outside the embassy.",
     "British activists poured paint on the road outside the embassy."),  # a demonym, in the lexical rule too
    ("Anthropic said Alibaba Group illicitly accessed its Claude models.",
     "Anthropic said Alibaba illicitly accessed its Claude models."),  # a corporate form
    ("An Australian pleaded guilty to manslaughter in the death of an American.",
     "CANBERRA - An Australian pleaded guilty on Thursday to manslaughter in the death of an American."),  # dateline
    ("An Australian has admitted to manslaughter in the death of an American.",
     "An Australian pleaded guilty on Thursday to manslaughter in the death of an American."),  # a self-report
])
def test_the_gate_accepts_aliases_datelines_and_a_self_report(sentence, passage):
    sup = support(sentence, passage)
    assert sup.supported(), sup


def test_a_speakers_own_uncontested_act_may_lose_its_source_in_the_claim_check():
    v = judge("Brightwater Energy agreed to acquire Solvane Power for $730 million in cash.",
              "Brightwater Energy agreed to acquire Solvane Power for $730 million in cash, the two companies announced.")
    assert v.supported, v


@pytest.mark.parametrize("sentence, passage, kind", [
    ("Analysts said a merger is unlikely this year.", "Analysts said a merger is likely this year.", "antonym"),
    ("The council agreed to hear the appeal.", "The council refused to hear the appeal.", "antonym"),
    # a claim about another party keeps its source, however plain the reporting verb
    ("Alibaba illicitly accessed Claude models.", "Anthropic said Alibaba illicitly accessed Claude models.",
     "attribution"),
    # the speaker's own act, but disputed in the passage: the source stays
    ("Halvorsen hired 40 replacement workers.",
     "Halvorsen said it hired 40 replacement workers. The union disputed the figure.", "attribution"),
])
def test_the_gate_rejects_opposites_and_claims_that_lose_their_source(sentence, passage, kind):
    sup = support(sentence, passage)
    assert not sup.supported() and sup.structure.startswith(kind), sup


# ---------------------------------------------------------------- negation polarity, one act at a time, framing
@pytest.mark.parametrize("sentence, passage", [
    ("Walter Brandt has pleaded guilty.", "Walter Brandt, who resigned in April, has pleaded not guilty."),
    ("The university said material had left the laboratory.",
     "The project was suspended. The university said no material had left the laboratory."),
    ("Pellham was aware of injuries linked to the problem.",
     "Pellham recalled 48,000 SUVs. Pellham was not aware of any injuries linked to the problem."),
])
def test_a_negation_the_passage_has_may_not_be_dropped(sentence, passage):
    sup = support(sentence, passage)
    assert not sup.supported() and "negations" in (set(sup.missing) | {sup.structure}), sup


@pytest.mark.parametrize("sentence, passage", [
    ("Alibaba denied accessing the models.", "Alibaba did not access the models, it said."),  # a denial carries it
    ("Lindqvist said the figure was not a like-for-like comparison.",
     "Lindqvist said the figure was not a like-for-like comparison."),
    ("The union did not say how many workers were brought in.",
     "The union did not say how many workers were brought in, but not only crane operators."),
])
def test_a_negation_kept_or_carried_by_a_denial_is_not_dropped(sentence, passage):
    v = judge(sentence, passage)
    assert v.kind != "negations", v


def test_a_swap_in_one_act_is_not_excused_by_another_act_with_the_same_people():
    sup = support("Northwind Holdings appointed Tom Ferris as chief financial officer, replacing Grace Amadi.",
                  "Northwind Holdings appointed Grace Amadi as chief financial officer, effective May 1, "
                  "replacing Tom Ferris. Ferris had been CFO for six years.")
    assert not sup.supported() and sup.structure == "role_swap", sup


def test_an_allegation_whose_speaker_the_parse_lost_is_still_not_a_fact():
    sup = support("Crestline Homes offered Marisol Ortega a campaign donation in exchange for her vote.",
                  "A Halden city councilwoman, Marisol Ortega, alleged on Tuesday that a developer, Crestline Homes, "
                  "had offered her a campaign donation in exchange for her vote.")
    assert not sup.supported() and sup.structure.startswith("attribution"), sup


@pytest.mark.parametrize("sentence, passage", [
    # the narrator's account of an act: "reported a loss" reports no one's claim
    ("Halvorsen Lines had a quarterly loss of $22 million.",
     "Halvorsen Shipping's container subsidiary, Halvorsen Lines, reported a quarterly loss of $22 million."),
    # the answer retells the narrator's part of the sentence, not the quotation
    ("Morrow Insurance rejected a $3.2 billion takeover offer from Castellan Group on Monday.",
     "Morrow Insurance rejected a $3.2 billion takeover offer from rival Castellan Group on Monday, saying it "
     "\"significantly undervalues\" the company."),
    # the answer keeps the attribution with a verb the backstop now knows
    ("A faulty software update was blamed by Sablewood Bank for the outage on Monday.",
     "An outage at Sablewood Bank left customers unable to use its app on Monday, the bank said, blaming a faulty "
     "software update."),
])
def test_the_reporters_own_framing_may_be_retold(sentence, passage):
    sup = support(sentence, passage)
    assert sup.supported(), sup


@pytest.mark.parametrize("sentence, passage", [
    # a speaker's words retold as the answer's own
    ("Tom Ferris is leaving to pursue other opportunities.",
     "Northwind appointed Grace Amadi as CFO, replacing Tom Ferris, who the company said was leaving to "
     "\"pursue other opportunities.\""),
    # a speaker's own act, retold without the speaker: the gate keeps "X said" (the mutation self-test's rule)
    ("It delivered 41,200 vehicles between July and September.",
     "Kestrel Motors said it delivered 41,200 vehicles between July and September."),
    ("A faulty software update knocked out Sablewood Bank's app on Monday.",
     "An outage at Sablewood Bank left customers unable to use its app on Monday, the bank said, blaming a faulty "
     "software update."),
])
def test_a_dropped_speaker_is_still_rejected(sentence, passage):
    sup = support(sentence, passage)
    assert not sup.supported() and sup.structure.startswith("attribution"), sup


def test_locate_takes_the_sentence_with_a_figure_as_a_whole_number():
    from rag.attribution import locate

    passage = ("Moderna's revenues fell. Profit for the fourth quarter was $1.5bn. "
               "For the full year of 2023, Moderna expects Spikevax to have sales of $5bn. Moderna makes vaccines.")
    got = locate("Moderna reported a fourth-quarter profit and guided for sales of $5bn in 2023.", passage)
    assert "sales of $5bn" in got, got


@pytest.mark.parametrize("sentence, passage", [
    ("Lumora Labs says its new battery cell could reduce EV charging times by 50%, a claim not yet independently "
     "checked.", "Lumora Labs said its new battery cell could cut electric-vehicle charging times by half, though "
     "the claim has not been independently verified."),  # two claims someone said are not one claim
    ("The Supreme Court of Velmora will hear the ministry's appeal over the Eastline rail contract.",
     "The Supreme Court of Velmora agreed on Monday to hear an appeal by the ministry over the Eastline rail "
     "contract."),  # an act agreed to is a "will"
    ("Sablewood Bank said hackers got at customers' names and email addresses, though not their passwords.",
     "Sablewood Bank said hackers had accessed the names and email addresses of customers, but no passwords."),
    ("Senator Ada Kowalczyk said she would back the bill only if it includes money for rural broadband.",
     "Senator Ada Kowalczyk said she would vote against the bill unless it includes money for rural broadband."),
    ("Researchers said the test detected 71 out of every 100 early-stage cancers in a study of 1,900 patients.",
     "Researchers said the test detected 71% of early-stage cancers in a study of 1,900 patients."),
])
def test_modality_negation_and_quantifier_paraphrases_are_accepted(sentence, passage, embed):
    sup = support(sentence, passage, embed=embed)
    assert sup.supported(), sup


@pytest.mark.parametrize("sentence, passage, kind", [
    ("The court heard the appeal.", "The court agreed to hear the appeal.", "modality"),  # agreed to is not done
    ("Kowalczyk said she would back the bill only if it includes money for broadband.",
     "Kowalczyk said she would back the bill, which includes money for broadband.", "quantifier"),  # a new condition
])
def test_an_agreement_is_not_an_act_and_only_needs_a_condition(sentence, passage, kind):
    sup = support(sentence, passage)
    assert not sup.supported() and kind in (sup.structure, *sup.missing), sup


def test_a_relative_clause_inside_an_admission_describes_someone_and_keeps_the_narrators_word():
    sup = support("An Australian has admitted to manslaughter in the death of an American who fell from a Sydney "
                  "clifftop that was known as a gay meeting place.",
                  "CANBERRA - An Australian pleaded guilty on Thursday to manslaughter in the death of an American who "
                  "fell from a Sydney clifftop that was known as a gay meeting place.")
    assert sup.supported(), sup


def test_an_opposite_elsewhere_in_the_evidence_does_not_contradict_a_word():
    passage = ("On the eve of the anniversary, activists poured paint on the road outside the embassy. "
               "Police arrived on Friday morning and cleared the road.")
    assert support("On the evening before the anniversary, activists poured paint on the road outside the embassy.",
                   passage).supported()
    sup = support("Police arrived on Friday evening and cleared the road.", passage)
    assert not sup.supported() and sup.structure == "antonym", sup
