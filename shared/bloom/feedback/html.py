"""An allow-list HTML sanitiser for user-written rich text (feedback descriptions), on the stdlib parser.

Only `b i em strong p br ul ol li` survive, always without attributes. Every other tag is dropped but its text
is kept, except for elements whose content is never text a person wrote (`script`, `style`, ...), which are
dropped with their content. Comments, doctypes and processing instructions are dropped. Text is re-escaped on
output, so an escaped `&lt;script&gt;` in the input stays escaped and can never turn into markup. Open allowed
tags are closed at the end and stray end tags are dropped, so the result is always balanced.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset({"b", "i", "em", "strong", "p", "br", "ul", "ol", "li"})
VOID_TAGS = frozenset({"br"})
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "noscript", "object", "embed", "svg", "math", "head", "title"}
)


class _AllowListParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.skipping.append(tag)
            return
        if self.skipping or tag not in ALLOWED_TAGS:
            return
        self.out.append(f"<{tag}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in DROPPED_WITH_CONTENT or tag not in ALLOWED_TAGS:
            return
        self.out.append(f"<{tag}>" if tag in VOID_TAGS else f"<{tag}></{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in self.skipping:
                while self.skipping.pop() != tag:
                    pass
            return
        if tag not in ALLOWED_TAGS or tag in VOID_TAGS or tag not in self.open:
            return
        while self.open:
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()
        return "".join(self.out)


def sanitise_html(text: str) -> str:
    """Reduce `text` to the allowed tags without attributes; everything else is text or gone."""
    parser = _AllowListParser()
    parser.feed(text)
    return parser.result()
