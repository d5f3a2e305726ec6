"""An allow-list HTML sanitiser for user-written rich text (feedback descriptions), on nh3 (Rust's ammonia).

Only `b i em strong p br ul ol li` survive, always without attributes. Every other tag is dropped but its text
is kept, except for elements whose content is never text a person wrote (`script`, `style`, ...), which are
dropped with their content. Comments, doctypes and processing instructions are dropped. The input is parsed
as a browser parses it (HTML5), and text is re-escaped on output, so an escaped `&lt;script&gt;` stays
escaped and can never turn into markup, and the result is always balanced.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset({"b", "i", "em", "strong", "p", "br", "ul", "ol", "li"})
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "noscript", "object", "embed", "svg", "math", "head", "title"}
)

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={},
    link_rel=None,  # no links survive, so no rel to add
    url_schemes=set(),
)


def sanitise_html(text: str) -> str:
    """Reduce `text` to the allowed tags without attributes; everything else is text or gone."""
    return _CLEANER.clean(text)
