"""The sandbox package's exceptions. Each also inherits the matching built-in, so callers can catch either."""

from __future__ import annotations


class SandboxError(Exception):
    """Root of every error raised by `sandbox/`."""


class ImageMissingError(SandboxError, LookupError):
    """The sandbox image is not present locally (we never pull)."""


class EngineUnavailableError(SandboxError, ConnectionError):
    """No container engine answered (the Docker socket is missing or the daemon is down)."""


class SandboxBrokenError(SandboxError, RuntimeError):
    """The sandbox stopped answering or died; it has been destroyed and must not be reused."""


class PoolExhaustedError(SandboxError, TimeoutError):
    """No sandbox became free before the lease deadline."""


class CodeTaskError(SandboxError, ValueError):
    """A code task on disk is malformed; the message names the file and the fix."""


class IsolationUnavailableError(SandboxError, RuntimeError):
    """The local backend cannot isolate untrusted code here and was not told to run it anyway."""
