"""Citation checking in code: unknown ids go, numbering is compact, unsupported claims are dropped."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from assistant.answering.answerers import ExtractiveAnswerer
from assistant.answering.prompts import NOT_FOUND
from assistant.checking.citations import MARKER, check, support
from assistant.retrieval.windows import windows
from assistant.types import Evidence
from tests.conftest import SAMPLE_CORPUS
from tests.fakes import evidence, evidence_after, passage

EVIDENCE = evidence(
    "There are roughly 2,500 US troops deployed in Iraq and about 900 in Syria.",
    "The pipeline to Ceyhan was halted by Turkey in March 2023.",
    "NATO's mission in Iraq would grow from 500 personnel to about 4,000.",
)


def test_unknown_ids_are_removed_and_numbering_is_compacted() -> None:
    checked = check(
        "The pipeline was halted by Turkey in March 2023 [2][7]. About 2,500 US troops are in Iraq [1].", EVIDENCE
    )
    assert checked.text == "The pipeline was halted by Turkey in March 2023 [1]. About 2,500 US troops are in Iraq [2]."
    assert [c.doc_id for c in checked.citations] == ["doc2.txt", "doc1.txt"]
    assert any("not given: [7]" in note for note in checked.notes)


def test_a_claim_its_evidence_does_not_support_is_dropped() -> None:
    checked = check("About 2,500 US troops are in Iraq [1]. France sent 300 aircraft carriers to Iraq [3].", EVIDENCE)
    assert checked.text == "About 2,500 US troops are in Iraq [1]."
    assert checked.supported == 1
    assert any("unsupported" in note for note in checked.notes)


def test_a_wrong_number_is_never_supported() -> None:
    assert support("There are 3,500 US troops in Iraq", EVIDENCE[0].context) == 0.0
    assert support("There are 2500 US troops in Iraq", EVIDENCE[0].context) == 1.0


def test_an_uncited_but_supported_sentence_gets_its_citation() -> None:
    checked = check("NATO's mission in Iraq would grow to about 4,000 personnel.", EVIDENCE)
    assert checked.text == "NATO's mission in Iraq would grow to about 4,000 personnel [1]."
    assert checked.citations[0].doc_id == "doc3.txt"


def test_markers_after_the_full_stop_and_lists_are_understood() -> None:
    checked = check("Turkey halted the pipeline to Ceyhan in March 2023. [2]", EVIDENCE)
    assert checked.text == "Turkey halted the pipeline to Ceyhan in March 2023 [1]."
    both = check("Troops: 2,500 US troops in Iraq and 900 in Syria [1, 3].", EVIDENCE)
    assert both.text.endswith("[1].") and len(both.citations) == 1


def test_the_not_found_sentinel_is_not_a_claim() -> None:
    checked = check(NOT_FOUND, EVIDENCE)
    assert checked.supported == 0 and checked.text == ""


def test_citation_carries_location_quote_and_span() -> None:
    citation = check("About 2,500 US troops are in Iraq [1].", EVIDENCE).citations[0]
    assert citation.quote == EVIDENCE[0].sentence
    assert (citation.char_start, citation.char_end) == (EVIDENCE[0].char_start, EVIDENCE[0].char_end)
    assert citation.location_label == "line 1" and 0 < citation.score <= 1


claim = st.sampled_from(
    [
        "About 2,500 US troops are in Iraq",
        "Turkey halted the pipeline in March 2023",
        "NATO's mission would grow to about 4,000",
        "The moon is made of green cheese",
        "Iraq",
    ]
)
marker = st.lists(st.integers(min_value=0, max_value=9), max_size=3).map(lambda ns: "".join(f"[{n}]" for n in ns))


@given(st.lists(st.tuples(claim, marker), max_size=6))
def test_every_citation_is_given_evidence_and_numbering_is_compact(parts: list[tuple[str, str]]) -> None:
    answer = " ".join(f"{c} {m}." for c, m in parts)
    checked = check(answer, EVIDENCE)
    used = [int(n) for m in MARKER.finditer(checked.text) for n in re.split(r"[,;]", m.group(1))]
    first_use = list(dict.fromkeys(used))
    assert first_use == list(range(1, len(first_use) + 1)), "numbered 1, 2, ... in order of first use"
    assert len(checked.citations) == len(first_use)
    given_spans = {(e.passage.doc_id, e.char_start) for e in EVIDENCE}
    assert all((c.doc_id, c.char_start) in given_spans for c in checked.citations)
    assert "green cheese" not in checked.text


# -- the claim check: what the issue saw pass, and the text it checks ----------------------------
ISSUE_CLAIMS = [
    "No US troops are deployed in Iraq or Syria as part of the coalition [1].",
    "There are 900 US troops in Iraq and 2,500 in Syria [1].",
    "US troops are not deployed in Iraq [1].",
    "There are roughly 2,500 British troops deployed in Iraq [1].",
    "The pipeline to Ceyhan was halted by Turkey in May 2023 [2].",
]


def test_the_wrong_claims_of_the_issue_are_dropped() -> None:
    for claim in ISSUE_CLAIMS:
        checked = check(claim, EVIDENCE)
        assert checked.supported == 0 and checked.text == "", claim


def test_a_paraphrase_passes_and_forms_of_a_word_are_one_word() -> None:
    checked = check("Roughly 2,500 soldiers from America are deployed in Iraq [1].", EVIDENCE)
    assert checked.supported == 1
    assert support("US forces are deployed in Iraq", "A US force is deployed in Iraq.") == 1.0


def test_a_reversed_verb_is_not_supported() -> None:
    evidence_ = evidence("Fayyad demanded the withdrawal of US forces from Iraq.")
    assert check("Fayyad demanded the withdrawal of US forces [1].", evidence_).supported == 1
    assert check("Fayyad rejected the withdrawal of US forces [1].", evidence_).supported == 0


def test_a_claim_that_needs_the_previous_sentence_quotes_and_highlights_both() -> None:
    previous = "Falih al-Fayyad, the head of the Popular Mobilization Forces, spoke on Monday."
    sentence = "He demanded the withdrawal of US forces from Iraq by 2025."
    given_ = [evidence_after(previous, sentence)]
    alone = check("He demanded the withdrawal of US forces by 2025 [1].", given_).citations[0]
    assert (alone.quote, alone.char_start) == (sentence, given_[0].char_start), "the sentence suffices"
    both = check("Fayyad demanded the withdrawal of US forces by 2025 [1].", given_).citations[0]
    assert both.quote == f"{previous} {sentence}"
    assert (both.char_start, both.char_end) == (given_[0].passage.char_start, given_[0].char_end)
    assert both.passage.find(both.quote) >= 0 and both.to_dict()["quote"] == both.quote


def test_without_the_previous_sentence_in_context_it_is_not_used() -> None:
    previous = "Falih al-Fayyad spoke on Monday."
    sentence = "He demanded the withdrawal of US forces from Iraq by 2025."
    shown = evidence_after(previous, sentence)
    unseen = replace(shown, context=sentence)  # e.g. a window too long to carry its context
    assert check("Fayyad demanded the withdrawal of US forces [1].", [unseen]).supported == 0


def test_one_citation_per_evidence_covers_every_sentence_that_backed_a_claim() -> None:
    previous = "Falih al-Fayyad spoke on Monday."
    given_ = [evidence_after(previous, "He demanded the withdrawal of US forces from Iraq by 2025.")]
    checked = check("He demanded the withdrawal of US forces [1]. Fayyad demanded it by 2025 [1].", given_)
    assert checked.supported == 2 and len(checked.citations) == 1
    assert checked.citations[0].quote.startswith(previous)


def test_a_similarity_lets_a_close_word_pass_and_never_an_opposite() -> None:
    given_ = evidence("The company bought two factories in Ohio in 2021.")
    close = {("obtained", "bought"): 0.9, ("sold", "bought"): 0.95}

    def similarity(a: str, b: str) -> float:
        return close.get((a, b), 0.0)

    assert check("The company purchased two factories in Ohio [1].", given_).supported == 1, "a listed synonym"
    assert check("The company obtained two factories in Ohio [1].", given_).supported == 0
    assert check("The company obtained two factories in Ohio [1].", given_, similarity=similarity).supported == 1
    assert check("The company sold two factories in Ohio [1].", given_, similarity=similarity).supported == 0


def test_an_extractive_answer_of_the_sample_corpus_is_never_dropped() -> None:
    """Every evidence sentence of the sample corpus, escaped and cited as the extractive answerer
    writes it, survives the check and quotes its own sentence."""
    for path in sorted(SAMPLE_CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for window in windows(passage(text, doc_id=path.name)):
            given_ = [Evidence(1, window.passage, window.sentence, window.context, window.start, window.end, 5.0)]
            answer = "".join(ExtractiveAnswerer(sentences=1).generate("q", given_))
            checked = check(answer, given_)
            if len(window.sentence.split()) >= 5:  # "We will do so." says nothing checkable
                assert checked.supported == 1, window.sentence
                assert checked.citations[0].quote == window.sentence


def test_an_evidence_sentence_quoted_whole_always_supports_itself() -> None:
    from tests.fakes import evidence

    odd = "Odometer reading at inspection was 48,213 km\nBrake pads front: 4 mm (replace soon)"
    checked = check(f"{' '.join(odd.split())} [1].", evidence(odd))
    assert checked.supported == 1 and checked.citations[0].quote == odd


def test_a_part_of_a_negated_sentence_is_not_a_quote() -> None:
    from tests.fakes import evidence

    found = evidence("It is not true that the bridge reopened in May.")
    assert check("The bridge reopened in May [1].", found).supported == 0
