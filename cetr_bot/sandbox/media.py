"""Stored files and the fake media a simulated user can send."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MEDIA_KINDS", "StoredFile", "guess_mime", "user_media"]

MEDIA_KINDS = ("sticker", "photo", "location", "voice", "document", "contact")


@dataclass
class StoredFile:
    """A file the Bot API can hand out via getFile and /file/bot<token>/<path>."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str

    def document(self) -> dict[str, Any]:
        """The Document object Telegram returns for this file."""
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file(self) -> dict[str, Any]:
        """The File object returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


def guess_mime(file_name: str | None, declared: str | None) -> str:
    """Telegram derives the MIME type mostly from the file name."""
    if declared and declared != "application/octet-stream":
        return declared
    guessed = mimetypes.guess_type(file_name or "")[0]
    return guessed or "application/octet-stream"


# make_file(folder, file_name, mime_type, data) -> StoredFile
FileMaker = Callable[[str, str, str, bytes], StoredFile]


def user_media(kind: str, make_file: FileMaker, user: dict[str, Any]) -> dict[str, Any]:
    """Message fields for a user-sent media message of the given kind.

    make_file(kind, file_name, mime, data) registers a downloadable StoredFile and
    returns it, so a bot calling getFile on user media works as on Telegram.
    """
    if kind == "sticker":
        f = make_file("stickers", "sticker.webp", "image/webp", b"RIFF\0\0\0\0WEBP")
        return {
            "sticker": {
                **_ids(f),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        }
    if kind == "photo":
        small = make_file("photos", "photo_s.jpg", "image/jpeg", b"\xff\xd8small")
        large = make_file("photos", "photo_l.jpg", "image/jpeg", b"\xff\xd8large-photo")
        return {
            "photo": [
                {**_ids(small), "width": 90, "height": 90, "file_size": len(small.data)},
                {**_ids(large), "width": 800, "height": 800, "file_size": len(large.data)},
            ]
        }
    if kind == "voice":
        f = make_file("voice", "voice.oga", "audio/ogg", b"OggS-voice")
        return {
            "voice": {**_ids(f), "duration": 2, "mime_type": "audio/ogg", "file_size": len(f.data)}
        }
    if kind == "document":
        f = make_file("documents", "notes.pdf", "application/pdf", b"%PDF-1.4 sandbox")
        return {"document": f.document()}
    if kind == "location":
        return {"location": {"latitude": 51.5074, "longitude": -0.1278}}
    if kind == "contact":
        return {
            "contact": {
                "phone_number": "+447700900123",
                "first_name": user.get("first_name", "Test"),
                "user_id": user["id"],
            }
        }
    raise ValueError(f"unknown media kind {kind!r}; expected one of {', '.join(MEDIA_KINDS)}")


def _ids(f: StoredFile) -> dict[str, str]:
    return {"file_id": f.file_id, "file_unique_id": f.file_unique_id}
