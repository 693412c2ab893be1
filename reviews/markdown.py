"""Markdown for review text: rendered, then sanitised, so no script in a review ever runs.

Markdown passes raw HTML through, so its output is never trusted: nh3 (ammonia) keeps only
the tags a review needs, only http/https/mailto links, and no attributes that could run code
or restyle the page. Every place that shows review text as HTML goes through `render_markdown`.
"""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        *("p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em"),
        *("code", "pre", "blockquote", "a", "hr", "br"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
EXTENSIONS = ["extra", "sane_lists"]


def render_markdown(text: str | None) -> SafeString:
    """Markdown to HTML that is safe to put in a page as it is."""
    if not text:
        return mark_safe("")
    html = markdown_lib.markdown(text, extensions=EXTENSIONS, output_format="html")
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # Safe by construction: nh3 has just removed everything outside the allow-list.
    return mark_safe(cleaned)
