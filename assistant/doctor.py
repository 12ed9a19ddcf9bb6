"""`assistant doctor`: check each moving part and say how to fix what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from assistant.settings import Settings
from index.errors import AssistantError

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_bundled(label: str, name: str) -> Check:
    from index.models import resolve, verify

    try:
        model = resolve(name)
        verify(model, full=True)
    except AssistantError as exc:
        return Check(label, "fail", str(exc), "reinstall with `make install`")
    return Check(label, "ok", f"{name}: {model.onnx_path} (sha256 verified)")


def check_embedding_model(settings: Settings) -> Check:
    from index.models import MODEL_NAMES

    name = settings.index.embed_model
    if name not in MODEL_NAMES:
        return Check("embedding model", "ok", f"{name} (no model files needed)")
    return _check_bundled("embedding model", name)


def check_reranker(settings: Settings) -> Check:
    from assistant.retrieval.rerank import RERANKER

    return _check_bundled("reranker", RERANKER)


def check_tokenizer(settings: Settings) -> Check:
    from index.tokens import count_tokens, tiktoken_cache_dir

    try:
        count_tokens("offline check")
    except AssistantError as exc:
        return Check("tiktoken cache", "fail", str(exc), "reinstall llama-index-core (it carries the BPE files)")
    return Check("tiktoken cache", "ok", f"cl100k_base from {tiktoken_cache_dir()}")


def check_store(settings: Settings) -> Check:
    from index.embed import make_embedder
    from index.ingest import fingerprint
    from index.store import ChunkStore

    try:
        store = ChunkStore.open(settings.index)
        if not store.exists():
            return Check("store", "warn", f"{settings.index.store_label}: no index yet", "run `assistant index PATH`")
        store.check_fingerprint(fingerprint(settings.index, make_embedder(settings.index)), claim=False)
        count = store.count()
    except AssistantError as exc:
        return Check("store", "fail", str(exc), _store_fix(exc))
    if count == 0:
        return Check("store", "warn", f"{settings.index.store_label}: index is empty", "run `assistant index PATH`")
    return Check("store", "ok", f"{settings.index.store_label}: {count} chunks, settings match")


def _store_fix(exc: AssistantError) -> str:
    from index.errors import IndexMismatchError

    if isinstance(exc, IndexMismatchError):
        return "run `assistant index PATH --rebuild`"
    return "start the Chroma server or unset CHROMA_HOST" if "server" in str(exc) else "check ASSISTANT_HOME"


def check_llm(settings: Settings) -> Check:
    """The OpenAI-compatible server when configured; otherwise the local model."""
    if settings.openai_configured:
        return _probe_openai(settings)
    if settings.answerer == "openai":
        return Check(
            "llm",
            "fail",
            "ASSISTANT_ANSWERER=openai but no server is configured",
            "set ASSISTANT_OPENAI_BASE_URL and ASSISTANT_OPENAI_MODEL in .env",
        )
    if settings.answerer == "extractive":
        return Check("llm", "ok", "ASSISTANT_ANSWERER=extractive: no LLM needed")
    return check_local(settings)


def check_local(settings: Settings) -> Check:
    """llama-cpp-python importable and the GGUF present (or its parts installed)."""
    from assistant.answering.local_model import bundled_ready, unavailable

    reason = unavailable(settings)
    if reason is not None:
        status: Status = "fail" if settings.answerer == "local" else "warn"
        return Check("llm", status, f"{reason}; answers are extractive", "run `make install-local`")
    if settings.local_model is not None:
        return Check("llm", "ok", f"local model {settings.local_model} via llama-cpp-python")
    joined = "" if bundled_ready(settings) else " (its parts are joined on the first question)"
    return Check("llm", "ok", f"local model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (bundled) via llama-cpp-python{joined}")


def check_judge(settings: Settings) -> Check:
    """ASSISTANT_JUDGE=local needs the local model; off needs nothing."""
    if settings.judge == "off":
        return Check("judge", "ok", "ASSISTANT_JUDGE=off: the decision uses the pipeline's own signals")
    from assistant.answering.local_model import unavailable

    reason = unavailable(settings)
    if reason is not None:
        return Check("judge", "fail", f"ASSISTANT_JUDGE=local, but {reason}", "run `make install-local`")
    return Check("judge", "ok", "ASSISTANT_JUDGE=local: the local model reads the evidence before each decision")


def _probe_openai(settings: Settings) -> Check:
    import httpx

    url = f"{settings.openai_base_url}/models"
    headers = {"Authorization": f"Bearer {settings.openai_api_key.value}"} if settings.openai_api_key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=min(settings.openai_timeout, 10.0))
    except httpx.HTTPError as exc:
        return Check("llm", "fail", f"cannot reach {url}: {exc}", "start the server or fix ASSISTANT_OPENAI_BASE_URL")
    if response.status_code in (401, 403):
        return Check(
            "llm", "fail", f"{url} refused the key (HTTP {response.status_code})", "set ASSISTANT_OPENAI_API_KEY"
        )
    if response.status_code >= 400:
        return Check("llm", "warn", f"{url} answered HTTP {response.status_code}", "check the base URL ends with /v1")
    return Check("llm", "ok", f"{settings.openai_base_url} reachable; model {settings.openai_model}")


def check_ocr(settings: Settings) -> Check:
    """Tesseract reads scans and pictures; without it only those files are skipped (a warning)."""
    from index.ocr import TesseractEngine

    engine, reason = TesseractEngine.find(settings.index.ocr_languages)
    if engine is None:
        return Check("ocr", "warn", f"{reason}; scanned PDFs and pictures are skipped", "run `make install-ocr`")
    return Check("ocr", "ok", engine.name)


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_embedding_model,
    check_reranker,
    check_tokenizer,
    check_store,
    check_llm,
    check_judge,
    check_ocr,
)


def run_checks(settings: Settings) -> list[Check]:
    """Every check, each isolated: one failing never hides the others."""
    results = []
    for check in CHECKS:
        try:
            results.append(check(settings))
        except Exception as exc:  # a doctor must report, not crash
            results.append(Check(check.__name__.removeprefix("check_"), "fail", f"{type(exc).__name__}: {exc}"))
    return results


def format_checks(checks: list[Check]) -> str:
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    lines = []
    for check in checks:
        lines.append(f"[{marks[check.status]}] {check.name}: {check.detail}")
        if check.fix and check.status != "ok":
            lines.append(f"       fix: {check.fix}")
    return "\n".join(lines)
