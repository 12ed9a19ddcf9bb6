"""The generated scale corpus: deterministic, sized as asked, and its questions true to its documents."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from assistant.evaluation.metrics import fold
from assistant.evaluation.questions import load_questions
from bench import synth, synth_text
from index.chunk import chunk_document
from index.clean import clean
from index.load import load_file

TARGET = 300  # chunks: ~50 reports, generated in well under a second


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> synth.SynthCorpus:
    return synth.generate(TARGET, tmp_path_factory.mktemp("synth"), questions=40)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _digest(root: Path) -> str:
    return hashlib.sha256(repr(sorted(_files(root).items())).encode()).hexdigest()


def _cleaned(corpus: synth.SynthCorpus, doc_id: str) -> str:
    return clean(load_file(corpus.path / doc_id, doc_id, max_bytes=1 << 24)).text


def test_same_seed_same_corpus_and_questions(corpus: synth.SynthCorpus, tmp_path: Path) -> None:
    again = synth.generate(TARGET, tmp_path / "again", questions=40)
    assert _digest(again.path) == _digest(corpus.path)
    assert again.questions_path.read_bytes() == corpus.questions_path.read_bytes()
    other = synth.generate(TARGET, tmp_path / "other", seed=8, questions=40)
    assert _digest(other.path) != _digest(corpus.path)


def test_chunk_count_lands_near_the_target_with_the_real_chunker(corpus: synth.SynthCorpus) -> None:
    chunks = 0
    for doc_id in _files(corpus.path):
        doc = clean(load_file(corpus.path / doc_id, doc_id, max_bytes=1 << 24))
        chunks += len(chunk_document(doc, 256, 48))
    assert abs(chunks - TARGET) <= 0.15 * TARGET, chunks
    assert abs(corpus.approx_chunks - chunks) <= 0.15 * chunks
    assert corpus.documents == len(_files(corpus.path))


def test_question_file_is_valid_with_about_15_percent_unanswerable(corpus: synth.SynthCorpus) -> None:
    questions = load_questions(corpus.questions_path)
    assert len(questions) == 40
    unanswerable = [q for q in questions if not q.answerable]
    assert len(unanswerable) == 6  # round(40 * 0.15)
    assert len({q.id for q in questions}) == len(questions)
    docs = set(_files(corpus.path))
    for q in questions:
        assert q.answerable == bool(q.gold_sources)
        assert set(q.gold_sources) <= docs
        assert q.answerable == bool(q.key_facts)


def test_every_key_fact_is_stated_in_its_gold_document_after_cleaning(corpus: synth.SynthCorpus) -> None:
    for q in load_questions(corpus.questions_path):
        for doc_id in q.gold_sources:
            text = fold(_cleaned(corpus, doc_id))
            for alternatives in q.key_facts:
                assert any(fold(a) in text for a in alternatives), (q.id, alternatives, doc_id)


def test_the_gold_document_is_the_only_one_about_the_asked_project_and_town(corpus: synth.SynthCorpus) -> None:
    """Many reports share the town or the kind of project, but one report covers the pair."""
    towns = _towns(corpus)
    facts = [synth.report(i, 7, towns).facts for i in range(corpus.documents)]
    for i in (0, corpus.documents - 1):  # the rebuilt reports are those on disk
        assert (corpus.path / synth.report(i, 7, towns).doc_id).read_text(encoding="utf-8") == synth.report(
            i, 7, towns
        ).text
    pairs = [(f["town"], f["project"]) for f in facts]
    assert len(set(pairs)) == len(pairs)
    assert len({town for town, _ in pairs}) < len(pairs) / 3  # towns recur...
    assert len({project for _, project in pairs}) > 5  # ...and so do kinds of project


# What a sentence must hold to answer a question of each kind (deliberately loose: any digit).
FIGURE = {
    "who": re.compile(rf"\b(?:{'|'.join(synth_text.FIRST)}) [A-Z]"),
    "company": re.compile(rf"\b(?:{'|'.join(synth_text.COMPANY_ENDINGS)})\b"),
    "count": re.compile(r"\d"),
    "budget": re.compile(r"£\s?\d"),
    "date": re.compile(rf"\b(?:{'|'.join(synth_text.MONTHS)}) \d{{4}}\b"),
}
ANY_FIGURE = re.compile("|".join(f"(?:{p.pattern})" for p in FIGURE.values()))
# A run of capitalised words, so "West Ashbury" reads as one name and never as "Ashbury".
NAME = re.compile(rf"(?:\b(?:{'|'.join(synth_text.QUALIFIERS)}) )?\b[A-Z][a-z]+")


def _sentences(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in re.split(r"(?<=[.!?])\s+", line) if s]


def _pairs(sentence: str, towns: set[str]) -> set[tuple[str, str]]:
    """The (corpus town, project kind) pairs a sentence names together."""
    named = {n for n in NAME.findall(sentence) if n in towns}
    kinds = {p[0] for p in synth.PROJECTS if p[0] in sentence.lower()}
    return {(town, kind) for town in named for kind in kinds}


def test_no_other_document_states_a_figure_for_the_asked_town_and_project(corpus: synth.SynthCorpus) -> None:
    """A question is answered only by its gold report: elsewhere no sentence names its town and
    project together with a figure of the asked kind, though sibling towns do (the check has teeth)."""
    towns = _towns(corpus)
    texts = {doc_id: _cleaned(corpus, doc_id) for doc_id in _files(corpus.path)}
    siblings = 0
    for q in load_questions(corpus.questions_path):
        if not q.answerable:
            continue
        (gold,) = q.gold_sources
        facts = synth.report(int(gold[-10:-4]), 7, towns).facts
        town, project, kind = facts["town"], facts["project"], q.tags[1]
        for doc_id, text in texts.items():
            for sentence in _sentences(text):
                if project not in sentence.lower() or not FIGURE[kind].search(sentence):
                    continue
                names = set(NAME.findall(sentence))
                assert doc_id == gold or town not in names, (q.question, doc_id, sentence)
                siblings += any(n != town and synth._stem(n) == synth._stem(town) for n in names)
    assert siblings > 0  # distractors name the asked project in a town of the same stem


def test_a_reported_town_and_project_are_stated_with_figures_only_in_their_report() -> None:
    """Over a larger slice (800 reports, 100 towns): distractors never name a reported pair."""
    towns = synth.town_names(7)[0][:100]
    reports = [synth.report(i, 7, towns) for i in range(800)]
    owner = {(r.facts["town"], r.facts["project"]): r.doc_id for r in reports}
    assert len(owner) == len(reports)
    town_set, named_elsewhere = set(towns), 0
    for r in reports:
        for sentence in _sentences(r.text):
            for pair in _pairs(sentence, town_set):
                if ANY_FIGURE.search(sentence):
                    assert owner.get(pair, r.doc_id) == r.doc_id, (r.doc_id, sentence)
                named_elsewhere += owner.get(pair, r.doc_id) != r.doc_id
    assert named_elsewhere > 0  # the check can fail: other reports' pairs are named (the related links)


def test_distractor_towns_share_corpus_stems_but_are_no_town_of_the_corpus() -> None:
    all_towns, held = synth.town_names(7)
    free = synth.distractor_towns(7)
    names = {name for variants in free.values() for name in variants}
    assert not names & set(all_towns)
    assert all(4 <= len(variants) <= 6 for variants in free.values())
    assert set(free) == {synth._stem(t) for t in all_towns} and not set(free) & set(held)


def test_about_half_of_the_fact_sentences_name_the_town(corpus: synth.SynthCorpus) -> None:
    towns = _towns(corpus)
    reports = [synth.report(i, 7, towns) for i in range(corpus.documents)]
    named = [r.facts["town"] in s for r in reports for s in r.statements.values()]
    assert 0.35 <= sum(named) / len(named) <= 0.65, sum(named) / len(named)
    for r in reports:
        assert all(s in r.text for s in r.statements.values())


def test_refuses_a_target_with_more_reports_than_town_and_project_pairs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="distinct"):
        synth.generate(10_000_000, tmp_path, questions=5)
    assert not (tmp_path / "docs").exists()


def test_unanswerable_towns_appear_nowhere_in_the_corpus(corpus: synth.SynthCorpus) -> None:
    whole = "\n".join(b.decode("utf-8") for b in _files(corpus.path).values())
    _, held = synth.town_names(7)
    for q in load_questions(corpus.questions_path):
        if q.answerable:
            continue
        stem = next(s for s in held if s in q.question)
        assert not re.search(rf"\b{stem}\b", whole), stem
    for town in {f["town"] for f in (synth.report(i, 7, _towns(corpus)).facts for i in range(5))}:
        assert town in whole  # the check can fail: corpus towns are found


def test_reports_carry_web_furniture_that_cleaning_removes(corpus: synth.SynthCorpus) -> None:
    doc_id = next(iter(_files(corpus.path)))
    raw = (corpus.path / doc_id).read_text(encoding="utf-8")
    assert "All rights reserved" in raw and "Related:" in raw
    cleaned = _cleaned(corpus, doc_id)
    assert "All rights reserved" not in cleaned and "Related:" not in cleaned


def test_refuses_to_overwrite_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        synth.generate(20, tmp_path, questions=5)
    assert (tmp_path / "docs" / "mine.txt").exists()


def _towns(corpus: synth.SynthCorpus) -> list[str]:
    """The towns the corpus was written with (their number is in the manifest)."""
    count = json.loads((corpus.path.parent / synth.MANIFEST).read_text())["towns"]
    return synth.town_names(7)[0][:count]
