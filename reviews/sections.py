"""The review's free-text sections, in the order a reader meets them: one list for the workspace,
the report, the Markdown export, the services and the API."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextSection:
    name: str
    title: str
    help_text: str


TEXT_SECTIONS = {
    section.name: section
    for section in [
        TextSection(
            "narrative",
            "Narrative",
            "The story of the incident as the people in it lived it. Markdown.",
        ),
        TextSection(
            "contributors",
            "Contributors and enablers",
            "What made the incident possible or worse: conditions, not culprits.",
        ),
        TextSection(
            "mitigators",
            "Mitigators and what went well",
            "What limited the damage; who or what helped.",
        ),
        TextSection("risks", "Risks", "What could make this happen again, or worse."),
        TextSection("still_unclear", "Still unclear", "Questions the review could not answer."),
        TextSection(
            "data_reviewed",
            "Data reviewed",
            "Dashboards, logs, chat channels and documents looked at.",
        ),
    ]
}
