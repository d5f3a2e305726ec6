"""The allow-list sanitiser for feedback descriptions: only b i em strong p br ul ol li, never attributes."""

from __future__ import annotations

import pytest

from bloom.feedback.html import ALLOWED_TAGS, sanitise_html


def test_allowed_tags_are_kept_without_their_attributes() -> None:
    text = '<p class="x" onclick="steal()">Hi <b style="color:red">bold</b> <i id=1>it</i> <em>e</em></p>'
    assert sanitise_html(text) == "<p>Hi <b>bold</b> <i>it</i> <em>e</em></p>"


def test_lists_and_line_breaks_survive() -> None:
    text = "<ul><li>one</li><li>two</li></ul><ol><li>x</li></ol>a<br>b<br/>c<BR />"
    assert sanitise_html(text) == "<ul><li>one</li><li>two</li></ul><ol><li>x</li></ol>a<br>b<br>c<br>"


def test_other_tags_are_dropped_but_their_text_is_kept() -> None:
    text = '<div><a href="javascript:alert(1)">link</a> <img src=x onerror="alert(1)"><span>text</span></div>'
    assert sanitise_html(text) == "link text"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert('x')</script>after", "after"),
        ("<SCRIPT type='text/javascript'>document.cookie</SCRIPT>ok", "ok"),
        ("<style>p { color: red }</style>styled", "styled"),
        ("<p>a<script>evil()</script>b</p>", "<p>ab</p>"),
        ("<script>never closed <b>x</b>", ""),
        ("<svg><script>x()</script><text>t</text></svg>after", "after"),
        ("<iframe src='https://evil.example'>inside</iframe>out", "out"),
    ],
)
def test_script_style_and_embedded_content_are_dropped_with_their_content(text: str, expected: str) -> None:
    assert sanitise_html(text) == expected


def test_entities_stay_escaped_and_never_become_markup() -> None:
    assert sanitise_html("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert sanitise_html("fish &amp; chips &#60;b&#62;") == "fish &amp; chips &lt;b&gt;"
    assert sanitise_html("caf&eacute;") == "café"


def test_bare_special_characters_are_escaped() -> None:
    assert sanitise_html('1 < 2 & 3 > 2 "quoted"') == '1 &lt; 2 &amp; 3 &gt; 2 "quoted"'
    assert sanitise_html("unfinished <b") == "unfinished "  # a tag cut off by the end is dropped, as browsers do


def test_comments_and_declarations_are_dropped() -> None:
    assert sanitise_html("<!DOCTYPE html><!-- secret --><?php echo 1 ?>visible") == "visible"


def test_output_is_balanced_as_a_browser_parses_it() -> None:
    assert sanitise_html("<b>open <i>nested") == "<b>open <i>nested</i></b>"
    assert sanitise_html("</p>stray</strong> close") == "<p></p>stray close"  # HTML5: a stray </p> is an empty p
    assert sanitise_html("<b><i>x</b>y</i>") == "<b><i>x</i></b><i>y</i>"  # misnested: "y" stays italic
    assert sanitise_html("<p>a<p>b<li>c") == "<p>a</p><p>b</p><li>c</li>"


def test_plain_text_is_unchanged() -> None:
    text = "I found this session really useful.\nThank you!"
    assert sanitise_html(text) == text


def test_the_allow_list_is_exactly_the_contract() -> None:
    assert frozenset({"b", "i", "em", "strong", "p", "br", "ul", "ol", "li"}) == ALLOWED_TAGS


def test_sanitising_twice_changes_nothing_more() -> None:
    text = '<p onclick="x">a &lt; b <script>y</script><strong>s</strong></p>'
    once = sanitise_html(text)
    assert sanitise_html(once) == once
