"""The answering side of the error tree (the root and the index side are in index.errors).

AssistantError
 +-- QuestionError   the question cannot be asked as given (empty, too long)
 +-- LLMError        an LLM answerer is unreachable, misconfigured, timed out or unusable
 |    +-- LLMTimeoutError  it did not answer in time (the answer falls back to extractive)
 +-- QuestionSetError  a question set for `assistant eval` has bad lines (each one named)
 +-- HistoryError    a saved conversation cannot be found, read or written
"""

from __future__ import annotations

from index.errors import AssistantError


class QuestionError(AssistantError):
    """The question cannot be asked as given."""


class LLMError(AssistantError):
    """An LLM answerer failed; the message says what to check."""


class LLMTimeoutError(LLMError):
    """The LLM did not answer within its timeout; the Assistant answers extractively instead."""


class QuestionSetError(AssistantError):
    """A question set cannot be loaded; the message names every bad line and field."""


class HistoryError(AssistantError):
    """A saved conversation cannot be found, read or written; the message says which and why."""
