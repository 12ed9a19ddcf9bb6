"""Question answering over your documents with verified citations.

from assistant import Assistant
answer = Assistant.from_env().ask("How many US troops are in Iraq?")
print(answer.text, answer.citations)
"""

from assistant.api import Assistant, ChatSession
from assistant.errors import LLMError, QuestionError
from assistant.prompts import NOT_FOUND
from assistant.settings import Settings
from assistant.types import Answer, Citation, Evidence, Passage
from index.errors import AssistantError, ConfigError, IndexMissingError, StoreError

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
