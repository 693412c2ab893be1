"""Markdown for review text: rendered, then sanitised, so no script in a review ever runs.

Raw HTML typed into a review is shown as text, not interpreted: the Markdown parser's HTML
handling is switched off. The output is still never trusted: nh3 (ammonia) keeps only the tags
a review needs, only http/https/mailto links, and no attributes that could run code or restyle
the page. Every place that shows review text as HTML goes through `render_markdown`.
"""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

from incidents.formatting import person_name
from incidents.signal_kinds import SIGNAL_KINDS
from reviews import selectors
from reviews.sections import TEXT_SECTIONS

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


def _parser() -> markdown_lib.Markdown:
    # A fresh parser per call: Markdown instances keep state and are not thread-safe.
    parser = markdown_lib.Markdown(extensions=EXTENSIONS, output_format="html")
    # Without these two, "<script>" would be passed on as HTML; now it is escaped as text.
    parser.preprocessors.deregister("html_block")
    parser.inlinePatterns.deregister("html")
    return parser


def render_markdown(text: str | None) -> SafeString:
    """Markdown to HTML that is safe to put in a page as it is."""
    if not text:
        return mark_safe("")
    html = _parser().convert(text)
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


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"


def _cell(text: str) -> str:
    """Table cells are one line; a pipe would end the cell early."""
    return " ".join(str(text).split()).replace("|", "\\|")


def review_report_markdown(*, review, items: dict, sections: list[tuple[str, str]], survey) -> str:
    """The review as one Markdown document, for the wiki or the ticket tracker.

    The text is the people's own Markdown, passed through as written: it is a download for
    other Markdown tools, never put into one of our pages.
    """
    incident = review.incident
    lines = [f"# {incident.reference}: {incident.title}", ""]
    lines += [
        f"- Severity: {incident.severity}",
        f"- Started: {_when(incident.started_at)}",
        f"- Detected: {_when(incident.detected_at)}",
        f"- Resolved: {_when(incident.resolved_at)}",
        # "Published 2026-05-02 10:00 UTC", not "Published, published ...".
        f"- Review: published {_when(review.published_at)}"
        if review.published_at
        else f"- Review: {review.get_shown_status_display().lower()}",
    ]
    if review.facilitator:
        lines.append(f"- Facilitator: {person_name(review.facilitator)}")
    if incident.summary:
        lines += ["", "## Summary", "", incident.summary]
    if incident.customer_impact:
        lines += ["", "## Impact", "", incident.customer_impact]
    for title, text in sections[:1]:
        lines += ["", f"## {title}", "", text or "_Not written._"]

    lines += ["", "## Timeline", ""]
    if items["timeline"]:
        lines += ["| When | Kind | What | Evidence |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {_when(entry.at)} | {entry.get_kind_display()} | {_cell(entry.text)} | "
            f"{entry.evidence_url or ''} |"
            for entry in items["timeline"]
        ]
    else:
        lines.append("_No entries._")

    def bullet_list(title: str, rows: list[str]) -> None:
        lines.extend(["", f"## {title}", ""])
        lines.extend(rows or ["_None recorded._"])

    # A table, as on the report page: people end sentences with a full stop, and a
    # "; observed:" glued after one read "...a minute.; observed:".
    lines += ["", f"## {SIGNAL_KINDS['surprises'].label}", ""]
    if items["surprises"]:
        lines += ["| Expected | Observed | System |", "| --- | --- | --- |"]
        lines += [
            f"| {_cell(s.expected)} | {_cell(s.observed)} | {s.system if s.system_id else ''} |"
            for s in items["surprises"]
        ]
    else:
        lines.append("_None recorded._")
    bullet_list(
        SIGNAL_KINDS["difficulties"].label,
        [
            f"- {d.get_category_display()}: {_cell(d.description)}"
            + (f" ({d.system})" if d.system_id else "")
            for d in items["difficulties"]
        ],
    )
    bullet_list(
        SIGNAL_KINDS["ownership_gaps"].label,
        [
            f"- {g.get_kind_display()}"
            + (f" ({g.system})" if g.system_id else "")
            + (f": {_cell(g.description)}" if g.description else "")
            + (" (resolved)" if g.resolved else "")
            for g in items["ownership_gaps"]
        ],
    )
    for title, text in sections[1:]:
        lines += ["", f"## {title}", "", text or "_Nothing recorded._"]
    bullet_list("Themes", [f"- {theme.name}" for theme in items["themes"]])
    bullet_list(
        "Participants",
        [
            f"- {participant}"
            + (f", {participant.team}" if participant.team_id else "")
            + (
                f", interviewed {_when(participant.interviewed_at)}"
                if participant.interviewed_at
                else ""
            )
            for participant in items["participants"]
        ],
    )
    lines += ["", "## Follow-ups", ""]
    if items["follow_ups"]:
        lines += [
            "| Follow-up | Owner | Due | Kind | Status | Link |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_cell(item.title)} | {item.owner_team or '**nobody (gap)**'} | "
            f"{item.due_date or '—'} | {item.get_kind_display()} | {item.get_status_display()} | "
            f"{item.external_url or ''} |"
            for item in items["follow_ups"]
        ]
    else:
        lines.append("_None agreed yet._")
    lines += [
        "",
        "## Learning survey",
        "",
        f"{survey.responses} answers; {survey.learned_something} learned something that will "
        f"change their work; {survey.would_attend_again} would come to another review.",
    ]
    return "\n".join(lines) + "\n"


def review_markdown(review) -> str:
    """The Markdown report of a review, as the report page and the API download it."""
    return review_report_markdown(
        review=review,
        items=selectors.review_items(review=review),
        sections=[
            (section.title, getattr(review, section.name)) for section in TEXT_SECTIONS.values()
        ],
        survey=selectors.survey_counts(review=review),
    )
