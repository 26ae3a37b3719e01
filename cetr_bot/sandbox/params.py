"""Bot API request parameters: read from any encoding, coerced like Telegram does.

python-telegram-bot sends form or multipart bodies where every value is a string
and JSON-typed values (reply_markup, scope, ...) are JSON text; other clients send
a JSON body or a query string. Params hides those differences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import ApiError

__all__ = ["Params", "Upload", "read_params"]


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Typed access to request parameters, raising Telegram-style 400s."""

    def __init__(self, values: dict[str, Any], files: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.files = files or {}

    def loggable(self) -> dict[str, Any]:
        """Parameters for sandbox.calls: file contents replaced by a short summary."""
        logged = dict(self.values)
        for name, upload in self.files.items():
            logged[name] = {"filename": upload.filename, "size": len(upload.data)}
        return logged

    def get_text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)  # Telegram stringifies scalars
        raise ApiError(400, f'Bad Request: parameter "{name}" must be a String')

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    def get_flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str | None = None) -> Any:
        """A JSON-typed parameter, decoding it if it arrived as text."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            detail = error or f"can't parse {name} JSON object"
            raise ApiError(400, f"Bad Request: {detail}") from None

    def chat_id(self) -> int:
        """Private chats are addressed by numeric id; anything else is unknown."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            return int(str(value).strip())
        except ValueError:
            raise ApiError(400, "Bad Request: chat not found") from None

    def file(self, name: str) -> Upload | str | None:
        """An uploaded file (also via attach://) or a file_id/URL string."""
        if name in self.files:
            return self.files[name]
        value = self.get_text(name)
        if value and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value


async def read_params(request: web.Request) -> Params:
    """Merge the query string with a JSON, urlencoded or multipart body."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if not request.body_exists:
        return Params(values)
    if request.content_type == "application/json":
        body = await _json_body(request)
        values.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = Upload(value.filename, value.content_type, value.file.read())
            else:
                values[key] = value if isinstance(value, str) else bytes(value).decode()
    return Params(values, files)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "Bad Request: can't parse JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Bad Request: JSON object expected")
    return body
