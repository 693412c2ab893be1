"""What both receivers share: the result of applying a delivery, the delivery log, the
systems named by an alert or a page, and the rows a published review freezes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from incidents.models import Incident, System
from incidents.slugs import slug_for
from integrations.models import Delivery, Integration
from reviews.models import Review


@dataclass
class Applied:
    """What a delivery did: its outcome (a Delivery.Outcome) and the incidents it opened or
    touched, the first being the one the log links to."""

    outcome: str = Delivery.Outcome.UNCHANGED
    incidents: list[Incident] = field(default_factory=list)

    def touched(self, incident: Incident, *, created: bool = False) -> None:
        if created:
            self.outcome = Delivery.Outcome.CREATED
        elif self.outcome == Delivery.Outcome.UNCHANGED:
            self.outcome = Delivery.Outcome.UPDATED
        if all(incident.pk != known.pk for known in self.incidents):
            self.incidents.append(incident)


def delivery_record(
    *,
    integration: Integration,
    outcome: str,
    http_status: int,
    error: str = "",
    event_key: str = "",
    incident: Incident | None = None,
) -> Delivery:
    """Log a delivery, and forget those past the retention (the log shows what happens now)."""
    Delivery.objects.filter(integration=integration).older_than(Delivery.RETENTION_DAYS).delete()
    return Delivery.objects.create(
        integration=integration,
        outcome=outcome,
        http_status=http_status,
        error=error[:2000],
        event_key=event_key[: Delivery._meta.get_field("event_key").max_length],
        incident=incident,
    )


def system_named(name: str) -> System:
    """The catalog's system of that name (case aside) or slug; a system the catalog does not
    know is created without an owner (an ownership gap the dashboards show) rather than
    dropped. Safe when two deliveries name a new system at once: the loser finds the winner's."""
    slug = slug_for(name)
    found = (
        System.objects.filter(name__iexact=name).first() or System.objects.filter(slug=slug).first()
    )
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return System.objects.create(name=name, slug=slug, owner_team=None)
    except IntegrityError:
        return System.objects.get(slug=slug)


def frozen_incident_ids(incident_ids) -> set[int]:
    """Of these incidents, those a published review froze, their review rows locked until the
    transaction ends: the lock `review_publish` takes, so no review is published between this
    answer and the writes that rely on it (reviews.freeze)."""
    reviews = Review.objects.select_for_update().filter(incident_id__in=list(incident_ids))
    return {review.incident_id for review in reviews if review.is_published}
