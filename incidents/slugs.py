"""The slug of a team, system or theme, derived from its name: ASCII, never empty for a name
with a letter or a digit in any script, and different for names that differ in more than case,
spacing, punctuation or (Latin) accents.

Why not `slugify(name)` alone: it drops every character it cannot fold to ASCII, so "数据库"
and "网络" both became "", the second was taken for the first, and `{% url %}` failed on the
empty slug. Two ways out were weighed:

- `slugify(name, allow_unicode=True)`: readable, but every slug consumer would have to accept
  Unicode (the `<slug:>` URL converter, the slug fields' ASCII validators, the admin's
  prepopulation, API clients building URLs), and Django's Unicode slugify deletes combining
  marks, so "नेट" and "नट" (two different words) would still share a slug.
- transliteration (Unidecode and friends): readable for some scripts, wrong for others
  (Japanese kanji read as Chinese), a dependency, and lossy: homophones share a slug.

So: a name whose letters and digits all fold to ASCII keeps today's slug (`Café Paris` ->
`cafe-paris`; every slug already stored stays valid); any other name gets the IDNA form of its
normalised text, `xn--` + Punycode (RFC 3492, as in internationalised domain names): ASCII
(so every URL pattern, validator and client keeps working), stable, and lossless, so two
different names never share a slug by accident. It is not readable in the URL; the pages show
the name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

SLUG_MAX_LENGTH = 100
NO_SLUG_MESSAGE = "Use at least one letter or digit."


def _is_kept(char: str) -> bool:
    # Letters, digits and combining marks (vowel signs in Devanagari, Thai, Arabic...): marks
    # change the word, so dropping them would give two words one slug.
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def _folds_to_ascii(name: str) -> bool:
    """True when NFKD plus dropping accents leaves every letter and digit ASCII."""
    folded = unicodedata.normalize("NFKD", name)
    return all(char.isascii() for char in folded if char.isalnum())


def _words(name: str) -> str:
    """The name casefolded, without punctuation, words joined by "-" (slugify's rules, with
    every script's letters and marks kept)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    kept = "".join(
        char if _is_kept(char) or char == "-" else " " if char.isspace() else "" for char in text
    )
    return re.sub(r"[-\s]+", "-", kept).strip("-_")


def _fit(slug: str) -> str:
    """At most SLUG_MAX_LENGTH characters; a longer slug keeps a hash of the whole, so two
    long names that share their first 100 characters still get two slugs."""
    if len(slug) <= SLUG_MAX_LENGTH:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
    return f"{slug[: SLUG_MAX_LENGTH - 9].rstrip('-_')}-{digest}"


@lru_cache(maxsize=4096)  # an import asks for the same few system names thousands of times
def slug_for(name: str) -> str:
    """The slug a new team, system or theme called `name` gets; "" when the name has no letter
    or digit at all (refused where names are entered: `validate_sluggable`)."""
    if _folds_to_ascii(name):
        return _fit(slugify(name))
    words = _words(name)
    if words.isascii():  # "" for a name without letters or digits; "strasse" for "Straße"
        return _fit(words)
    return _fit("xn--" + words.encode("punycode").decode("ascii"))


def validate_sluggable(name: str) -> None:
    if not slug_for(name):
        raise ValidationError(NO_SLUG_MESSAGE, code="no_slug")


def slug_not_empty(model_name: str) -> models.CheckConstraint:
    """The database's guard: an empty slug cannot be linked to (`{% url %}` fails) and, being
    one value, made the next name without a slug land on the first one's row."""
    return models.CheckConstraint(
        condition=~models.Q(slug=""),
        name=f"{model_name}_slug_not_empty",
        violation_error_message=NO_SLUG_MESSAGE,
    )
