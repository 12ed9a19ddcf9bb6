"""Evaluation runs: a fake assistant for records, summary, files, compare and thresholds; the
sample set end to end with the real extractive pipeline (slow)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from assistant.answering.answerers import ExtractiveAnswerer
from assistant.answering.prompts import NOT_FOUND
from assistant.api import Assistant
from assistant.errors import QuestionError
from assistant.evaluation.cli import add_eval_arguments, cmd_eval
from assistant.evaluation.compare import check_thresholds, compare
from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.report import load_summary, write_report
from assistant.evaluation.run import EvalReport, evaluate
from assistant.settings import Settings
from assistant.types import Answer, Citation
from index.errors import ConfigError
from index.settings import IndexSettings
from tests.conftest import SAMPLE_CORPUS, SAMPLE_QUESTIONS, write
from tests.fakes import passage

IRAQ = "About 2,500 US troops are deployed in Iraq. They advise Iraqi forces."


def cite(number: int, doc_id: str, quote: str, passage_text: str) -> Citation:
    return Citation(number, doc_id, "T", None, 0, len(quote), quote, 1.0, passage=passage_text)


class CannedAssistant:
    """Answers from a dict of canned replies; an exception in the dict is raised instead."""

    def __init__(self, replies: dict[str, Answer | Exception]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, Any, int]] = []

    def ask(self, question: str, *, history: Any = None, k: int = 6) -> Answer:
        self.calls.append((question, history, k))
        reply = self.replies[question]
        if isinstance(reply, Exception):
            raise reply
        return reply


QUESTIONS = [
    Question(
        "good", "How many troops in Iraq?", "About 2,500 troops.", (("2,500",),), ("iraq.txt",), True, (), ("number",)
    ),
    Question("wrongly-answered", "Who commands?", "Not given.", (), (), False, (), ("unanswerable",)),
    Question("abstains", "What oil?", "Syrian oil.", (("oil",),), ("syria.txt",), True, (), ("factoid",)),
    Question("crashes", "Boom?", "x", (("x",),), ("iraq.txt",), True, ({"role": "user", "content": "hi"},), ()),
    Question("declines", "Base name?", "Not given.", (), (), False, (), ("unanswerable",)),
]


def canned() -> CannedAssistant:
    iraq, syria = passage(IRAQ, "iraq.txt"), passage("Syrian oil is sold abroad.", "syria.txt", "c2")
    return CannedAssistant(
        {
            "How many troops in Iraq?": Answer(
                "q",
                "About 2,500 US troops are deployed in Iraq [1].",
                citations=(cite(1, "iraq.txt", "About 2,500 US troops are deployed in Iraq.", IRAQ),),
                passages=(passage("x", "other.txt"), iraq),
                query="How many troops in Iraq?",
                answerer="extractive",
            ),
            "Who commands?": Answer(
                "q",
                "<script>alert(1)</script> commands [1] [2].",
                citations=(cite(1, "iraq.txt", "not a quote", IRAQ),),
                passages=(iraq,),
                tokens={"prompt_tokens": 10, "completion_tokens": 5},
                answerer="openai->extractive",
            ),
            # The abstention lists a passage that holds the key fact: that must not count as said.
            "What oil?": Answer("q", f"{NOT_FOUND}\n- Syrian oil is sold abroad.", passages=(syria,), abstained=True),
            "Boom?": QuestionError("the question is empty"),
            "Base name?": Answer("q", NOT_FOUND, passages=(iraq,), abstained=True),
        }
    )


@pytest.fixture
def report() -> EvalReport:
    return evaluate(canned(), QUESTIONS, k=3)


def test_records_hold_the_answer_gold_and_metrics(report: EvalReport) -> None:
    good, wrong, abstains, crashes, declines = report.records
    assert good["metrics"]["hit_at_k"] == 1.0 and good["metrics"]["mrr"] == 0.5
    assert good["metrics"]["key_fact_recall"] == 1.0 and good["metrics"]["citation_precision"] == 1.0
    assert good["metrics"]["cited_facts"] == 1.0 and good["failures"] == []
    assert good["retrieved"] == ["other.txt", "iraq.txt"] and good["citations"][0]["doc_id"] == "iraq.txt"
    assert wrong["metrics"]["invalid_citations"] == 2 and "answered an unanswerable question" in wrong["failures"]
    assert abstains["metrics"]["key_fact_recall"] == 0.0 and abstains["missing_facts"] == ["oil"]
    assert "abstained on an answerable question" in abstains["failures"]
    assert crashes["error"].startswith("QuestionError") and crashes["abstained"] is None
    assert crashes["metrics"]["hit_at_k"] == 0.0  # an error scores as an empty answer
    assert declines["failures"] == [] and declines["metrics"]["token_f1"] is None


def test_history_and_k_are_passed_to_ask() -> None:
    fake = canned()
    evaluate(fake, QUESTIONS, k=3)
    assert ("Boom?", [{"role": "user", "content": "hi"}], 3) in fake.calls
    assert ("How many troops in Iraq?", None, 3) in fake.calls


def test_summary_means_over_applicable_questions(report: EvalReport) -> None:
    summary = report.summary
    values = summary["metrics"]
    assert summary["counts"] == {
        "questions": 5, "answerable": 3, "unanswerable": 2, "abstained": 2,
        "failed": 3, "errors": 1, "fallbacks": 1,
    }  # fmt: skip
    assert values["hit_at_k"] == pytest.approx(2 / 3)  # the error counts as a miss
    assert summary["applicable"]["hit_at_k"] == 3 and summary["applicable"]["citation_precision"] == 1
    assert values["abstention_recall"] == 0.5 and values["abstention_precision"] == 0.5
    assert values["false_abstention_rate"] == 0.5  # the error is left out
    assert values["invalid_citations"] == 1 and values["errors"] == 1
    assert values["latency_p50"] is not None and values["latency_p95"] >= values["latency_p50"]
    assert summary["tokens"] == {"prompt_tokens": 10, "completion_tokens": 5}
    assert summary["by_tag"]["unanswerable"]["abstention_recall"] == 0.5
    assert summary["by_tag"]["number"]["hit_at_k"] == 1.0
    assert report.config["k"] == 3 and report.config["question_count"] == 5 and "judge" not in summary


def test_report_files(report: EvalReport, tmp_path: Path) -> None:
    out = write_report(report, tmp_path / "run")
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [q.id for q in QUESTIONS]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["metrics"]["errors"] == 1 and summary["config"]["k"] == 3
    markdown = (out / "report.md").read_text(encoding="utf-8")
    table = markdown.split("## Questions (failures first)")[1]
    assert table.index("wrongly-answered") < table.index("| good |") and "| hit_at_k |" in markdown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<svg") == 2 and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.index("wrongly-answered") < html.index("<b>good</b>")


def test_compare_flags_regressions(report: EvalReport, tmp_path: Path) -> None:
    now = {**report.summary, "metrics": {**report.summary["metrics"], "latency_p50": 1.3, "latency_p95": 9.0}}
    previous = json.loads(json.dumps(now))
    previous["metrics"].update(hit_at_k=0.9, mrr=now["metrics"]["mrr"] + 0.01, invalid_citations=0)
    previous["metrics"].update(latency_p50=1.0, latency_p95=3.0)
    deltas = {d.metric: d for d in compare(now, previous)}
    assert deltas["hit_at_k"].regressed and deltas["hit_at_k"].delta == pytest.approx(2 / 3 - 0.9)
    assert not deltas["mrr"].regressed  # within the tolerance
    assert deltas["invalid_citations"].regressed and deltas["latency_p50"].regressed
    assert not deltas["citation_precision"].regressed and not deltas["latency_p95"].regressed
    assert not any(d.regressed for d in compare(now, now))
    write_report(report, tmp_path / "old")
    assert load_summary(tmp_path / "old")["metrics"] == json.loads(json.dumps(report.summary["metrics"]))
    assert load_summary(tmp_path / "old" / "summary.json")["counts"]["questions"] == 5
    with pytest.raises(ConfigError, match="eval"):
        load_summary(tmp_path / "nowhere")


def test_thresholds(report: EvalReport) -> None:
    assert check_thresholds(report.summary, {"hit_at_k": 0.6}, {"invalid_citations": 1}) == []
    problems = check_thresholds(report.summary, {"hit_at_k": 0.9, "key_fact_recall": 0.0}, {"invalid_citations": 0})
    assert problems == [
        "hit_at_k = 0.667 is below the minimum 0.9",
        "invalid_citations = 1.000 is above the maximum 0",
    ]
    only_answerable = evaluate(canned(), QUESTIONS[:1])
    assert "n/a" in check_thresholds(only_answerable.summary, {"abstention_recall": 0.5})[0]


class ConstantJudge:
    def judge(self, question: str, answer: str, evidence: Sequence[str], reference: str) -> dict[str, float]:
        return {"faithfulness": 1.0, "correctness": 0.5}


def test_a_judge_is_reported_apart(tmp_path: Path) -> None:
    report = evaluate(canned(), QUESTIONS, judge=ConstantJudge())
    assert report.summary["judge"] == {"judged": 2, "correctness": 0.5, "faithfulness": 1.0}
    assert "judge" not in report.summary["metrics"] and report.records[0]["judge"]["faithfulness"] == 1.0
    write_report(report, tmp_path)
    assert "LLM judge" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_eval_arguments() -> None:
    parser = argparse.ArgumentParser()
    add_eval_arguments(parser)
    args = parser.parse_args(["--min", "mrr=0.5", "--min-hit-at-k", "0.8", "--max-invalid-citations", "0"])
    assert args.questions == "data/questions/sample.jsonl" and args.k == 6 and args.min == [("mrr", 0.5)]
    assert args.min_hit_at_k == 0.8 and args.max_invalid_citations == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["--min", "nonsense=1"])


# -- the sample set, end to end ------------------------------------------------------
# Measured with the extractive answerer, bge-small-en-v1.5 and the bundled cross-encoder, k=6:
# hit 1.000, recall 0.992, MRR 0.992, nDCG 0.987, key facts 0.755 (all 0.719), F1 0.293,
# citation precision/recall 0.977, support 1.000, abstention recall 0.077 (1 of 13; q08 at
# logit -2.4), false abstentions 0, invalid citations 0. Each floor sits ~0.05-0.1 below.
# Gates a real regression trips: each sits just under this commit's extractive figures on the
# sample set (docs/evaluation.md: key facts 0.833, every key fact 0.781, citation precision 0.977,
# cited facts 1.0, abstention 4 of 13 at no false abstention), so losing one unanswerable
# question's abstention, two answers' facts or one good citation fails the test.
SAMPLE_MINIMUMS = {
    "hit_at_k": 0.98,
    "recall_at_k": 0.97,
    "mrr": 0.95,
    "ndcg_at_k": 0.95,
    "key_fact_recall": 0.80,
    "all_key_facts": 0.75,
    "token_f1": 0.30,
    "citation_precision": 0.95,
    "citation_recall": 0.95,
    "cited_facts": 0.97,
    "abstention_recall": 0.30,
}
SAMPLE_MAXIMUMS = {"invalid_citations": 0, "errors": 0, "false_abstention_rate": 0.02}


@pytest.fixture(scope="module")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from index.embed import make_embedder
    from index.ingest import run_index

    index = IndexSettings(home=tmp_path_factory.mktemp("home"))
    run_index(SAMPLE_CORPUS, index, make_embedder(index.embed_model))
    return Settings(index=index, answerer="extractive")


@pytest.mark.slow
def test_the_sample_set_meets_its_thresholds(sample_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(sample_settings, answerer=ExtractiveAnswerer())
    report = evaluate(assistant, SAMPLE_QUESTIONS)
    write_report(report, tmp_path)
    print((tmp_path / "report.md").read_text(encoding="utf-8").split("## By tag")[0])
    assert check_thresholds(report.summary, SAMPLE_MINIMUMS, SAMPLE_MAXIMUMS) == []
    assert all(record["citations"] or record["abstained"] for record in report.records)


@pytest.mark.slow
def test_the_eval_command_writes_the_report_and_gates(sample_settings: Settings, tmp_path: Path) -> None:
    questions = load_questions(SAMPLE_QUESTIONS)[:3]
    path = write(tmp_path / "three.jsonl", "".join(json.dumps(q.to_dict()) + "\n" for q in questions))
    parser = argparse.ArgumentParser()
    add_eval_arguments(parser)
    first = parser.parse_args(
        [str(path), "--out", str(tmp_path / "a"), "--no-progress", "--max-invalid-citations", "0"]
    )
    assert cmd_eval(first, sample_settings) == 0
    assert {p.name for p in (tmp_path / "a").iterdir()} == {"results.jsonl", "summary.json", "report.md", "report.html"}
    second = parser.parse_args(
        [
            str(path),
            "--out",
            str(tmp_path / "b"),
            "--no-progress",
            "--compare",
            str(tmp_path / "a"),
            "--min",
            "hit_at_k=1.01",
        ]
    )
    assert cmd_eval(second, sample_settings) == 1
    assert "comparison" in json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
