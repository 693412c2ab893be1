"""What Django's template syntax would show users by mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parent.parent / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_comment_tag_spans_lines(template):
    """`{# ... #}` is a one-line comment: Django prints one that spans lines as page text (the
    review queue once showed its block's notes to every reader). Longer notes use
    {% comment %}."""
    opened = [
        number
        for number, line in enumerate(template.read_text().splitlines(), start=1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert not opened, f"{template.name}: a {{# comment left open on line(s) {opened}"
