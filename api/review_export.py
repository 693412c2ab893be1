"""A published review as Markdown, for `GET /api/v1/reviews/{id}/export/?format=md`.

The review pages own the Markdown report (`reviews:report_markdown`); the API serves the same
text by calling the same builder, so the two downloads never differ.
"""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer

from reviews.models import Review


class MarkdownRenderer(BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode(self.charset)
        # Errors reach here only if negotiation picked Markdown; the views switch them to JSON.
        return str(data).encode(self.charset)


def review_markdown(review: Review) -> str:
    """Exactly what `reviews:report_markdown` downloads (same builder, same inputs)."""
    from reviews import selectors
    from reviews.markdown import review_report_markdown
    from reviews.views import TEXT_SECTIONS

    return review_report_markdown(
        review=review,
        items=selectors.review_items(review=review),
        sections=[
            (section.title, getattr(review, section.name)) for section in TEXT_SECTIONS.values()
        ],
        survey=selectors.survey_counts(review=review),
    )
