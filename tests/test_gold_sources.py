"""Gold sources are checked against the index before an evaluation: exact ids pass, an unambiguous
path suffix or file name is rewritten (and reported), anything else stops the run with the list."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.errors import QuestionSetError
from assistant.evaluation.cli import add_eval_arguments, cmd_eval
from assistant.evaluation.gold_sources import GoldMatch, Rewrite, match_gold_sources, resolve_gold_sources
from assistant.evaluation.questions import Question
from assistant.evaluation.run import evaluate
from assistant.retrieval.retrieve import indexed_doc_ids
from assistant.settings import Settings
from index.errors import IndexMissingError
from index.ingest import run_index
from index.settings import IndexSettings
from tests.conftest import write
from tests.fakes import HashingEmbedder, LexicalScorer

DOCS = {
    "transit/reports/buses.txt": "The city runs 412 electric buses on 38 routes. Buses leave the depot at five.\n",
    "transit/reports/ferries.txt": "Three ferries cross the harbour every twenty minutes from the north quay.\n",
    "transit/reports/summary.txt": "Transit ridership grew by nine percent last year.\n",
    "rail/reports/summary.txt": "Rail freight fell by four percent last year.\n",
}
BUSES = Question("buses", "How many electric buses does the city run?", "412.", (("412",),), ("reports/buses.txt",))
FERRIES = Question(
    "ferries", "How often do the ferries cross the harbour?", "Every twenty minutes.", (("twenty",),),
    ("archive/ferries.txt",),
)  # fmt: skip
UNANSWERABLE = Question("moon", "Who runs the moon base?", answerable=False)


def ask(question_id: str, *gold: str) -> Question:
    return Question(question_id, f"Question {question_id}?", gold_sources=gold)


# -- matching, as a pure function --------------------------------------------------------
def test_exact_ids_pass_and_near_ones_are_rewritten_by_suffix_or_file_name() -> None:
    questions = [
        ask("a", "transit/reports/buses.txt"),
        ask("b", "reports/buses.txt"),  # a path suffix of the doc id
        ask("c", "corpus/rail/reports/summary.txt"),  # the doc id is a path suffix of it
        ask("d", "archive/ferries.txt"),  # neither; the file name is unique
        UNANSWERABLE,
    ]
    match = match_gold_sources(questions, DOCS)
    assert match.resolved and match.exact == ("transit/reports/buses.txt",)
    assert match.rewritten == {
        "reports/buses.txt": Rewrite("transit/reports/buses.txt", "path suffix"),
        "corpus/rail/reports/summary.txt": Rewrite("rail/reports/summary.txt", "path suffix"),
        "archive/ferries.txt": Rewrite("transit/reports/ferries.txt", "file name"),
    }
    rewritten = {q.id: q.gold_sources for q in match.apply(questions)}
    assert rewritten["b"] == ("transit/reports/buses.txt",) and rewritten["d"] == ("transit/reports/ferries.txt",)
    assert rewritten["moon"] == ()


def test_a_suffix_must_end_at_a_folder_boundary() -> None:
    match = match_gold_sources([ask("a", "eports/buses.txt")], DOCS)
    # Not "transit/r|eports/buses.txt": the file name decides instead, and says so.
    assert match.rewritten == {"eports/buses.txt": Rewrite("transit/reports/buses.txt", "file name")}


def test_ambiguous_and_missing_sources_are_told_apart() -> None:
    questions = [ask("a", "reports/summary.txt"), ask("b", "summary.txt", "trams.txt"), ask("c", "trams.txt")]
    match = match_gold_sources(questions, DOCS)
    assert not match.resolved and match.rewritten == {}
    both = ("rail/reports/summary.txt", "transit/reports/summary.txt")
    assert match.ambiguous == {"reports/summary.txt": both, "summary.txt": both}
    assert match.missing == ("trams.txt",) and match.naming["trams.txt"] == ("b", "c")


def test_two_spellings_of_one_document_leave_one_gold_source() -> None:
    question = ask("a", "reports/buses.txt", "buses.txt", "transit/reports/buses.txt")
    (fixed,) = match_gold_sources([question], DOCS).apply([question])
    assert fixed.gold_sources == ("transit/reports/buses.txt",)


def test_an_unresolved_set_stops_with_every_source_and_what_to_do() -> None:
    questions = [ask("a", "summary.txt"), ask("b", "reports/trams.txt"), ask("c", "reports/trams.txt"), UNANSWERABLE]
    with pytest.raises(QuestionSetError) as caught:
        resolve_gold_sources(questions, DOCS)
    message = str(caught.value)
    assert "2 gold source(s) do not name exactly one of the 4 indexed documents" in message
    assert "reports/trams.txt (questions b, c): no indexed document" in message
    assert "summary.txt (question a): ambiguous, could be rail/reports/summary.txt, transit/reports/summary.txt" in (
        message
    )
    assert "gold_sources" in message and "assistant index PATH" in message and "'rail/reports/summary.txt'" in message


def test_a_set_without_gold_sources_passes_unchanged() -> None:
    questions, match = resolve_gold_sources([UNANSWERABLE], DOCS)
    assert questions == [UNANSWERABLE] and match == GoldMatch()


# -- against a real index ------------------------------------------------------------------
@pytest.fixture
def subfolders(tmp_path: Path) -> Settings:
    """A corpus in subfolders, indexed with the hashing embedder."""
    for doc_id, text in DOCS.items():
        write(tmp_path / "corpus" / doc_id, text)
    index = IndexSettings(home=tmp_path / "home", chunk_tokens=128, chunk_overlap=24, embed_model="hashing")
    run_index(tmp_path / "corpus", index, HashingEmbedder())
    return Settings(index=index, answerer="extractive")


def test_suffix_gold_sources_score_once_rewritten(subfolders: Settings) -> None:
    assistant = Assistant(subfolders, embedder=HashingEmbedder(), scorer=LexicalScorer(), abstain_threshold=0.2)
    written_as_is = evaluate(assistant, [BUSES, FERRIES, UNANSWERABLE])
    assert written_as_is.summary["metrics"]["hit_at_k"] == 0.0, "the silent zero of the issue"
    questions, match = resolve_gold_sources([BUSES, FERRIES, UNANSWERABLE], indexed_doc_ids(assistant.store))
    assert match.rewrites() == {
        "reports/buses.txt": "transit/reports/buses.txt",
        "archive/ferries.txt": "transit/reports/ferries.txt",
    }
    report = evaluate(assistant, questions)
    assert report.summary["metrics"]["hit_at_k"] == 1.0 and report.summary["metrics"]["mrr"] > 0


def eval_args(path: Path, out: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_eval_arguments(parser)
    return parser.parse_args([str(path), "--out", str(out), "--no-progress"])


def jsonl(path: Path, *questions: Question) -> Path:
    return write(path, "".join(json.dumps(q.to_dict()) + "\n" for q in questions))


def test_the_eval_command_reports_and_records_the_rewrites(
    subfolders: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = jsonl(tmp_path / "set.jsonl", BUSES, UNANSWERABLE)
    assert cmd_eval(eval_args(path, tmp_path / "out"), subfolders) == 0
    printed = capsys.readouterr().out
    assert "reports/buses.txt -> transit/reports/buses.txt (by path suffix)" in printed
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["gold_rewrites"] == {"reports/buses.txt": "transit/reports/buses.txt"}
    assert summary["metrics"]["hit_at_k"] == 1.0
    (record, _) = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert record["gold_sources"] == ["transit/reports/buses.txt"]


def test_the_eval_command_stops_before_asking_when_a_source_is_unknown(subfolders: Settings, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "set.jsonl", BUSES, ask("x", "reports/trams.txt"))
    with pytest.raises(QuestionSetError, match=r"reports/trams.txt \(question x\)"):
        cmd_eval(eval_args(path, tmp_path / "out"), subfolders)
    assert not (tmp_path / "out").exists()


def test_the_eval_command_on_an_empty_index_says_what_to_do(tmp_path: Path) -> None:
    settings = Settings(index=IndexSettings(home=tmp_path / "home", embed_model="hashing"), answerer="extractive")
    path = jsonl(tmp_path / "set.jsonl", BUSES)
    with pytest.raises(IndexMissingError, match="assistant index"):
        cmd_eval(eval_args(path, tmp_path / "out"), settings)
