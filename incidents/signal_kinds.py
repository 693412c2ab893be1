"""The five signals (DOMAIN.md) by name: one registry for the dashboards, the reports, the
workspace and the Markdown export.

Each kind of record the dashboards count has a key (its name in selectors, reports and query
strings), the model it counts and the list page that shows those records. The label is the
model's verbose name, so a heading, a dashboard card and the admin always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.text import capfirst

from incidents.models import Difficulty, Incident, NearMiss, OwnershipGap, Surprise


@dataclass(frozen=True)
class SignalKind:
    key: str
    model: type[models.Model]
    # The URL name of the list page that shows these records.
    list_view: str

    @property
    def label(self) -> str:
        """The plural, capitalised: Surprises, Difficulties in understanding, ..."""
        return capfirst(self.model._meta.verbose_name_plural)


# Failure rates are counted in incidents (per system), so incidents are the first signal.
SIGNAL_KINDS = {
    kind.key: kind
    for kind in [
        SignalKind("incidents", Incident, "incidents:list"),
        SignalKind("near_misses", NearMiss, "incidents:near_miss_list"),
        SignalKind("surprises", Surprise, "incidents:surprise_list"),
        SignalKind("difficulties", Difficulty, "incidents:difficulty_list"),
        SignalKind("ownership_gaps", OwnershipGap, "incidents:ownership_gap_list"),
    ]
}
