"""The product's exception tree; every message says what happened and what to do next.

    AssistantError
     +-- ConfigError          a setting is missing or malformed
     +-- ModelError           model files missing, corrupt or unloadable
     +-- StoreError           Chroma unreachable or failing
     |    +-- IndexMissingError    nothing indexed yet
     |    +-- IndexMismatchError   index built with other settings (fingerprint)
     |    +-- IndexBusyError       another process is writing the index
     +-- DocumentError        one file cannot be read (reported as a skip, never fatal)
     +-- (assistant.errors adds the answering side: LLMError, QuestionError, ...)

Third-party exceptions are translated where they enter (`raise ... from exc`).
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(AssistantError):
    """A setting is missing or malformed."""


class ModelError(AssistantError):
    """A local model's files are missing, corrupt or cannot be loaded."""


class StoreError(AssistantError):
    """The vector store is unreachable or failed."""


class IndexMissingError(StoreError):
    """There is no index yet."""


class IndexMismatchError(StoreError):
    """The index was built with settings that shape vectors differently."""


class IndexBusyError(StoreError):
    """Another process holds the index write lock."""


class DocumentError(AssistantError):
    """One file cannot be turned into text; the run skips it with this reason."""
