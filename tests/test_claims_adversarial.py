"""The claim check against wrong claims and paraphrases of varied, realistic text.

tests/fixtures/claims_adversarial.json holds evidence sentences from news, science, sport,
local government, medicine, office e-mail and spreadsheet rows, history...; for each, wrong
claims labelled by kind (swapped numbers, negation, substituted name or place, wrong date or
unit, opposite verb, unsupported addition...) and correct paraphrases. Every claim goes through
`check` citing its evidence, as an answerer's sentence would. No wrong claim may pass; at least
PARAPHRASE_GATE of the paraphrases must. The suite runs twice: without a similarity model (the
unit path) and with the bundled embedder's word similarity (slow). tests/fixtures/claims_fresh.json
holds text written after the checker was tuned on the suite (see FRESH_PARAPHRASE_FLOOR).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.checking.citations import check
from assistant.checking.claims import Similarity, embedding_similarity
from tests.fakes import evidence_after

FIXTURES = Path(__file__).parent / "fixtures"
PARAPHRASE_GATE = 0.85
# tests/fixtures/claims_fresh.json: text written after the checker was tuned on the suite. No
# wrong claim may pass there either; its paraphrases are a generalisation estimate, not a target
# (0.45 and 0.33 when first measured, before the general fixes they prompted).
FRESH_PARAPHRASE_FLOOR = 0.7


@dataclass(frozen=True)
class Case:
    domain: str
    kind: str  # "paraphrase" or the kind of error
    claim: str
    evidence: str
    previous: str = ""  # the sentence before the evidence, when the claim needs it
    holdout: bool = False  # written before the checker was tuned on it

    def label(self) -> str:
        return f"[{self.kind}] {self.claim!r} against {self.evidence!r}"


def _cases(name: str) -> list[Case]:
    groups = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["groups"]
    found = []
    for g in groups:
        common = {"domain": g["domain"], "evidence": g["evidence"], "previous": g.get("previous", "")}
        holdout = "set" in g
        found += [Case(kind=kind, claim=claim, holdout=holdout, **common) for kind, claim in g["wrong"]]
        found += [Case(kind="paraphrase", claim=claim, holdout=holdout, **common) for claim in g["paraphrase"]]
    return found


CASES = _cases("claims_adversarial.json")
WRONG = [c for c in CASES if c.kind != "paraphrase"]
PARAPHRASES = [c for c in CASES if c.kind == "paraphrase"]
FRESH = _cases("claims_fresh.json")


def passes(case: Case, similarity: Similarity | None = None) -> bool:
    """Whether `case.claim`, citing its evidence as [1], survives the citation check."""
    checked = check(f"{case.claim} [1]", [evidence_after(case.previous, case.evidence)], similarity=similarity)
    return checked.supported == 1


def _paraphrase_rate(similarity: Similarity | None, cases: list[Case] = PARAPHRASES) -> tuple[float, list[str]]:
    failed = [c.label() for c in cases if not passes(c, similarity)]
    return 1 - len(failed) / len(cases), failed


def test_the_suite_is_large_and_varied() -> None:
    assert len(WRONG) >= 60 and len(PARAPHRASES) >= 30
    assert len({c.domain for c in CASES}) >= 12
    kinds = Counter(c.kind for c in WRONG)
    assert {"swapped_numbers", "wrong_number", "negation", "wrong_month", "wrong_unit", "antonym"} <= set(kinds)
    assert {"unsupported_addition", "substituted_place", "substituted_organisation", "hedge_removed"} <= set(kinds)


@pytest.mark.parametrize("case", WRONG, ids=[f"{c.kind}-{n}" for n, c in enumerate(WRONG)])
def test_no_wrong_claim_passes(case: Case) -> None:
    assert not passes(case), f"a wrong claim passed: {case.label()}"


def test_paraphrases_pass_at_the_gate() -> None:
    rate, failed = _paraphrase_rate(None)
    assert rate >= PARAPHRASE_GATE, f"{rate:.3f} of {len(PARAPHRASES)} paraphrases passed; failed:\n" + "\n".join(
        failed
    )


def test_fresh_text_no_wrong_claim_passes_and_most_paraphrases_do() -> None:
    passed = [c.label() for c in FRESH if c.kind != "paraphrase" and passes(c)]
    assert not passed, "wrong claims passed:\n" + "\n".join(passed)
    rate, failed = _paraphrase_rate(None, [c for c in FRESH if c.kind == "paraphrase"])
    assert rate >= FRESH_PARAPHRASE_FLOOR, f"{rate:.3f} of fresh paraphrases passed; failed:\n" + "\n".join(failed)


def test_every_evidence_sentence_supports_itself() -> None:
    """An extractive answer (the sentence, verbatim) always passes."""
    for evidence in {c.evidence for c in CASES + FRESH}:
        assert passes(Case("self", "paraphrase", evidence, evidence)), evidence


# -- the same with the bundled embedding model's word similarity ------------------------------
@pytest.fixture(scope="module")
def similarity() -> Callable[[str, str], float]:
    from index.embed import make_embedder

    return embedding_similarity(make_embedder("bge-small-en-v1.5"))


@pytest.mark.slow
def test_no_wrong_claim_passes_with_the_embedder(similarity: Similarity) -> None:
    passed = [c.label() for c in WRONG if passes(c, similarity)]
    assert not passed, f"{len(passed)} of {len(WRONG)} wrong claims passed:\n" + "\n".join(passed)


@pytest.mark.slow
def test_paraphrases_pass_at_the_gate_with_the_embedder(similarity: Similarity) -> None:
    rate, failed = _paraphrase_rate(similarity)
    assert rate >= PARAPHRASE_GATE, f"{rate:.3f} of {len(PARAPHRASES)} paraphrases passed; failed:\n" + "\n".join(
        failed
    )
