"""The values of the keys a run reads, and one way to scrub them from anything we keep or print.

A key's value is registered when it is read (`LLMConfig.api_key`, or up front for every
`api_key_env` a config names); from then on the store, the LLM client, exports and log records
replace it with `***`. A provider may echo a key in a successful reply, so this is not left to
error paths: everything written goes through `scrub`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "***"
# Shorter values would mask ordinary words; a real key is far longer.
MIN_SECRET_LEN = 8

_secrets: set[str] = set()
_lock = threading.Lock()
_log_factory_installed = False


def register(value: str | None) -> None:
    """Remember `value` as a secret (ignored when empty or too short to be a key)."""
    if not value or len(value) < MIN_SECRET_LEN:
        return
    with _lock:
        _secrets.add(value)
    _install_log_scrub()


def registered() -> bool:
    return bool(_secrets)


def scrub(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    if not _secrets:
        return text
    for secret in tuple(_secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_value(value: Any) -> Any:
    """Strings, dict keys and values, list items scrubbed, at any depth; the rest as it is."""
    if not _secrets:
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_value(k): scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(v) for v in value)
    return value


def _install_log_scrub() -> None:
    """Scrub every log record as it is made (a record factory sees records of every logger,
    including third-party ones, before any handler formats them)."""
    global _log_factory_installed
    with _lock:
        if _log_factory_installed:
            return
        _log_factory_installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _secrets:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
            record.msg, record.args = scrub(message), None
        return record

    logging.setLogRecordFactory(factory)
