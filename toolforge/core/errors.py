"""The exception root of toolforge. Each error inherits the built-in it refines, so callers can
catch either; messages name the fix."""

from __future__ import annotations


class ToolforgeError(Exception):
    """Base of every error toolforge raises on purpose."""


class ConfigError(ToolforgeError, ValueError):
    """Bad user input or configuration; the message says what to change."""


class StoreError(ToolforgeError, RuntimeError):
    """The store cannot be opened or written."""


class LLMError(ToolforgeError, RuntimeError):
    """A model call failed for good (after bounded retries)."""


class AuthError(LLMError):
    """The provider refused the credentials (401/403): fatal for the run, never retried — every
    later call would be refused the same way."""


class BudgetExceeded(LLMError):
    """The run's spend or token budget is used up; the attempt ends with this reason."""


class StructuredOutputError(LLMError):
    """A structured reply stayed invalid after the repair attempt; `raw` keeps the model's text."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw
