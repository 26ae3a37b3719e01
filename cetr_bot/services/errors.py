"""Errors a service raises; each names a template in messages/errors/."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, Any] = params


class NotAllowed(ServiceError):
    def __init__(self, key: str = "not_allowed", **params: Any) -> None:
        super().__init__(key, **params)


class NotFound(ServiceError):
    def __init__(self, key: str = "not_found", **params: Any) -> None:
        super().__init__(key, **params)


class Invalid(ServiceError):
    """Input that cannot be used; the user is asked again kindly."""
