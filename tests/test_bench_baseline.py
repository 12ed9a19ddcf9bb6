"""The baseline comparison section: refusal detection, scoring a baseline reply, the report, the
llama-index pipeline end to end with fakes (hashing embedder, MockLLM); real models (slow)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeWithScore, TextNode

from assistant.answering.prompts import NOT_FOUND
from assistant.answering.refusals import is_refusal
from assistant.evaluation.questions import Question, load_questions
from assistant.settings import Settings
from bench import baseline as b
from bench import li_baseline as li
from bench.context import BenchContext
from bench.li_llm import AnswererLLM
from index.settings import IndexSettings
from tests.conftest import SAMPLE_CORPUS, SAMPLE_QUESTIONS
from tests.fakes import HashingEmbedder

GOLD = "000_75b16126b511ef13.txt"
OTHER = "003_46fab7621cb1958b.txt"


class FakeChatter:
    """A chat answerer that replies from a queue and logs the messages and max_tokens it got."""

    name = "fake"

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.log: list[tuple[list[dict[str, str]], int | None]] = []

    def chat(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> Iterator[str]:
        self.log.append((messages, max_tokens))
        reply = self.replies.pop(0) if self.replies else "no reply left"
        for word in reply.split(" "):
            yield word + " "


# -- refusals ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "I don't know.",
        "Don't know",
        "The provided context does not mention how many SDF fighters take part.",
        "The documents don't provide that figure.",
        "The number of F-16s is not mentioned in the documents.",
        "There is no information about weapon shipments in the context.",
        "I cannot determine who commands the mission from the context.",
        "The answer is not provided in the given context.",
        "The documents provided do not mention how IS cells organise their shipments.",
        "That detail is not found in any of the documents.",
        "Not in the documents.",
        "It is not in the provided text.",
        "The reason is not stated in the passages.",
        NOT_FOUND,
    ],
)
def test_refusals_are_detected(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "Victoria Nuland told CNN Turk that a withdrawal is not being considered.",
        "About 900 US troops are in Syria, according to the report.",
        "She said ISIS was still active in too many places.",
        "Turkey knows the SDF did not withdraw.",
        "The US did not have enough troops in the region.",
        "Visas were not given to the delegation.",
        "No weapons were found at the site.",
        "The move was not in the context of a truce.",
        "The troops were not in the documents' list of units that left.",
        "Such powers are not in the articles.",
        "The name is not in the sources.",
        "We do know that 900 troops remain.",
        "Officials do not say much about it; the base holds 2,500 troops.",
        "",
    ],
)
def test_answers_are_not_refusals(text: str) -> None:
    assert not is_refusal(text)


# -- questions -----------------------------------------------------------------------
def test_quick_questions_include_an_unanswerable_and_a_follow_up_in_file_order() -> None:
    questions = load_questions(SAMPLE_QUESTIONS)
    quick = b.pick_questions(questions, quick=True)
    assert len(quick) == b.QUICK_QUESTIONS
    assert any(not q.answerable for q in quick)
    assert any(q.history for q in quick)
    order = [q.id for q in questions]
    assert [q.id for q in quick] == sorted((q.id for q in quick), key=order.index)
    assert b.pick_questions(questions, quick=False) == questions


# -- scoring a baseline reply -------------------------------------------------------
def node(doc: str, text: str, score: float) -> NodeWithScore:
    metadata = {"file_path": str(SAMPLE_CORPUS / doc), "file_name": doc}
    return NodeWithScore(
        node=TextNode(text=text, metadata=metadata, start_char_idx=0, end_char_idx=len(text)), score=score
    )


QUESTION = Question("q", "Who told CNN Turk?", "Victoria Nuland.", (("nuland",),), (GOLD,), True)
UNANSWERABLE = Question("u", "How many F-16s?", "", (), (), False)


def test_source_nodes_are_the_baseline_citations() -> None:
    nodes = [node(GOLD, "Nuland told CNN Turk.", 0.9), node(OTHER, "Something else.", 0.5)]
    answer = li.as_answer(QUESTION.question, "Victoria Nuland did.", "Who told CNN Turk?", nodes, SAMPLE_CORPUS)
    assert [c.doc_id for c in answer.citations] == [GOLD, OTHER]
    record = li.score_baseline(QUESTION, answer, 2, latency=1.5, ranked_at_5=[OTHER, GOLD], error=None)
    assert record["metrics"]["citation_precision"] == 0.5
    assert record["metrics"]["hit_at_k"] == 1.0
    assert record["metrics"]["key_fact_recall"] == 1.0
    assert record["metrics"]["invalid_citations"] == 0
    assert record["hit_at_5"] == 1.0 and record["mrr_at_5"] == 0.5
    assert record["abstained"] is False
    assert record["failures"] == []


def test_a_refusal_is_an_abstention_and_its_words_are_still_scored() -> None:
    text = "The context does not mention it, but Nuland spoke to CNN Turk."
    answer = li.as_answer(QUESTION.question, text, QUESTION.question, [node(OTHER, "x", 0.1)], SAMPLE_CORPUS)
    record = li.score_baseline(QUESTION, answer, 2, latency=1.0, ranked_at_5=[OTHER], error=None)
    assert record["abstained"] is True
    assert record["metrics"]["key_fact_recall"] == 1.0
    assert "abstained on an answerable question" in record["failures"]
    assert record["hit_at_5"] == 0.0 and record["mrr_at_5"] == 0.0


def test_node_doc_id_is_relative_to_the_corpus() -> None:
    assert li.node_doc_id({"file_path": str(SAMPLE_CORPUS / GOLD)}, SAMPLE_CORPUS) == GOLD
    assert li.node_doc_id({"file_path": "/elsewhere/x.txt", "file_name": "x.txt"}, SAMPLE_CORPUS) == "x.txt"


def record(answerable: bool, abstained: bool, latency: float, **extra: Any) -> dict[str, Any]:
    metrics = {"hit_at_k": 1.0 if answerable else None, "key_fact_recall": 0.5 if answerable else None,
               "citation_precision": 1.0 if answerable else None}  # fmt: skip
    return {"answerable": answerable, "abstained": abstained, "latency_s": latency, "metrics": metrics,
            "error": None, **extra}  # fmt: skip


def test_headline_metrics_from_records() -> None:
    records = [
        record(True, False, 1.0, hit_at_5=1.0, mrr_at_5=0.5, first_token_s=0.2, prompt_tokens=100),
        record(True, True, 3.0, hit_at_5=0.0, mrr_at_5=0.0, first_token_s=0.4, prompt_tokens=300),
        record(False, True, 2.0, hit_at_5=None, mrr_at_5=None, first_token_s=None, prompt_tokens=None),
        record(False, False, 4.0, hit_at_5=None, mrr_at_5=None, first_token_s=None, prompt_tokens=None),
    ]
    values = li.headline(records)
    assert list(values) == [key for key, _, _ in li.HEADLINE]
    assert values["hit_at_5"] == 0.5 and values["mrr_at_5"] == 0.25
    assert values["abstention_recall"] == 0.5
    assert values["false_abstention_rate"] == 0.5
    assert values["latency_p50"] == 2.5
    assert values["first_token_p50"] == pytest.approx(0.3)
    assert values["prompt_tokens_mean"] == 200
    assert values["errors"] == 0


def test_ratio() -> None:
    assert li.ratio(1.0, 2.0) == 0.5
    assert li.ratio(None, 2.0) is None and li.ratio(1.0, 0.0) is None and li.ratio(1.0, None) is None


# -- the LLM adapter ---------------------------------------------------------------
def test_answerer_llm_passes_messages_and_logs_calls() -> None:
    from llama_index.core.llms import ChatMessage

    chatter = FakeChatter(["Nuland did.", "standalone question", "streamed reply"])
    llm = AnswererLLM(chatter, max_tokens=7)
    reply = llm.chat([ChatMessage(role="system", content="Use the context."), ChatMessage(role="user", content="Who?")])
    assert reply.message.content.strip() == "Nuland did."
    assert chatter.log[0] == (
        [{"role": "system", "content": "Use the context."}, {"role": "user", "content": "Who?"}],
        7,
    )
    assert llm.complete("condense this").text.strip() == "standalone question"
    assert chatter.log[1][0] == [{"role": "user", "content": "condense this"}]
    deltas = [r.delta for r in llm.stream_chat([ChatMessage(role="user", content="Go")])]
    assert "".join(d or "" for d in deltas).strip() == "streamed reply"
    calls = llm.take_calls()
    assert [c.kind for c in calls] == ["chat", "complete", "chat"]
    assert calls[0].prompt_tokens > calls[2].prompt_tokens > 0
    assert all(c.first_piece is not None and c.first_piece >= c.started for c in calls)
    assert llm.take_calls() == []
    assert llm.metadata.is_chat_model and llm.metadata.num_output == 7


# -- the pipeline end to end with fakes ----------------------------------------------
def questions_subset() -> list[Question]:
    by_id = {q.id: q for q in load_questions(SAMPLE_QUESTIONS)}
    return [by_id["q01"], by_id["q08"], by_id["q10"]]  # answerable, unanswerable, follow-up


def test_baseline_pipeline_with_mock_llm_produces_records() -> None:
    built = li.build_baseline(SAMPLE_CORPUS, HashingEmbedder(), MockLLM(max_tokens=8))
    assert built.config["documents"] == 5 and built.config["chunks"] >= 5
    assert (built.config["chunk_size"], built.config["chunk_overlap"], built.config["top_k"]) == (1024, 200, 2)
    result = li.run_baseline(built, questions_subset(), lambda line: None)
    assert result["config"]["chat_engine"] == "CondensePlusContextChatEngine"
    records = result["records"]
    assert [r["id"] for r in records] == ["q01", "q08", "q10"]
    corpus_files = {p.name for p in SAMPLE_CORPUS.iterdir()}
    for r in records:
        assert r["error"] is None
        assert r["answer"].split() == ["text"] * 8  # MockLLM's reply
        assert 1 <= len(r["retrieved"]) <= 2 and set(r["retrieved"]) <= corpus_files
        assert r["hit_at_5"] in (0.0, 1.0, None)
    assert records[1]["hit_at_5"] is None  # unanswerable: no gold
    assert records[2]["query"] != records[2]["question"]  # the follow-up was condensed by the LLM
    assert set(result["metrics"]) == {key for key, _, _ in li.HEADLINE}
    json.dumps(result)


def test_baseline_pipeline_with_our_adapter_counts_prompts_and_sees_refusals() -> None:
    chatter = FakeChatter(["Victoria Nuland told CNN Turk.", "I don't know.", "How much territory had IS captured?",
                           "About 1,000 square kilometres."])  # fmt: skip
    built = li.build_baseline(SAMPLE_CORPUS, HashingEmbedder(), AnswererLLM(chatter))
    records = li.run_baseline(built, questions_subset(), lambda line: None)["records"]
    assert [r["abstained"] for r in records] == [False, True, False]
    assert [r["llm_calls"] for r in records] == [1, 1, 2]  # the follow-up is condensed first
    assert records[2]["query"].strip() == "How much territory had IS captured?"
    assert records[0]["metrics"]["key_fact_recall"] == 1.0
    assert all(r["prompt_tokens"] > 500 for r in records)  # two chunks of up to 1024 tokens
    assert all(0 < r["first_token_s"] <= r["latency_s"] for r in records)
    context = chatter.log[0][0]
    assert context[0]["role"] == "system" and "Nuland" in context[0]["content"]


# -- the report ----------------------------------------------------------------------
def canned_result() -> dict[str, Any]:
    metrics = dict.fromkeys((key for key, _, _ in li.HEADLINE), None)
    base = {**metrics, "key_fact_recall": 0.5, "latency_p50": 10.0, "hit_at_5": 0.8}
    local = {**metrics, "key_fact_recall": 0.75, "latency_p50": 5.0, "hit_at_5": 0.9}
    extractive = {**metrics, "key_fact_recall": 0.6, "latency_p50": 0.5}
    config = {
        "pipeline": "p",
        "llm": "/m/qwen.gguf",
        "embed_model": "bge-small-en-v1.5",
        "chunks": 10,
        "chunk_size": 1024,
        "chunk_overlap": 200,
        "chunk_unit": "cl100k tokens",
        "top_k": 2,
        "chat_engine": "CondensePlusContextChatEngine",
        "chat_mode": "best (default)",
        "index_seconds": 3.0,
    }
    return {
        "questions": {"path": "data/questions/sample.jsonl", "count": 6, "ids": []},
        "quick": True,
        "chat_mode_note": "best is condense_plus_context.",
        "ratio_of": "local",
        "baseline": {"config": config, "metrics": base, "records": []},
        "ours_config": {
            "pipeline": "ours",
            "embed_model": "bge-small-en-v1.5",
            "chunks": 40,
            "chunk_size": 256,
            "chunk_overlap": 48,
            "chunk_unit": "cl100k tokens",
            "top_k": 6,
            "index_seconds": 4.0,
        },
        "ours": {
            "local": {"config": {}, "metrics": local, "records": []},
            "extractive": {"config": {}, "metrics": extractive, "records": []},
            "openai": {"skipped": "no server configured"},
        },
        "seconds": 99.0,
    }


def test_markdown_renders_the_headline_table() -> None:
    text = b.markdown(canned_result())
    assert text.startswith(b.TITLE + "\n")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| metric"))
    assert header == "| metric | baseline | ours-local | ours-extractive | ratio ours-local / baseline |"
    row = next(line for line in lines if line.startswith("| key-fact recall"))
    assert row == "| key-fact recall ↑ | 0.50 | 0.75 | 0.60 | 1.50× |"
    latency = next(line for line in lines if line.startswith("| latency p50"))
    assert latency.endswith("| 10.00 | 5.00 | 0.50 | 0.50× |")
    assert all(any(line.startswith(f"| {label}") for line in lines) for _, label, _ in li.HEADLINE)
    assert "| chunks | 10 of 1024/200 cl100k tokens (SentenceSplitter) | 40 of 256/48 cl100k tokens |" in lines
    assert "ours-openai: no server configured" in text
    assert "quick run" in text


def test_markdown_of_a_skipped_run() -> None:
    text = b.markdown({"questions": {"path": "q.jsonl", "count": 2, "ids": []}, "skipped": "no LLM for the baseline"})
    assert text.startswith(b.TITLE) and "Not run: no LLM for the baseline." in text


# -- real models ---------------------------------------------------------------------
TINY_CORPUS = {
    "harbour.txt": "The harbour of Portlow was rebuilt in 1998. The new quay is 420 metres long and "
    "serves the ferry to Inishmore twice a day. The harbour master is Aoife Brennan.",
    "mill.txt": "The Portlow wool mill closed in 1971 after ninety years of weaving. Its building now "
    "houses the town library, opened by the mayor in 1985.",
}
TINY_QUESTIONS = [
    Question("a", "How long is the new quay in Portlow harbour?", "420 metres.", (("420",),), ("harbour.txt",)),
    Question("u", "How many students attend the Portlow primary school?", "", (), (), False),
]


@pytest.mark.slow
def test_run_with_real_models_on_two_questions(tmp_path: Path) -> None:
    """bge + the bundled GGUF through `run`, on a two-document corpus so the baseline's prompts stay
    short (on the sample corpus one baseline question costs ~2,500 prompt tokens: 30-90 s here)."""
    from assistant.evaluation.questions import questions_to_jsonl
    from tests.llm_fixtures import local_gguf

    model = local_gguf()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in TINY_CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    question_file = tmp_path / "two.jsonl"
    question_file.write_text(questions_to_jsonl(TINY_QUESTIONS), encoding="utf-8")
    settings = Settings(index=IndexSettings(home=tmp_path / "home"), local_model=model)
    ctx = BenchContext(settings=settings, corpus=corpus, questions=question_file, work_dir=tmp_path / "work")
    result = b.run(ctx, max_tokens=40)
    json.dumps(result)
    config = result["baseline"]["config"]
    assert (config["embed_model"], config["chat_engine"], config["max_tokens"]) == (
        "bge-small-en-v1.5", "CondensePlusContextChatEngine", 40
    )  # fmt: skip
    base = result["baseline"]["records"]
    assert [r["id"] for r in base] == ["a", "u"] and all(r["error"] is None for r in base)
    assert all(r["answer"].strip() and r["prompt_tokens"] > 50 and r["first_token_s"] for r in base)
    assert base[0]["hit_at_5"] == 1.0 and base[0]["mrr_at_5"] == 1.0
    assert base[0]["metrics"]["key_fact_recall"] == 1.0  # the quay's length is in the reply
    for name in ("local", "extractive"):
        ours = result["ours"][name]["records"]
        assert [r["id"] for r in ours] == ["a", "u"] and all(r["error"] is None for r in ours)
        assert ours[0]["hit_at_5"] == 1.0
    assert result["ours"]["extractive"]["records"][0]["prompt_tokens"] is None  # no LLM
    local = result["ours"]["local"]["records"][0]
    assert local["prompt_tokens"] or local["abstained"]
    assert "| key-fact recall" in b.markdown(result)
