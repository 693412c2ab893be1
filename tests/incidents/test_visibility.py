from __future__ import annotations

import pytest

from incidents.models import Incident, Surprise
from tests.factories import IncidentFactory, ReviewFactory, SurpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_private_incident_is_hidden_from_an_outsider(outsider):
    private = IncidentFactory(is_private=True)
    public = IncidentFactory()
    assert list(Incident.objects.visible_to(outsider)) == [public]
    assert private not in Incident.objects.visible_to(outsider)


@pytest.mark.parametrize("relation", ["lead", "responder", "facilitator"])
def test_private_incident_is_visible_to_the_people_involved(relation):
    person = UserFactory()
    private = IncidentFactory(is_private=True, lead=person if relation == "lead" else None)
    if relation == "responder":
        private.responders.add(person)
    if relation == "facilitator":
        ReviewFactory(incident=private, facilitator=person)
    assert list(Incident.objects.visible_to(person)) == [private]


def test_superuser_sees_private_incidents(superuser):
    private = IncidentFactory(is_private=True)
    assert list(Incident.objects.visible_to(superuser)) == [private]


def test_signals_of_a_private_incident_are_hidden_too(outsider):
    hidden = SurpriseFactory(incident=IncidentFactory(is_private=True))
    shown = SurpriseFactory()
    visible = Surprise.objects.visible_to(outsider)
    assert shown in visible
    assert hidden not in visible


def test_visibility_never_duplicates_rows():
    person = UserFactory()
    incident = IncidentFactory(is_private=True, lead=person)
    incident.responders.add(person, UserFactory())
    ReviewFactory(incident=incident, facilitator=person)
    assert Incident.objects.visible_to(person).count() == 1
