"""Which failures are worth another attempt, and how long to wait before it."""

from __future__ import annotations

import email.utils
import functools
import random
import time
from typing import Any

from toolforge.core.llm._litellm import litellm

MAX_RETRY_AFTER_S = 300.0


@functools.cache
def retryable() -> tuple[type[BaseException], ...]:
    """litellm's retryable exception types (read on first use: litellm is imported lazily)."""
    return (
        litellm.exceptions.RateLimitError,
        litellm.exceptions.InternalServerError,
        litellm.exceptions.ServiceUnavailableError,
        litellm.exceptions.BadGatewayError,
        litellm.exceptions.Timeout,
        litellm.exceptions.APIConnectionError,
    )


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, retryable()):
        return True
    status = getattr(exc, "status_code", None)
    return (
        isinstance(exc, litellm.exceptions.APIError)
        and isinstance(status, int)
        and (status == 429 or status >= 500)
    )


def is_auth_error(exc: BaseException) -> bool:
    """The provider refused the credentials: no retry can help, and no later call will fare better."""
    if isinstance(exc, litellm.exceptions.AuthenticationError | litellm.exceptions.PermissionDeniedError):
        return True
    return getattr(exc, "status_code", None) in (401, 403)


def retry_after_s(exc: BaseException) -> float | None:
    """The server's requested wait: `retry-after-ms`, else `Retry-After` (seconds or HTTP date)."""
    headers: Any = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return min(MAX_RETRY_AFTER_S, max(0.0, float(ms) / 1000.0))
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return min(MAX_RETRY_AFTER_S, max(0.0, float(value)))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value).timestamp()
            return min(MAX_RETRY_AFTER_S, max(0.0, when - time.time()))
    except (TypeError, ValueError):
        return None


def backoff_s(attempt: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half the step fixed, half random."""
    step = min(max_s, base_s * (2**attempt))
    return step / 2 + rng.uniform(0, step / 2)
