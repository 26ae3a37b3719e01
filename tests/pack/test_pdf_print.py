"""The printed pack: every character has a glyph in the embedded fonts, emoji come out as
words, headings are larger than the body text, and making the PDF warns about nothing.

The pack is made once through the sandbox (names with accents, Polish letters, emoji from
answers and from our own option labels, quotes and dashes) and shared by these tests."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser
from statistics import median

import pypdfium2
import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from cetr_bot.domain import Role
from cetr_bot.services import pack, pack_pdf
from cetr_bot.text import Texts
from tests.helpers import CLI
from tests.pack.helpers import prepare
from tests.preparation.helpers import join_as

POLISH = "Zażółć gęślą jaźń ĄĘŁŃÓŚŹŻ"
TYPED = f"{POLISH} — “quoted” ‘single’ – naïve café 🙂👍🏽 ❤️ 👨‍👩‍👧 🇬🇧 ✅"
NAMES = {Role.YOUNG_PERSON: "Zoë", Role.FAMILY: "Łucja Żółkiewska", Role.CLINICIAN: "Siobhán"}

pytestmark = pytest.mark.xdist_group("pdf_print")  # one worker builds the pack once


class _Text(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.feed(html)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Printed:
    html: str
    pdf: bytes
    logged: list[str]
    warned: list[str]
    out: str


def _make_pdf(html: str, capfd: pytest.CaptureFixture[str]) -> tuple[bytes, list, list, str]:
    """The PDF, and whatever was logged at WARNING or above, warned or printed meanwhile."""
    handler = _Captured()
    root = logging.getLogger()
    root.addHandler(handler)
    capfd.readouterr()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pdf = pack.to_pdf(html)
    finally:
        root.removeHandler(handler)
    captured = capfd.readouterr()
    logged = [f"{r.name}: {r.getMessage()}" for r in handler.records]
    return pdf, logged, [str(w.message) for w in caught], captured.out + captured.err


_cache: dict[str, Printed] = {}


@pytest.fixture
async def printed(bot, client, svc, capfd) -> Printed:
    if "pack" not in _cache:
        yp = await join_as(
            svc, client, Role.YOUNG_PERSON, 2002, first_name=NAMES[Role.YOUNG_PERSON]
        )
        for role, uid in ((Role.FAMILY, 2001), (Role.CLINICIAN, 2003)):
            joined = await join_as(
                svc, client, role, uid, review_id=yp.review_id, first_name=NAMES[role]
            )
            await prepare(joined.user, role, text=f"{TYPED} ({role.value})")
        await prepare(yp.user, Role.YOUNG_PERSON, text=TYPED)
        current = await pack.pack_for(svc, CLI, review_id=yp.review_id)
        html = pack.render(Texts(svc.settings.zone), current)
        pdf, logged, warned, out = _make_pdf(html, capfd)
        _cache["pack"] = Printed(html, pdf, logged, warned, out)
    return _cache["pack"]


def _cmap(path) -> set[int]:
    return set(TTFont(path).getBestCmap())


async def test_every_character_of_the_pack_has_a_glyph_in_the_embedded_fonts(printed):
    source = "".join(_Text(printed.html).parts)
    assert POLISH in source and "👍🏽" in source and "“quoted”" in source  # the test has teeth
    assert any(ord(c) > 0xFFFF for c in source)  # emoji beyond the BMP, from answers
    text = "".join(_Text(pack_pdf.printable(printed.html)).parts)
    regular, bold = _cmap(pack_pdf.REGULAR), _cmap(pack_pdf.BOLD)
    missing = {c for c in text if not c.isspace() and (ord(c) not in regular or ord(c) not in bold)}
    assert not missing, sorted(f"U+{ord(c):04X}" for c in missing)
    # Nothing was lost on the way: letters kept, emoji as words.
    for kept in (POLISH, "“quoted” ‘single’ – naïve café", "❤", *NAMES.values()):
        assert kept in text, kept
    assert "[thumbs up medium skin tone]" in text and "[family man woman girl]" in text
    assert "[United Kingdom]" in text and "[check mark button]" in text


async def test_the_pdf_draws_all_its_text_in_the_embedded_dejavu_fonts(printed):
    reader = PdfReader(io.BytesIO(printed.pdf))
    drawn: set[str] = set()
    for page in reader.pages:

        def visit(text, cm, tm, font, size, drawn=drawn):
            if text.strip() and font is not None:
                drawn.add(font["/BaseFont"])
                assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]  # embedded

        page.extract_text(visitor_text=visit)
    assert {name.split("+")[-1] for name in drawn} == {"DejaVuSans", "DejaVuSans-Bold"}
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "\ufffd" not in text and "■" not in text
    for words in (POLISH, "“quoted”", "naïve café", "[slightly smiling face]", *NAMES.values()):
        assert words in text, words


async def test_headings_are_larger_than_the_body_text(printed):
    page = PdfReader(io.BytesIO(printed.pdf)).pages[0]
    sizes: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes.setdefault(text.strip(), size * tm[3] * cm[3])

    page.extract_text(visitor_text=visit)
    h1 = next(v for k, v in sizes.items() if k.startswith("Care, Education and Treatment"))
    h2 = sizes["Who is taking part"]
    body = next(v for k, v in sizes.items() if k.startswith("The young person agreed"))
    assert h1 > h2 > body * 1.2, (h1, h2, body)
    assert body >= 10


async def test_page_one_renders_to_an_image_with_a_large_heading(printed):
    document = pypdfium2.PdfDocument(printed.pdf)
    try:
        image = document[0].render(scale=2).to_pil().convert("L")
    finally:
        document.close()
    width, height = image.size
    assert width > 1000 and height > 1400  # A4 at 144 dpi
    pixels = image.load()
    ink_rows = [sum(pixels[x, y] < 128 for x in range(0, width, 2)) for y in range(height)]
    assert 0.01 < sum(map(bool, ink_rows)) / height < 0.8  # not blank, not a black page
    # Text lines are bands of inked rows; the first is the title, the tallest of them all.
    bands, start = [], None
    for y, inked in enumerate(ink_rows + [0]):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            if y - start >= 6:  # rules and borders are thinner
                bands.append(y - start)
            start = None
    assert len(bands) > 15
    assert bands[0] == max(bands) and bands[0] > 1.4 * median(bands), bands[:8]


async def test_making_the_pdf_warns_about_nothing(printed, capfd):
    assert printed.logged == [] and printed.warned == [] and printed.out == ""
    # The capture works: xhtml2pdf left to its own fonts does warn about an emoji.
    from xhtml2pdf import pisa

    handler = _Captured()
    logging.getLogger().addHandler(handler)
    try:
        pisa.CreatePDF("<p>🙂</p>", dest=io.BytesIO(), encoding="utf-8")
    finally:
        logging.getLogger().removeHandler(handler)
    assert any("U+1F642" in r.getMessage() for r in handler.records)


def test_printable_leaves_only_characters_the_fonts_have():
    assert pack_pdf.printable("a © ✔ ❤️ b") == "a © ✔ ❤ b"  # plain glyphs DejaVu has
    assert pack_pdf.printable("😢🙂") == "[crying face] [slightly smiling face]"
    assert pack_pdf.printable("🇦🇬") == "[Antigua &amp; Barbuda]"  # escaped: it goes into HTML
    assert pack_pdf.printable("名前 x\u200dy") == "[U+540D][U+524D] xy"
    assert pack_pdf.printable("Łódź — “ok”") == "Łódź — “ok”"
