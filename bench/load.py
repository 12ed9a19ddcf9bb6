"""The chat window under load: concurrent gradio_client sessions against the real app.

For each answerer (extractive, then local): the sample corpus indexed in a scratch home, the
app served for real (`ui.app.build_app` + `launch(block=False)`), SESSIONS clients asking
QUESTIONS questions each, all at once. Per answer: seconds to the first text on screen (a
draft or the final answer) and to the final answer, errors, and the places in the model's
queue that were shown. Cross-talk checks: every final answer echoes its own question and
cites only passages it retrieved, has at most its session's k passages, and every session's
chat holds exactly its own questions in order; extractive answers must equal a one-at-a-time
replay word for word. Also measured: /status and an extractive answer while the local model
loads, and how soon a waiting session starts after the session holding the model is cancelled.

    python -m bench.load [--sessions 8] [--questions 10] [--answerers extractive,local] [--quick]

A bench section too: `run(ctx)` and `markdown(result)` as in the `assistant bench` runner.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SESSIONS = 8
QUESTIONS = 10
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
QUESTION_SET = ROOT / "data" / "questions" / "sample.jsonl"
WAITING = "ahead of you"


@dataclass
class Asked:
    """One question as a session saw it."""

    session: int
    question: str
    k: int
    started: float = 0.0  # time.perf_counter() when it was submitted
    first_s: float | None = None  # to the first text on screen (draft or final)
    final_s: float | None = None
    places: list[int] = field(default_factory=list)  # queue places shown ("2 ahead of you")
    answer: dict[str, Any] | None = None
    error: str = ""


# -- serving ----------------------------------------------------------------------------
@contextmanager
def serve(settings: Any) -> Iterator[tuple[str, Any]]:
    """The real chat window on a free loopback port: (url, its Assistants)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ui.app import Assistants, build_app, launch

    assistants = Assistants(settings)
    app = build_app(settings, assistants)
    url = launch(app, settings, host="127.0.0.1", port=_free_port(), block=False)
    try:
        yield url, assistants
    finally:
        app.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(url: str, work: Path) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=str(work / "downloads"))


def prepare(work: Path, settings: Any, corpus: Path = CORPUS) -> Any:
    """Index `corpus` into `work`/home; returns settings for it (the local model read in place)."""
    from assistant.answering.local_model import local_model_path, unavailable
    from index.embed import make_embedder
    from index.ingest import run_index

    model = None
    if unavailable(settings) is None:
        model = local_model_path(settings)  # read where it is; nothing is written there
    index = settings.index.with_(home=work / "home", chroma_host=None)
    run_index(corpus, index, make_embedder(index.embed_model))
    return settings.with_(index=index, answerer="extractive", local_model=model)


# -- asking -----------------------------------------------------------------------------
def ask(session: Any, asked: Asked, answerer: str) -> list[dict[str, Any]]:
    """Ask through /chat, timing what the user sees; returns the chat's final messages."""
    started = asked.started = time.perf_counter()
    messages: list[dict[str, Any]] = []
    try:
        job = session.submit(asked.question, answerer, asked.k, [], api_name="/chat")
        for output in job:
            messages, _, answer = output
            shown = _text(messages[-1]) if messages else ""
            if WAITING in shown:
                asked.places.append(_place(shown))
            elif asked.first_s is None and (answer is not None or _has_text(shown)):
                asked.first_s = time.perf_counter() - started
            if answer is not None:
                asked.answer = answer
        asked.final_s = time.perf_counter() - started
        if asked.answer is None:
            asked.error = "no answer: " + (_text(messages[-1])[:200] if messages else "nothing shown")
    except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
        asked.error = f"{type(exc).__name__}: {exc}"
    return messages


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def _has_text(shown: str) -> bool:
    return "draft" in shown and "Searching…" not in shown


def _place(shown: str) -> int:
    before = shown.split(WAITING)[0].split(":")[-1].strip()
    return int(before) if before.isdigit() else -1


def questions_for(count_sessions: int, per_session: int, path: Path = QUESTION_SET) -> list[list[str]]:
    """Standalone questions of the sample set; at each step every session asks a different one."""
    pool = [q["question"] for q in map(json.loads, path.read_text().splitlines()) if not q.get("history")]
    return [[pool[(s * per_session + i) % len(pool)] for i in range(per_session)] for s in range(count_sessions)]


def run_sessions(url: str, work: Path, answerer: str, plan: list[list[str]]) -> tuple[list[Asked], list[str], float]:
    """All sessions at once; (every question asked, cross-talk problems found, wall seconds)."""
    asked: list[list[Asked]] = [[Asked(s, q, k=3 + s % 4) for q in qs] for s, qs in enumerate(plan)]
    chats: list[list[dict[str, Any]]] = [[] for _ in plan]
    clients = [client(url, work) for _ in plan]  # connected first: the run starts together
    barrier = threading.Barrier(len(plan))

    def session(s: int) -> None:
        barrier.wait()
        for item in asked[s]:
            chats[s] = ask(clients[s], item, answerer) or chats[s]

    started = time.perf_counter()
    threads = [threading.Thread(target=session, args=(s,), daemon=True) for s in range(len(plan))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    flat = [a for items in asked for a in items]
    return flat, cross_talk(asked, chats), wall


def cross_talk(asked: list[list[Asked]], chats: list[list[dict[str, Any]]]) -> list[str]:
    """Problems where an answer or a history is not its own session's (see the module doc)."""
    problems = []
    for s, items in enumerate(asked):
        for item in items:
            answer = item.answer
            if answer is None:
                continue
            if answer["question"] != item.question:
                problems.append(f"session {s}: asked {item.question!r}, answer is for {answer['question']!r}")
            retrieved = {p["doc_id"] for p in answer["passages"]}
            if any(c["doc_id"] not in retrieved for c in answer["citations"]):
                problems.append(f"session {s}: {item.question!r} cites a passage it did not retrieve")
            if len(answer["passages"]) > item.k:
                problems.append(f"session {s}: {len(answer['passages'])} passages for k={item.k}")
        asked_here = [_plain(m) for m in chats[s] if m.get("role") == "user"]
        if asked_here != [i.question for i in items]:
            problems.append(f"session {s}: its chat holds other questions: {asked_here[:3]}…")
    return problems


def _plain(message: dict[str, Any]) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", _text(message))).strip()


def replay_differences(assistants: Any, asked: list[Asked], plan: list[list[str]]) -> list[str]:
    """Extractive answers given under load that differ from the same session replayed alone."""
    bot = assistants.get("extractive")
    by_session: dict[int, list[Asked]] = {}
    for item in asked:
        by_session.setdefault(item.session, []).append(item)
    problems = []
    for s, items in by_session.items():
        history: list[dict[str, str]] = []
        for item in items:
            alone = bot.ask(item.question, history=list(history), k=item.k)
            said = alone.text.split("\n", 1)[0] if alone.abstained else alone.text
            history += [{"role": "user", "content": item.question}, {"role": "assistant", "content": said}]
            if item.answer is not None and item.answer["text"] != alone.text:
                problems.append(f"session {s}: {item.question!r} answered differently under load")
    return problems


# -- the local model's extra checks -----------------------------------------------------------
def while_loading(url: str, work: Path, assistants: Any, question: str) -> dict[str, Any]:
    """Seconds for /status and for an extractive answer while the local model loads."""
    loading = threading.Thread(target=assistants.warm_up, args=("local",), daemon=True)
    started = time.perf_counter()
    loading.start()
    session = client(url, work)
    time.sleep(0.2)  # the warm-up has taken the model's queue
    t0 = time.perf_counter()
    session.predict(api_name="/status")
    status_s = time.perf_counter() - t0
    item = Asked(0, question, k=6)
    ask(session, item, "extractive")
    still_loading = loading.is_alive()
    loading.join()
    return {
        "status_s": round(status_s, 3),
        "extractive_final_s": round(item.final_s or -1, 3),
        "extractive_error": item.error,
        "model_load_s": round(time.perf_counter() - started, 2),
        "answered_before_the_model_was_ready": still_loading,
    }


def abandoned(url: str, work: Path, questions: Sequence[str]) -> dict[str, Any]:
    """A session holding the model is cancelled (its stream closed) while another waits: how soon
    the waiting one gets text after the cancel."""
    first, second = client(url, work), client(url, work)
    holder = first.submit(questions[0], "local", 6, [], api_name="/chat")
    deadline = time.monotonic() + 300
    for output in holder:  # until the holder streams its draft
        if _has_text(_text(output[0][-1])) or time.monotonic() > deadline:
            break
    waiter = Asked(1, questions[1], k=6)
    thread = threading.Thread(target=ask, args=(second, waiter, "local"), daemon=True)
    thread.start()
    while not waiter.places and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    cancelled = time.perf_counter()
    holder.cancel()
    thread.join()
    text_at = waiter.started + waiter.first_s if waiter.first_s is not None else None
    return {
        "waiter_saw_place": waiter.places[:1],
        "waiter_first_text_after_cancel_s": round(text_at - cancelled, 2) if text_at else None,
        "waiter_error": waiter.error,
    }


# -- figures ----------------------------------------------------------------------------
def _pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def summary(answerer: str, asked: list[Asked], problems: list[str], wall: float) -> dict[str, Any]:
    firsts = [a.first_s for a in asked if a.first_s is not None and not a.error]
    finals = [a.final_s for a in asked if a.final_s is not None and not a.error]
    places = [p for a in asked for p in a.places]
    return {
        "answerer": answerer,
        "sessions": len({a.session for a in asked}),
        "questions": len(asked),
        "errors": [f"session {a.session}: {a.question!r}: {a.error}" for a in asked if a.error],
        "first_text_p50_s": _pct(firsts, 0.5),
        "first_text_p95_s": _pct(firsts, 0.95),
        "final_p50_s": _pct(finals, 0.5),
        "final_p95_s": _pct(finals, 0.95),
        "final_mean_s": round(statistics.fmean(finals), 2) if finals else None,
        "wall_s": round(wall, 1),
        "answers_per_minute": round(60 * len(finals) / wall, 1) if wall else None,
        "abstained": sum(1 for a in asked if a.answer and a.answer["abstained"]),
        "answered_by": sorted({a.answer["answerer"] for a in asked if a.answer}),
        "answers_shown_a_queue_place": sum(1 for a in asked if a.places),
        "largest_place_shown": max(places, default=0),
        "cross_talk": problems,
    }


def run_answerer(
    settings: Any, work: Path, answerer: str, plan: list[list[str]], say: Callable[[str], Any]
) -> dict[str, Any]:
    with serve(settings) as (url, assistants):
        extra: dict[str, Any] = {}
        if answerer == "local":
            say("load: /status and an extractive answer while the local model loads")
            extra["while_loading"] = while_loading(url, work, assistants, plan[0][0])
        else:
            assistants.warm_up("extractive")
        say(f"load: {len(plan)} sessions x {len(plan[0])} questions, {answerer}")
        asked, problems, wall = run_sessions(url, work, answerer, plan)
        if answerer == "extractive":
            problems += replay_differences(assistants, asked, plan)
        result = summary(answerer, asked, problems, wall)
        if answerer == "local":
            say("load: cancelling the session that holds the model")
            result["abandoned"] = abandoned(url, work, plan[1])
        return {**result, **extra}


def run(ctx: Any, sessions: int = SESSIONS, per_session: int = QUESTIONS) -> dict[str, Any]:
    """The bench section: every answerer of ctx.answerers that can run here."""
    from assistant.answering.local_model import unavailable

    sessions, per_session = (2, 2) if ctx.quick else (sessions, per_session)
    settings = prepare(ctx.work_dir, ctx.settings, ctx.corpus)
    plan = questions_for(sessions, per_session, ctx.questions)
    results: dict[str, Any] = {"sessions": sessions, "questions_per_session": per_session, "runs": [], "skipped": {}}
    for answerer in ctx.answerers:
        why = unavailable(ctx.settings) if answerer == "local" else None
        if answerer not in ("extractive", "local") or why:
            results["skipped"][answerer] = why or "not measured under load"
            continue
        results["runs"].append(run_answerer(settings, ctx.work_dir, answerer, plan, ctx.progress))
    return results


def markdown(result: dict[str, Any]) -> str:
    rows = []
    for r in result["runs"]:
        rows.append(
            f"| {r['answerer']} | {r['sessions']}x{r['questions'] // max(r['sessions'], 1)} | "
            f"{r['first_text_p50_s']} / {r['first_text_p95_s']} | {r['final_p50_s']} / {r['final_p95_s']} | "
            f"{len(r['errors'])} | {len(r['cross_talk'])} | {r['answers_per_minute']} | "
            f"{r['answers_shown_a_queue_place']} (max {r['largest_place_shown']}) |"
        )
    lines = [
        "## Load",
        "",
        "| answerer | sessions x questions | first text p50 / p95 (s) | final p50 / p95 (s) | errors | "
        "cross-talk | answers/min | answers shown a queue place |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    for r in result["runs"]:
        if "while_loading" in r:
            w = r["while_loading"]
            lines += [
                "",
                f"While the local model loaded ({w['model_load_s']} s): /status {w['status_s']} s, "
                f"an extractive answer {w['extractive_final_s']} s (before the model was ready: "
                f"{w['answered_before_the_model_was_ready']}).",
            ]
        if "abandoned" in r:
            a = r["abandoned"]
            lines += [
                "",
                f"A waiting session got text {a['waiter_first_text_after_cancel_s']} s after the session "
                f"holding the model was cancelled (it was shown place {a['waiter_saw_place']}).",
            ]
        for problem in r["errors"][:5] + r["cross_talk"][:5]:
            lines.append(f"- {r['answerer']}: {problem}")
    for name, why in result["skipped"].items():
        lines.append(f"- {name} not measured: {why}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.load`: print the figures as JSON and Markdown."""
    from types import SimpleNamespace

    from dotenv import load_dotenv

    from assistant.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--answerers", default="extractive,local")
    parser.add_argument("--quick", action="store_true", help="2 sessions x 2 questions")
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--questions", type=int, default=QUESTIONS, help="per session")
    parser.add_argument("--out", type=Path, help="also write the result JSON here")
    args = parser.parse_args(argv)
    load_dotenv(Path.cwd() / ".env", override=False)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        ctx = SimpleNamespace(  # what the bench runner's BenchContext gives a section
            settings=Settings.from_env(os.environ),
            corpus=CORPUS,
            questions=QUESTION_SET,
            work_dir=Path(scratch),
            answerers=tuple(args.answerers.split(",")),
            quick=args.quick,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
        result = run(ctx, args.sessions, args.questions)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
