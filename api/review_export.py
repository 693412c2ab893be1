"""The Markdown renderer for `GET /api/v1/reviews/{id}/export/?format=md`.

The text itself is `reviews.markdown.review_markdown`, the builder the report page's download
uses, so the two downloads never differ.
"""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer


class MarkdownRenderer(BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode(self.charset)
        # Errors reach here only if negotiation picked Markdown; the views switch them to JSON.
        return str(data).encode(self.charset)
