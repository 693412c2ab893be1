"""`{% load markdown_filters %}` then `{{ review.narrative|markdown }}`: sanitised Markdown."""

from __future__ import annotations

from django import template

from reviews.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None):
    return render_markdown(text)


@register.filter
def safe_url(url: str | None) -> str:
    """The URL when it is http(s), else empty: links typed in elsewhere (admin, API) may not be."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url
    return ""
