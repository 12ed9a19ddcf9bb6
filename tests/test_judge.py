"""The opt-in answerability judge (ASSISTANT_JUDGE=local): settings, its place in the decision,
its calibration files, and the real bundled model reading real text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant, ConfigError, Settings
from assistant.answering.answerers import ExtractiveAnswerer
from assistant.answering.decision import SHIPPED, SHIPPED_JUDGED, Calibration, load_calibration, user_calibration_path
from assistant.answering.judge import CONTEXTS, NO_EVIDENCE, Judge, LocalJudge, judge_evidence, make_judge
from assistant.answering.llm import LocalAnswerer, make_answerer
from assistant.answering.model_queue import Waiting, finished
from assistant.types import Answer
from index.ingest import run_index
from index.settings import IndexSettings
from tests.cli_helpers import env_for, run_cli
from tests.fakes import FakeJudge, HashingEmbedder, LexicalScorer, evidence
from tests.llm_fixtures import local_gguf

ANSWERABLE = "How many US troops are deployed in Iraq?"


def test_the_setting_is_off_unless_asked_and_a_typo_says_what_is_allowed() -> None:
    assert Settings.from_env({}).judge == "off"
    assert Settings.from_env({"ASSISTANT_JUDGE": " Local "}).judge == "local"
    with pytest.raises(ConfigError, match="ASSISTANT_JUDGE='llm' is not one of: off, local"):
        Settings.from_env({"ASSISTANT_JUDGE": "llm"})
    assert make_judge(Settings()) is None


def test_local_without_the_model_says_what_to_install(tmp_path: Path) -> None:
    settings = Settings(index=IndexSettings(home=tmp_path), judge="local", local_model=tmp_path / "none.gguf")
    with pytest.raises(ConfigError, match="ASSISTANT_JUDGE=local needs the local model"):
        make_judge(settings)


def test_the_doctor_checks_the_judges_model(tmp_path: Path) -> None:
    from assistant.doctor import check_judge

    assert check_judge(Settings()).status == "ok"
    missing = check_judge(Settings(judge="local", local_model=tmp_path / "none.gguf"))
    assert missing.status == "fail" and "make install-local" in missing.fix


def test_the_judge_reads_the_best_contexts_in_order_and_nothing_means_no() -> None:
    judge = FakeJudge("troops")
    found = evidence(*(f"Sentence {n} about troops." for n in range(1, 7)))
    assert judge_evidence(judge, "How many troops?", found) == 3.0
    assert judge.calls == [("How many troops?", [e.context for e in found[:CONTEXTS]])]
    assert judge_evidence(judge, "How many troops?", []) == NO_EVIDENCE and len(judge.calls) == 1


@pytest.fixture
def indexed(corpus: Path, index_settings: IndexSettings) -> IndexSettings:
    run_index(corpus, index_settings, HashingEmbedder())
    return index_settings


def _bot(settings: IndexSettings, judge: Judge | None, calibration: Calibration | None = None) -> Assistant:
    return Assistant(
        Settings(index=settings),
        embedder=HashingEmbedder(),
        scorer=LexicalScorer(),
        judge=judge,
        calibration=calibration,
    )


def test_the_decision_follows_the_judge_when_its_calibration_weighs_it(indexed: IndexSettings) -> None:
    on_judge = Calibration.cutoff("judge", 0.0, "judge >= 0")
    says_yes = _bot(indexed, FakeJudge("troops"), on_judge).ask(ANSWERABLE)
    assert not says_yes.abstained and says_yes.decision["signals"]["judge"] == 3.0
    says_no = _bot(indexed, FakeJudge("zeppelin"), on_judge).ask(ANSWERABLE)
    assert says_no.abstained and says_no.decision["signals"]["judge"] == -3.0
    judge = FakeJudge("troops")
    _bot(indexed, judge, on_judge).ask(ANSWERABLE)
    question, contexts = judge.calls[0]
    assert question == ANSWERABLE and 0 < len(contexts) <= CONTEXTS


def test_a_stream_shows_the_judges_place_in_the_models_queue_then_the_answer(indexed: IndexSettings) -> None:
    on_judge = Calibration.cutoff("judge", 0.0, "judge >= 0")
    bot = _bot(indexed, FakeJudge("troops", ahead=2), on_judge)
    items = list(bot.stream(ANSWERABLE))
    assert [w.ahead for w in items if isinstance(w, Waiting)] == [2, 1]  # before any text: it waits to decide
    assert isinstance(items[0], Waiting) and isinstance(items[-1], Answer) and not items[-1].abstained
    compound = list(bot.stream("How many US troops are in Iraq, and how many are in Syria?"))
    assert sum(isinstance(w, Waiting) for w in compound) == 4  # each part is judged, each waits
    assert bot.ask(ANSWERABLE).decision["signals"]["judge"] == 3.0  # ask waits without showing it


def test_a_judge_the_calibration_does_not_weigh_is_not_asked(indexed: IndexSettings) -> None:
    judge = FakeJudge("troops")
    answer = _bot(indexed, judge, Calibration.cutoff("best_typed", 0.5, "plain")).ask(ANSWERABLE)
    assert judge.calls == [] and answer.decision["signals"]["judge"] == 0.0  # 4-5 s saved


def test_without_a_judge_its_signal_is_not_computed_and_a_calibration_needing_it_is_refused(
    indexed: IndexSettings,
) -> None:
    plain = _bot(indexed, None).ask(ANSWERABLE)
    assert plain.decision["signals"]["judge"] == 0.0 and "judge" not in plain.decision["contributions"]
    with pytest.raises(ConfigError, match="ASSISTANT_JUDGE=local"):
        _bot(indexed, None, Calibration.cutoff("judge", 0.0, "needs it"))


def test_the_judge_has_its_own_shipped_calibration_and_a_users_own_wins(tmp_path: Path) -> None:
    shipped = Calibration.load(SHIPPED_JUDGED)
    assert shipped.needs_judge and "fitting split" in shipped.source and "judge" in shipped.source
    assert not Calibration.load(SHIPPED).needs_judge
    assert load_calibration(tmp_path, "documents", judged=True).source == shipped.source
    Calibration.cutoff("judge", 1.0, "mine, judged").save(user_calibration_path(tmp_path, "documents", judged=True))
    assert load_calibration(tmp_path, "documents", judged=True).source == "mine, judged"
    assert load_calibration(tmp_path, "documents").source == Calibration.load(SHIPPED).source  # judge off: untouched


# -- the real bundled model -------------------------------------------------------------------
TRANSIT = [
    "The project director, Ingrid Halvorsen, told the city council that the line 7 extension will open in autumn 2027.",
    "The extension adds four stations between Nordby and the harbour and cost 3.2 billion kroner.",
]


@pytest.fixture(scope="module")
def local_answerer() -> LocalAnswerer:
    return LocalAnswerer(str(local_gguf()))


def test_the_bundled_model_tells_a_stated_answer_from_a_missing_one(local_answerer: LocalAnswerer) -> None:
    judge = LocalJudge(local_answerer)
    stated = judge("Who is the project director of the line 7 extension?", TRANSIT)
    cost = judge("How much did the line 7 extension cost?", TRANSIT)
    other_line = judge("When did the line 5 extension open?", TRANSIT)
    not_there = judge("How many stations does line 9 have?", TRANSIT)
    assert min(stated, cost) > 0 > max(other_line, not_there), (stated, cost, other_line, not_there)
    assert judge("Who is the project director of the line 7 extension?", TRANSIT) == stated  # deterministic


def test_the_judge_waits_its_turn_behind_an_answer_on_the_shared_model(local_answerer: LocalAnswerer) -> None:
    judge = LocalJudge(local_answerer)
    answering = local_answerer.chat([{"role": "user", "content": "Reply with the word: harbour"}], max_tokens=8)
    first = next(answering)  # this session holds the model (a Waiting piece while loading it)
    steps = judge.judging("Who is the project director of the line 7 extension?", TRANSIT)
    assert next(steps).ahead == 1
    assert "harbour" in (first + "".join(answering)).lower()  # the answer finishes and leaves the model
    assert finished(steps) > 0


def test_a_stream_closed_while_its_judge_waits_leaves_the_models_queue(
    indexed: IndexSettings, local_answerer: LocalAnswerer
) -> None:
    bot = _bot(indexed, LocalJudge(local_answerer), Calibration.cutoff("judge", 0.0, "judge >= 0"))
    answering = local_answerer.chat([{"role": "user", "content": "Reply with the word: harbour"}], max_tokens=8)
    first = next(answering)  # another session holds the model
    stream = bot.stream(ANSWERABLE)
    assert isinstance(next(stream), Waiting) and len(local_answerer.queue) == 2
    stream.close()  # the browser went away while the judge waited
    assert len(local_answerer.queue) == 1
    assert "harbour" in (first + "".join(answering)).lower()
    assert len(local_answerer.queue) == 0


def test_judging_shares_the_answerers_model_and_leaves_it_able_to_answer(local_answerer: LocalAnswerer) -> None:
    settings = Settings(judge="local")
    judge = make_judge(settings, local_answerer)
    assert isinstance(judge, LocalJudge) and judge.local is local_answerer  # one model in memory
    judge("Who is the project director?", TRANSIT)
    reply = "".join(local_answerer.chat([{"role": "user", "content": "Reply with the word: harbour"}], max_tokens=8))
    assert "harbour" in reply.lower()


def test_ask_explain_shows_the_judges_signal_from_the_real_model(tmp_path: Path, corpus: Path) -> None:
    env = env_for(
        tmp_path / "home",
        ASSISTANT_EMBED_MODEL="hashing",
        ASSISTANT_ANSWERER="extractive",
        ASSISTANT_JUDGE="local",
        ASSISTANT_LOCAL_MODEL=str(local_gguf()),
    )
    assert run_cli(["index", str(corpus)], env, fakes=True).returncode == 0
    result = run_cli(["ask", "How many US troops are deployed in Iraq and Syria?", "--explain"], env, fakes=True)
    assert result.returncode == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if row.startswith("judge "))
    assert float(line.split()[1]) > 0, result.stdout  # the evidence states it; the model says so
    assert "with the local judge" in result.stdout  # the calibration it used


def test_a_shared_assistant_lends_its_judge_except_to_the_local_answerer(
    indexed: IndexSettings, local_answerer: LocalAnswerer
) -> None:
    judge = FakeJudge("troops")
    base = _bot(indexed, judge)
    settings = Settings(index=indexed, judge="local")
    other = Assistant.from_settings(settings, answerer="extractive", share=base)
    assert other.judge is judge  # no second copy of the model for another answerer
    local = Assistant.from_settings(settings, answerer=local_answerer, share=base)
    assert isinstance(local.judge, LocalJudge) and local.judge.local is local_answerer


def test_one_copy_of_the_local_model_serves_every_answerer_and_judge_of_a_process(indexed: IndexSettings) -> None:
    settings = Settings(index=indexed, judge="local", local_model=local_gguf())
    local = make_answerer("local", settings)
    assert make_answerer("local", settings) is local  # another collection's "local": the same model
    judge = make_judge(settings, ExtractiveAnswerer())
    assert isinstance(judge, LocalJudge) and judge.local is local  # and the same queue


def test_calibrate_with_the_judge_on_keeps_a_judged_calibration_beside_the_plain_one(
    tmp_path: Path, corpus: Path
) -> None:
    home = tmp_path / "home"
    env = env_for(home, ASSISTANT_EMBED_MODEL="hashing", ASSISTANT_ANSWERER="extractive")
    judged = {**env, "ASSISTANT_JUDGE": "local", "ASSISTANT_LOCAL_MODEL": str(local_gguf())}
    assert run_cli(["index", str(corpus)], env, fakes=True).returncode == 0
    answerable = [
        "How many US troops are deployed in Iraq and Syria?",
        "Who heads the Hashed al-Shaabi alliance?",
        "How far is Deir ez-Zor from Raqqa?",
        "How much is the F-16 sale to Turkiye worth?",
        "Why was Turkiye removed from the F-35 program?",
    ]
    unanswerable = [
        "What is the capital of Australia?",
        "How tall is the Eiffel Tower?",
        "Who painted the Mona Lisa?",
        "When was the printing press invented?",
        "What is the boiling point of mercury?",
    ]
    lines = [{"id": f"a{i}", "question": q, "answerable": True} for i, q in enumerate(answerable * 2)]
    lines += [{"id": f"u{i}", "question": q, "answerable": False} for i, q in enumerate(unanswerable * 2)]
    questions = tmp_path / "mine.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in lines), encoding="utf-8")
    result = run_cli(["calibrate", str(questions), "--no-progress"], judged, fakes=True)
    assert result.returncode == 0, result.stderr
    mine = Calibration.load(user_calibration_path(home, "documents", judged=True))
    assert mine.features == Calibration.load(SHIPPED_JUDGED).features and "with the local judge" in mine.source
    assert not user_calibration_path(home, "documents").exists()  # the plain one is untouched
    refused = run_cli(["calibrate", str(questions), "--signals", "judge", "--no-progress"], env, fakes=True)
    assert refused.returncode != 0 and "ASSISTANT_JUDGE=local" in refused.stderr
