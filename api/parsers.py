"""JSON with a nesting limit, for every JSON body the API reads (settings' parser classes and
the import's own list) and the JSON cells of an imported CSV.

Python's json module recurses once per level: a body nested a thousand deep raises
RecursionError, a 500. No request of ours nests deeper than a few levels, so the depth is
counted (strings stripped, brackets counted, in C-speed regular expressions) before parsing,
and a deeper body is a 400 like any other malformed JSON.
"""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# An import row is 3 levels deep ([{"systems": [{...}]}]); 32 leaves room for any client.
MAX_JSON_DEPTH = 32

# A JSON string, quotes and escapes included (possessive: no backtracking on long strings).
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONTooDeep(ValueError):
    pass


def json_depth(text: str, limit: int | None = None) -> int:
    """How deep arrays and objects nest in text; stops counting once past limit."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if limit is not None and deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def load_json(text: str, **kwargs):
    """json.loads, refusing (JSONTooDeep, a ValueError) anything nested past MAX_JSON_DEPTH."""
    if json_depth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise JSONTooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text, **kwargs)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting limit (and NaN/Infinity refused, as DRF's is)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            parse_constant = json.strict_constant if self.strict else None
            return load_json(stream.read().decode(encoding), parse_constant=parse_constant)
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {error}") from error
