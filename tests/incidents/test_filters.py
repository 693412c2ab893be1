"""The filter-parameter contract (incidents/filters.py), on real querysets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidents.filters import DifficultyFilter, NearMissFilter, OwnershipGapFilter, SurpriseFilter
from incidents.models import Difficulty, Incident, IncidentSystem, NearMiss, OwnershipGap, Surprise
from reviews.filters import IncidentFilter
from reviews.models import Review
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def incidents(params: dict) -> list[Incident]:
    filterset = IncidentFilter(params, queryset=Incident.objects.all())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


def test_period_is_half_open_in_utc():
    late_march = IncidentFactory(started_at=_at(2026, 3, 31, 23, 30))
    first_of_april = IncidentFactory(started_at=_at(2026, 4, 1, 0, 0))
    assert incidents({"start": "2026-01-01", "end": "2026-04-01"}) == [late_march]
    assert incidents({"start": "2026-04-01"}) == [first_of_april]
    assert incidents({"end": "2026-04-01"}) == [late_march]


@pytest.mark.parametrize(
    ("filterset_class", "params", "field"),
    [
        (IncidentFilter, {"start": "2026-13-01"}, "start"),
        (IncidentFilter, {"end": "01/04/2026"}, "end"),
        (IncidentFilter, {"severity": "SEV9"}, "severity"),
        (IncidentFilter, {"status": "on-fire"}, "status"),
        (IncidentFilter, {"system": "no-such-system"}, "system"),
        (IncidentFilter, {"team": "no-such-team"}, "team"),
        (IncidentFilter, {"review_status": "maybe"}, "review_status"),
        (IncidentFilter, {"has": "near_miss"}, "has"),
        (IncidentFilter, {"start": "2026-04-01", "end": "2026-04-01"}, "end"),
        (NearMissFilter, {"severity": "SEV0"}, "severity"),
        (NearMissFilter, {"stopped_by": "magic"}, "stopped_by"),
        (SurpriseFilter, {"subject": "review"}, "subject"),
        (DifficultyFilter, {"category": "confusion"}, "category"),
        (OwnershipGapFilter, {"kind": "nobody"}, "kind"),
        (OwnershipGapFilter, {"resolved": "maybe"}, "resolved"),
    ],
)
def test_bad_values_are_form_errors_not_exceptions(filterset_class, params, field):
    filterset = filterset_class(params, queryset=filterset_class._meta.model.objects.all())
    assert not filterset.is_valid()
    assert field in filterset.errors


def test_system_matches_an_incident_in_any_role():
    system = SystemFactory()
    origin = IncidentFactory(systems=[(system, IncidentSystem.Role.ORIGIN)])
    contributing = IncidentFactory(systems=[(system, IncidentSystem.Role.CONTRIBUTING)])
    IncidentFactory(systems=[SystemFactory()])
    assert set(incidents({"system": system.slug})) == {origin, contributing}


def test_team_matches_listed_teams_and_owned_systems_without_duplicates():
    team = TeamFactory()
    owned = SystemFactory(owner_team=team)
    owned_too = SystemFactory(owner_team=team)
    listed = IncidentFactory(teams=[team])
    # Listed and touching two systems it owns: still one row.
    both = IncidentFactory(teams=[team], systems=[owned, owned_too])
    touching = IncidentFactory(systems=[SystemFactory(owner_team=None), owned])
    IncidentFactory(teams=[TeamFactory()], systems=[SystemFactory()])
    found = incidents({"team": team.slug})
    assert sorted(found, key=lambda incident: incident.pk) == [listed, both, touching]


def test_severity_status_and_search():
    match = IncidentFactory(
        severity="SEV1", status=Incident.Status.CLOSED, title="Checkout timeouts"
    )
    IncidentFactory(severity="SEV1", status=Incident.Status.RESOLVED, title="Checkout errors")
    IncidentFactory(severity="SEV2", status=Incident.Status.CLOSED, title="Checkout slow")
    assert incidents({"severity": "SEV1", "status": "closed", "q": "checkout"}) == [match]
    assert incidents({"q": match.reference}) == [match]
    assert incidents({"q": "TIMEOUTS"}) == [match]


def test_review_status_none_and_values():
    without = IncidentFactory()
    published = ReviewFactory(status=Review.Status.PUBLISHED).incident
    in_progress = ReviewFactory(status=Review.Status.IN_PROGRESS).incident
    assert incidents({"review_status": "none"}) == [without]
    assert incidents({"review_status": "published"}) == [published]
    assert incidents({"review_status": "in_progress"}) == [in_progress]


@pytest.mark.parametrize(
    ("has", "factory"),
    [
        ("surprise", SurpriseFactory),
        ("difficulty", DifficultyFactory),
        ("ownership_gap", OwnershipGapFactory),
    ],
)
def test_has_signal_counts_each_incident_once(has, factory):
    with_two = IncidentFactory()
    factory(incident=with_two)
    factory(incident=with_two)
    IncidentFactory()
    assert incidents({"has": has}) == [with_two]


def test_near_miss_filters_by_occurrence_systems_owner_team_and_potential_severity():
    team = TeamFactory()
    system = SystemFactory(owner_team=team)
    match = NearMissFactory(
        occurred_at=_at(2026, 3, 31, 23, 59), systems=[system], potential_severity="SEV1"
    )
    april = NearMissFactory(
        occurred_at=_at(2026, 4, 1), systems=[system], potential_severity="SEV1"
    )
    NearMissFactory(
        occurred_at=_at(2026, 3, 1), systems=[SystemFactory()], potential_severity="SEV1"
    )
    minor = NearMissFactory(
        occurred_at=_at(2026, 3, 1), systems=[system], potential_severity="SEV3"
    )
    params = {"start": "2026-03-01", "end": "2026-04-01", "team": team.slug, "severity": "SEV1"}
    filterset = NearMissFilter(params, queryset=NearMiss.objects.all())
    assert list(filterset.qs) == [match]
    by_system = NearMissFilter({"system": system.slug}, queryset=NearMiss.objects.all()).qs
    assert list(by_system) == [april, match, minor]


def surprises(params: dict) -> list[Surprise]:
    filterset = SurpriseFilter(params, queryset=Surprise.objects.all())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


def test_signal_period_is_its_subjects_not_its_own_creation():
    in_march = SurpriseFactory(incident=IncidentFactory(started_at=_at(2026, 3, 31, 23, 30)))
    near_miss_in_march = SurpriseFactory(
        incident=None, near_miss=NearMissFactory(occurred_at=_at(2026, 3, 2))
    )
    SurpriseFactory(incident=IncidentFactory(started_at=_at(2026, 4, 1)))
    SurpriseFactory(incident=None, near_miss=NearMissFactory(occurred_at=_at(2026, 2, 28)))
    found = surprises({"start": "2026-03-01", "end": "2026-04-01"})
    assert {surprise.pk for surprise in found} == {in_march.pk, near_miss_in_march.pk}


def test_signal_system_is_its_own_or_else_its_subjects():
    system = SystemFactory()
    named = SurpriseFactory(system=system, incident=IncidentFactory())
    inherited = SurpriseFactory(system=None, incident=IncidentFactory(systems=[system]))
    from_near_miss = SurpriseFactory(
        system=None, incident=None, near_miss=NearMissFactory(systems=[system])
    )
    # Names another system: it is about that one, even though its incident touched ours.
    SurpriseFactory(system=SystemFactory(), incident=IncidentFactory(systems=[system]))
    assert {surprise.pk for surprise in surprises({"system": system.slug})} == {
        named.pk,
        inherited.pk,
        from_near_miss.pk,
    }


def test_signal_team_severity_and_subject():
    team = TeamFactory()
    owned = SystemFactory(owner_team=team)
    of_team_incident = SurpriseFactory(incident=IncidentFactory(teams=[team], severity="SEV1"))
    of_owned_near_miss = SurpriseFactory(incident=None, near_miss=NearMissFactory(systems=[owned]))
    SurpriseFactory(incident=IncidentFactory(teams=[TeamFactory()], severity="SEV1"))
    assert {s.pk for s in surprises({"team": team.slug})} == {
        of_team_incident.pk,
        of_owned_near_miss.pk,
    }
    # Severity is the incident's: a near miss's signal never matches one.
    assert {s.pk for s in surprises({"team": team.slug, "severity": "SEV1"})} == {
        of_team_incident.pk
    }
    assert surprises({"team": team.slug, "subject": "near_miss"}) == [of_owned_near_miss]
    assert surprises({"team": team.slug, "subject": "incident"}) == [of_team_incident]


def test_difficulty_category_and_ownership_gap_kind_and_resolved():
    wanted = DifficultyFactory(category=Difficulty.Category.TOOLING)
    DifficultyFactory(category=Difficulty.Category.COORDINATION)
    found = DifficultyFilter({"category": "tooling"}, queryset=Difficulty.objects.all()).qs
    assert list(found) == [wanted]

    open_gap = OwnershipGapFactory(kind=OwnershipGap.Kind.NO_OWNER, resolved=False)
    resolved_gap = OwnershipGapFactory(kind=OwnershipGap.Kind.NO_OWNER, resolved=True)
    OwnershipGapFactory(kind=OwnershipGap.Kind.OWNER_UNREACHABLE, resolved=False)
    queryset = OwnershipGap.objects.all()
    assert list(OwnershipGapFilter({"kind": "no_owner", "resolved": "false"}, queryset).qs) == [
        open_gap
    ]
    assert list(OwnershipGapFilter({"kind": "no_owner", "resolved": "true"}, queryset).qs) == [
        resolved_gap
    ]


def test_filters_keep_the_callers_visibility(outsider):
    hidden = IncidentFactory(is_private=True, severity="SEV1")
    shown = IncidentFactory(severity="SEV1")
    filterset = IncidentFilter({"severity": "SEV1"}, queryset=Incident.objects.visible_to(outsider))
    assert list(filterset.qs) == [shown]
    assert hidden not in filterset.qs
