"""Exceptions shared by the sandbox modules."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "SandboxError"]


class ApiError(Exception):
    """A Bot API failure, rendered exactly like Telegram's error responses."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class SandboxError(ValueError):
    """Misuse of the simulated-user side (answered with HTTP 400 over HTTP)."""
