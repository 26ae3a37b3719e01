"""Telegram-style parsing of formatted message text.

Mirrors the rules of Telegram's HTML parse mode (as implemented by tdlib) closely
enough that text rejected by Telegram is rejected here too, and computes the visible
text plus its entities so length limits are checked the way Telegram checks them
(visible text, counted in UTF-16 code units).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HtmlParseError",
    "ParsedText",
    "parse_html",
    "parse_text",
    "strip_html",
    "utf16_len",
]

# Tag name -> Telegram entity type. Anything else is "Unsupported start tag".
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

# The only character references Telegram understands.
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_MD_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")


class HtmlParseError(ValueError):
    """Text Telegram would refuse with "can't parse entities: ..."."""


@dataclass
class ParsedText:
    """Visible text (what the user sees) and its Telegram entities."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Length as Telegram counts it (UTF-16 code units)."""
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Telegram measures lengths and offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class _Open:
    tag: str
    begin: int  # character index of "<", for error messages
    start: int  # UTF-16 offset of the first enclosed visible character
    attrs: dict[str, str]
    language: str | None = None


class _HtmlParser:
    """Single-pass scanner modelled on tdlib's parse_html (same error wording)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 length of the visible text so far
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def error(self, message: str) -> HtmlParseError:
        return HtmlParseError(message)

    def byte_offset(self, index: int) -> int:
        # tdlib reports positions as UTF-8 byte offsets.
        return len(self.text[:index].encode("utf-8", "surrogatepass"))

    def parse(self) -> ParsedText:
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == "&":
                self.emit(self.entity())
            elif char == "<":
                self.tag()
            else:
                self.emit(char)
                self.i += 1
        if self.stack:
            tag = self.stack[-1].tag
            raise self.error(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def entity(self) -> str:
        """Decode one character reference at self.i; a bare "&" is an error."""
        match = _ENTITY_RE.match(self.text, self.i)
        decoded = _decode_entity(match.group(1)) if match else None
        if match is None or decoded is None:
            where = self.byte_offset(self.i)
            raise self.error(f'Character "&" must be escaped as "&amp;" at byte offset {where}')
        self.i = match.end()
        return decoded

    def tag(self) -> None:
        begin = self.i
        self.i += 1
        if self.i < len(self.text) and self.text[self.i] == "/":
            self.end_tag(begin)
        else:
            self.start_tag(begin)

    def start_tag(self, begin: int) -> None:
        name_start = self.i
        while (
            self.i < len(self.text)
            and not self.text[self.i].isspace()
            and (self.text[self.i] != ">")
        ):
            self.i += 1
        if self.i >= len(self.text):
            raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.text[name_start : self.i].lower()
        if name not in _TAG_ENTITY:
            where = self.byte_offset(begin)
            raise self.error(f'Unsupported start tag "{name}" at byte offset {where}')
        attrs = self.attributes(name, begin)
        self.i += 1  # skip ">"
        _check_required_attrs(name, attrs, self.byte_offset(begin))
        self.stack.append(_Open(name, begin, self.offset, attrs))

    def attributes(self, tag: str, begin: int) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while True:
            self.skip_spaces(begin)
            if self.text[self.i] == ">":
                return attrs
            match = _ATTR_NAME_RE.match(self.text, self.i)
            if match is None:
                where = self.byte_offset(begin)
                raise self.error(f'Empty attribute name in the tag "{tag}" at byte offset {where}')
            name = match.group(0).lower()
            self.i = match.end()
            self.skip_spaces(begin)
            if self.text[self.i] != "=":
                if tag == "blockquote" and name == "expandable":
                    attrs[name] = ""
                    continue
                where = self.byte_offset(begin)
                raise self.error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {where}'
                )
            self.i += 1
            self.skip_spaces(begin)
            attrs[name] = self.attribute_value(begin)

    def attribute_value(self, begin: int) -> str:
        quote = self.text[self.i]
        if quote in "\"'":
            end = self.text.find(quote, self.i + 1)
            if end < 0:
                raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            raw = self.text[self.i + 1 : end]
            self.i = end + 1
        else:
            start = self.i
            while self.i < len(self.text) and self.text[self.i] not in " \t\r\n>":
                self.i += 1
            raw = self.text[start : self.i]
        # Attribute values may use the same character references as text.
        return _ENTITY_RE.sub(lambda m: _decode_entity(m.group(1)) or m.group(0), raw)

    def skip_spaces(self, begin: int) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1
        if self.i >= len(self.text):
            raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")

    def end_tag(self, begin: int) -> None:
        close = self.text.find(">", self.i)
        if close < 0:
            raise self.error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        name = self.text[self.i + 1 : close].strip().lower()
        self.i = close + 1
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack[-1]
        if name != opened.tag:
            raise self.error(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close_entity(opened)

    def close_entity(self, opened: _Open) -> None:
        # <pre><code class="language-x"> sets the language of the pre block instead.
        lang_class = opened.attrs.get("class", "")
        in_pre = opened.tag == "code" and self.stack and self.stack[-1].tag == "pre"
        if in_pre and lang_class.startswith("language-"):
            self.stack[-1].language = lang_class.removeprefix("language-")
            return
        length = self.offset - opened.start
        entity = _make_entity(opened, length)
        if entity is not None:
            self.entities.append(entity)


def _decode_entity(body: str) -> str | None:
    if body in _NAMED:
        return _NAMED[body]
    code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _check_required_attrs(tag: str, attrs: dict[str, str], where: int) -> None:
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
    if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise HtmlParseError(
            f"Custom emoji entity must contain a valid custom emoji identifier "
            f"at byte offset {where}"
        )


def _make_entity(opened: _Open, length: int) -> dict[str, Any] | None:
    if length <= 0:
        return None  # Telegram drops empty entities silently.
    kind = _TAG_ENTITY[opened.tag]
    entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
    if kind == "text_link":
        href = opened.attrs.get("href")
        if not href:
            return None  # <a> without href is plain text on Telegram.
        entity["url"] = href
    elif kind == "pre" and opened.language:
        entity["language"] = opened.language
    elif kind == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = opened.attrs["emoji-id"]
    return entity


def parse_html(text: str) -> ParsedText:
    """Parse Telegram HTML; raises HtmlParseError with Telegram's wording."""
    return _HtmlParser(text).parse()


def parse_text(text: str, parse_mode: str | None) -> ParsedText:
    """Visible text for any supported parse mode (MarkdownV2 is only unescaped)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdownv2", "markdown"):
        # Deliberately shallow: strip backslash escapes so lengths are roughly right.
        return ParsedText(_MD_ESCAPE_RE.sub(r"\1", text))
    if mode:
        raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    return ParsedText(text)


def strip_html(text: str) -> str:
    """Best-effort visible text for display: tags removed, entities unescaped."""
    try:
        return parse_html(text).text
    except HtmlParseError:
        return html.unescape(_TAG_RE.sub("", text))
