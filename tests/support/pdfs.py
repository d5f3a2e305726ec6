"""Requirement PDFs made with fpdf2, for tests and the `make eval` set: pages of text (a real text layer),
image-only pages (no text layer, as a scan) and many pages."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF


def _document() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_font("Helvetica", size=11)
    return pdf


_PLAIN: dict[str, str | int | None] = {"\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}


def _latin1(text: str) -> str:
    """The core fonts are Latin-1: typographic punctuation is written plainly."""
    return text.translate(str.maketrans(_PLAIN))


def text_pdf(pages: Sequence[str], title: str = "") -> bytes:
    """One page per entry (a long entry flows onto further pages), with a text layer pypdf reads back."""
    pdf = _document()
    for number, text in enumerate(pages):
        pdf.add_page()
        if title and number == 0:
            pdf.set_font("Helvetica", style="B", size=14)
            pdf.multi_cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def image_only_pdf(pages: int = 2) -> bytes:
    """Pages holding only drawn shapes, like a scan: no text layer at all."""
    pdf = _document()
    for _ in range(pages):
        pdf.add_page()
        pdf.set_fill_color(40, 40, 40)
        for row in range(20):
            pdf.rect(20, 20 + row * 12, 170 - (row % 5) * 20, 6, style="F")
    return bytes(pdf.output())


def many_pages_pdf(pages: int, payer: str = "Acme Health") -> bytes:
    """A long document: every page states a numbered requirement in its own words."""
    return text_pdf(
        [
            f"Section {n}. {payer} requires each provider to submit form {n:03d}, signed and dated, "
            f"before the credentialing committee reviews the application. Item {n} must be renewed every year."
            for n in range(1, pages + 1)
        ]
    )
