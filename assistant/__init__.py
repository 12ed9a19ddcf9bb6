"""Question answering over your documents with verified citations.

from assistant import Assistant
answer = Assistant.from_env().ask("How many US troops are in Iraq?")
print(answer.text, answer.citations)

Names are imported on first use, so `assistant index` does not pay for numpy and the models'
code when it has nothing to answer.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answering.prompts import NOT_FOUND
    from assistant.api import Assistant, ChatSession
    from assistant.errors import LLMError, QuestionError
    from assistant.settings import Settings
    from assistant.types import Answer, Citation, Evidence, Passage
    from index.errors import AssistantError, ConfigError, IndexMissingError, StoreError

_HOMES = {
    "Assistant": "assistant.api",
    "ChatSession": "assistant.api",
    "LLMError": "assistant.errors",
    "QuestionError": "assistant.errors",
    "NOT_FOUND": "assistant.answering.prompts",
    "Settings": "assistant.settings",
    "Answer": "assistant.types",
    "Citation": "assistant.types",
    "Evidence": "assistant.types",
    "Passage": "assistant.types",
    "AssistantError": "index.errors",
    "ConfigError": "index.errors",
    "IndexMissingError": "index.errors",
    "StoreError": "index.errors",
}

__all__ = [
    "NOT_FOUND",
    "Answer",
    "Assistant",
    "AssistantError",
    "ChatSession",
    "Citation",
    "ConfigError",
    "Evidence",
    "IndexMissingError",
    "LLMError",
    "Passage",
    "QuestionError",
    "Settings",
    "StoreError",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
