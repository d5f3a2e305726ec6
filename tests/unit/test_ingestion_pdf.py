"""Reading requirement PDFs the way ingestion does (pypdf, text per page, chunks citing their page), without an
emulator or a model."""

from __future__ import annotations

from bloom.credentialing.ingestion import read_pdf
from tests.support.files import PDF_BYTES
from tests.support.pdfs import image_only_pdf, text_pdf


def test_each_page_gives_its_own_chunks_citing_it() -> None:
    pages = read_pdf(text_pdf(["Providers must hold a licence.", "", "Submit your NPI."]))
    assert pages is not None and len(pages) == 3
    assert [[(c.page, c.text) for c in pages.chunks(n)] for n in range(3)] == [
        [(1, "Providers must hold a licence.")],
        [],
        [(3, "Submit your NPI.")],
    ]


def test_a_scan_has_pages_but_no_text() -> None:
    pages = read_pdf(image_only_pdf(pages=2))
    assert pages is not None and len(pages) == 2
    assert [list(pages.chunks(n)) for n in range(2)] == [[], []]


def test_what_is_not_a_readable_pdf_is_refused() -> None:
    assert read_pdf(b"not a pdf at all") is None
    assert read_pdf(PDF_BYTES) is None  # a header and a trailer, no page tree
