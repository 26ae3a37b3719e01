"""The panel pack as a PDF that prints well: every character has a glyph.

xhtml2pdf (pure Python: installs with pip anywhere, no system libraries, no root) with
DejaVu Sans embedded from assets/fonts (vendored from Debian's fonts-dejavu-core; free
licence, assets/fonts/LICENSE-DejaVu.txt). Before the HTML reaches xhtml2pdf, `printable`
turns every character the font cannot draw into something it can: an emoji (ours in
option labels, or typed by a user) into its name in words, "[thumbs up]"; variation
selectors and joiners, which draw nothing, are dropped; any other character DejaVu lacks
(a script it does not cover) into its code point, "[U+4E2D]" — the HTML copy keeps the
original. Headings and body sizes are the pack template's print stylesheet (in points).
"""

from __future__ import annotations

import functools
import html as html_lib
import io
import re
import unicodedata
from pathlib import Path

# xhtml2pdf, reportlab and emoji are imported where used: together about two seconds at
# start-up that only a first PDF needs.

FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FAMILY = "DejaVu Sans"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"

# Characters that draw nothing and that DejaVu lacks: emoji presentation selectors, joiners.
_INVISIBLE = {0xFE0E, 0xFE0F, 0x200D, 0x200C, 0x2060, 0xFEFF}


@functools.cache
def covered() -> frozenset[int]:
    """Code points both faces (regular and bold) can draw."""
    from reportlab.pdfbase.ttfonts import TTFont

    faces = [TTFont(f"_cover{n}", str(path)).face for n, path in enumerate((REGULAR, BOLD))]
    both = frozenset(faces[0].charToGlyph).intersection(faces[1].charToGlyph)
    # The Basic Multilingual Plane only: reportlab writes a character beyond it (DejaVu
    # has a few emoticons there) into the PDF's ToUnicode map as an odd-length hex
    # string, so its text cannot be copied or searched; those emoji become words too.
    return frozenset(cp for cp in both if cp <= 0xFFFF)


def _emoji_words(chars: str, data: dict[str, str]) -> str:
    drawn = "".join(c for c in chars if ord(c) not in _INVISIBLE)
    if len(drawn) == 1 and ord(drawn) in covered():
        return drawn  # ❤ © ✔: DejaVu has a plain glyph for it, which prints well
    name = data.get("en", "").strip(":").replace("_", " ")
    return f"[{html_lib.escape(name)}]" if name else ""


def _fallback(match: re.Match[str]) -> str:
    char = match.group()
    if ord(char) in _INVISIBLE or unicodedata.category(char) in ("Cf", "Cc", "Mn"):
        return ""
    return f"[U+{ord(char):04X}]"


@functools.cache
def _uncovered() -> re.Pattern[str]:
    """Any character outside the fonts' coverage (ASCII and whitespace always pass)."""
    have = covered() - _INVISIBLE  # drawn or not, dropped
    ranges: list[str] = []
    start = prev = -2
    for cp in sorted(have | set(range(0x80)) | {0x09, 0x0A, 0x0D}):
        if cp != prev + 1:
            if start >= 0:
                ranges.append(_range(start, prev))
            start = cp
        prev = cp
    ranges.append(_range(start, prev))
    return re.compile(f"[^{''.join(ranges)}]")


def _range(a: int, b: int) -> str:
    return re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def printable(html: str) -> str:
    """`html` with emoji as words and nothing left that the embedded fonts cannot draw.
    Only runs of non-ASCII characters with one the fonts lack are looked at (the emoji
    library is slow over a whole pack: a tenth of a second per 12 kB, measured)."""
    return _NON_ASCII.sub(_printable_run, html)


def _printable_run(match: re.Match[str]) -> str:
    run = match.group()
    if not _uncovered().search(run):
        return run
    import emoji

    words = emoji.replace_emoji(run, replace=_emoji_words).replace("][", "] [")
    return _uncovered().sub(_fallback, words)


def _font_css() -> str:
    faces = "".join(
        f'@font-face {{ font-family: "{FAMILY}"; src: url("{path.as_uri()}");'
        f" font-weight: {weight}; }}\n"
        for path, weight in ((REGULAR, "normal"), (BOLD, "bold"))
    )
    every = "html, body, h1, h2, h3, p, div, span, table, tr, th, td, ul, li, b, strong, a"
    # A list style xhtml2pdf does not know draws its plain bullet (U+2022) in the text
    # font, here DejaVu; "disc" would draw it in the base-14 Symbol font, not embedded.
    bullets = "li { list-style-type: embedded-font-bullet; }"
    return f'<style>\n{faces}{every} {{ font-family: "{FAMILY}"; }}\n{bullets}\n</style>\n'


def to_pdf(html: str) -> bytes:
    """The pack's HTML as a PDF in the embedded fonts. Slow (seconds) and blocking: call
    it in a thread. It logs no warning (tests/pack/test_pdf_print.py): each character
    has a glyph, and the stylesheet uses only what xhtml2pdf implements."""
    from xhtml2pdf import pisa

    source = printable(html).replace("</head>", _font_css() + "</head>", 1)
    out = io.BytesIO()
    result = pisa.CreatePDF(source, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError("the PDF could not be made")
    return out.getvalue()
