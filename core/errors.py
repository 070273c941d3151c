"""One root exception; children separate "bad message" from "retry later" from "cannot run"."""


class KefuError(Exception):
    """Root of every error this project raises on purpose."""


class BadMessage(KefuError):
    """The input itself is wrong; retrying cannot help, so it becomes a dead letter."""


class RetryLater(KefuError):
    """A dependency is overloaded or briefly away; the same work may succeed later."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(KefuError):
    """A service we need cannot be reached or started; the CLI reports it in one line."""


class StoreLocked(ServiceUnavailable):
    """Another process owns the embedded store directory."""


class ConfigError(KefuError):
    """The configuration is invalid."""
