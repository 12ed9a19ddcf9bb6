"""The one settings object, built once from the environment and passed down explicitly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from index.errors import ConfigError
from index.settings import IndexSettings

ANSWERERS = ("auto", "extractive", "local", "openai")
JUDGES = ("off", "local")  # ASSISTANT_JUDGE: the answerability judge (assistant/answering/judge.py)
DEFAULT_CORPUS = "data/corpus"
DEFAULT_UI_HOST = "127.0.0.1"  # loopback only: the UI is not reachable from other machines
DEFAULT_UI_PORT = 7860  # Gradio's usual port


@dataclass(frozen=True)
class Secret:
    """A value that never shows in a repr, a log line or a traceback."""

    value: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return "Secret('********')" if self.value else "Secret('')"

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see .env.example for each variable and its default."""

    index: IndexSettings = field(default_factory=IndexSettings)
    corpus: Path = Path(DEFAULT_CORPUS)
    answerer: str = "auto"
    openai_base_url: str | None = None
    openai_api_key: Secret = field(default_factory=lambda: Secret(""))
    openai_model: str | None = None
    openai_timeout: float = 60.0
    local_model: Path | None = None  # a GGUF file; None means the bundled default
    # Whether an LLM's "not in the documents" ends the answer. Off by default: the bundled model
    # refused answerable questions more often than unanswerable ones (docs/choices.md), and the
    # calibrated decision has already judged the evidence. Same for a model local or on a server.
    trust_refusals: bool = False
    # The local LLM reads the best evidence before the decision (ASSISTANT_JUDGE=local): better
    # separation on outside questions, a small gain at the fitted threshold, 4-5 s a question.
    judge: str = "off"
    ui_host: str = DEFAULT_UI_HOST
    ui_port: int = DEFAULT_UI_PORT
    # "user:password", or several users "ann:pw1,bob:pw2" (each has their own conversations); empty = no login
    ui_auth: Secret = field(default_factory=lambda: Secret(""))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build from a mapping such as os.environ; raise ConfigError on bad values."""
        answerer = env.get("ASSISTANT_ANSWERER", "").strip().lower() or "auto"
        if answerer not in ANSWERERS:
            raise ConfigError(f"ASSISTANT_ANSWERER={answerer!r} is not one of: {', '.join(ANSWERERS)}")
        local = env.get("ASSISTANT_LOCAL_MODEL", "").strip()
        judge = env.get("ASSISTANT_JUDGE", "").strip().lower() or "off"
        if judge not in JUDGES:
            raise ConfigError(f"ASSISTANT_JUDGE={judge!r} is not one of: {', '.join(JUDGES)}")
        return cls(
            index=IndexSettings.from_env(env),
            corpus=Path(env.get("ASSISTANT_CORPUS", "").strip() or DEFAULT_CORPUS).expanduser(),
            answerer=answerer,
            openai_base_url=env.get("ASSISTANT_OPENAI_BASE_URL", "").strip().rstrip("/") or None,
            openai_api_key=Secret(env.get("ASSISTANT_OPENAI_API_KEY", "").strip()),
            openai_model=env.get("ASSISTANT_OPENAI_MODEL", "").strip() or None,
            openai_timeout=_seconds(env, "ASSISTANT_OPENAI_TIMEOUT", 60.0),
            local_model=Path(local).expanduser() if local else None,
            trust_refusals=_flag(env, "ASSISTANT_TRUST_REFUSALS", False),
            judge=judge,
            ui_host=env.get("ASSISTANT_UI_HOST", "").strip() or DEFAULT_UI_HOST,
            ui_port=_port(env, "ASSISTANT_UI_PORT", DEFAULT_UI_PORT),
            ui_auth=_auth(env, "ASSISTANT_AUTH"),
        )

    @property
    def ui_credentials(self) -> list[tuple[str, str]] | None:
        """[(user, password), ...] for the UI login, or None when no login is configured."""
        if not self.ui_auth:
            return None
        return [_user_password(pair) for pair in self.ui_auth.value.split(",")]

    @property
    def openai_configured(self) -> bool:
        return bool(self.openai_base_url and self.openai_model)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be positive")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not true or false")


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"{name}={raw!r} is not a port number (1-65535)")
    return int(raw)


def _user_password(pair: str) -> tuple[str, str]:
    user, _, password = pair.strip().partition(":")
    return user, password


def _auth(env: Mapping[str, str], name: str) -> Secret:
    """user:password, or comma-separated pairs for several users (a password cannot hold a comma)."""
    raw = env.get(name, "").strip()
    pairs = [_user_password(p) for p in raw.split(",")] if raw else []
    if any(not (user and password) for user, password in pairs):
        raise ConfigError(f"{name} must look like user:password or ann:pw1,bob:pw2 (both parts non-empty)")  # no value
    if len({user for user, _ in pairs}) < len(pairs):
        raise ConfigError(f"{name} names a user twice; give each user one password")
    return Secret(raw)
