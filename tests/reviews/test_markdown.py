"""Review text is Markdown rendered through an allow-list: no payload ever becomes live HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from reviews.markdown import render_markdown, review_markdown
from reviews.models import Review
from tests.factories import ReviewFactory, SurpriseFactory

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "[x](javascript&#58;alert(1))",
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<object data=x></object><embed src=x>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "text{: onclick=alert(1) }",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{display:none}</style>",
]

SAFE_TAGS = {"p", "a", "em", "strong", "code", "pre", "br"}


class _Elements(HTMLParser):
    """Every element and attribute as a browser would parse them (entities decoded)."""

    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_never_survive_rendering(payload):
    html = str(render_markdown(payload))
    parsed = _Elements()
    parsed.feed(html)
    assert parsed.tags <= SAFE_TAGS, html
    for name, value in parsed.attributes:
        assert name in {"href", "rel", "title"}, html
        if name == "href":
            assert value.startswith(("https:", "http:", "mailto:")), html


def test_ordinary_markdown_still_renders():
    html = str(render_markdown("# Story\n\n*We* **saw** `502`s.\n\n- one\n- two\n\n> quote"))
    assert "<h1>Story</h1>" in html
    assert "<em>We</em>" in html
    assert "<strong>saw</strong>" in html
    assert "<code>502</code>" in html
    assert "<li>one</li>" in html
    assert "<blockquote>" in html


def test_tables_and_fenced_code_from_extra_render():
    html = str(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx < y\n```"))
    assert "<table>" in html
    assert "<td>1</td>" in html
    assert "<pre><code>x &lt; y" in html


def test_links_keep_safe_schemes_and_get_noopener():
    html = str(
        render_markdown("[graph](https://grafana.example/d/1) [mail](mailto:sre@example.com)")
    )
    assert 'href="https://grafana.example/d/1"' in html
    assert 'href="mailto:sre@example.com"' in html
    assert html.count('rel="noopener noreferrer"') == 2


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_template_filter_renders_sanitised_markdown():
    template = Template("{% load markdown_filters %}{{ text|markdown }}")
    html = template.render(Context({"text": "**bold** <script>alert(1)</script>"}))
    assert "<strong>bold</strong>" in html
    assert "<script" not in html


def test_raw_html_is_shown_as_text_not_dropped():
    html = str(render_markdown("Saw <script>alert(1)</script> in the log"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


# --- the Markdown download ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_export_puts_surprises_in_a_table_not_after_a_full_stop():
    review = ReviewFactory()
    SurpriseFactory(
        incident=review.incident,
        expected="The replica takes over within a minute.",
        observed="Nothing took over.",
    )
    text = review_markdown(review)
    assert ".; observed" not in text
    assert "| The replica takes over within a minute. | Nothing took over. |" in text


@pytest.mark.django_db
def test_the_export_says_published_once_with_its_date():
    published = ReviewFactory(
        status=Review.Status.PUBLISHED,
        published_at=datetime(2026, 5, 2, 10, 0, tzinfo=UTC),
    )
    text = review_markdown(published)
    assert "- Review: published 2026-05-02 10:00 UTC" in text
    assert "Published, published" not in text
    assert "- Review: in progress" in review_markdown(
        ReviewFactory(status=Review.Status.IN_PROGRESS)
    )
