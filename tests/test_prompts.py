"""What an LLM answerer is shown: few, related, trimmed evidence sentences without titles."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answering import prompts
from assistant.answering.prompts import CONTEXT_WORDS, MAX_PROMPT_EVIDENCE, SYSTEM, answer_messages, prompt_evidence
from tests.fakes import evidence


def test_only_the_best_related_sentences_are_shown_with_their_ids() -> None:
    items = evidence(*(f"Fact number {n} is stated here." for n in range(1, 8)), score=5.0)  # scores 4, 3, ... -2
    shown = prompt_evidence(items)
    assert [e.id for e in shown] == [1, 2, 3, 4][:MAX_PROMPT_EVIDENCE]
    weak = [replace(e, score=-3.0) for e in items]
    assert [e.id for e in prompt_evidence(weak)] == [1], "the best one when none is related"
    user = answer_messages("Which fact?", items)[1]["content"]
    assert "[1] Fact number 1 is stated here." in user and "[5]" not in user
    assert "A title" not in user, "titles are not repeated on every line"


def test_a_long_previous_sentence_is_cut_to_its_tail() -> None:
    item = evidence("It cost 4 million dollars.")[0]
    before = " ".join(f"w{n}" for n in range(40))
    long = replace(item, context=f"{before}. It cost 4 million dollars.")
    user = answer_messages("How much?", [long])[1]["content"]
    line = next(line for line in user.splitlines() if line.startswith("[1]"))
    assert line.startswith("[1] … ") and line.endswith("It cost 4 million dollars.")
    assert len(line.split()) == 2 + CONTEXT_WORDS + 5
    short = replace(item, context="The bridge reopened. It cost 4 million dollars.")
    assert "[1] The bridge reopened. It cost 4 million dollars." in answer_messages("How much?", [short])[1]["content"]


def test_a_zero_word_context_shows_the_sentence_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "CONTEXT_WORDS", 0)
    item = evidence("It cost 4 million dollars.")[0]
    item = replace(item, context="The bridge over the river reopened. It cost 4 million dollars.")
    assert "\n[1] It cost 4 million dollars.\n" in answer_messages("How much?", [item])[1]["content"]


def test_the_system_prompt_is_fixed_so_its_cache_is_reused() -> None:
    first = answer_messages("One?", evidence("A sentence here."))
    second = answer_messages("Two?", evidence("Another sentence there."))
    assert first[0] == second[0] == {"role": "system", "content": SYSTEM}
