"""`{% load markdown_filters %}` then `{{ review.narrative|markdown }}`: sanitised Markdown."""

from __future__ import annotations

from django import template

from reviews.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None):
    return render_markdown(text)
