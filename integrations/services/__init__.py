"""Writes of the integrations: an Alertmanager notification or a PagerDuty event applied to
the incidents (each in one transaction), and the delivery log.

Public: `alertmanager_notification_apply` with its input types (`Notification`, `Alert`),
`pagerduty_event_apply` with `PagerDutyIncidentEvent`, `Applied` (what either did), and
`delivery_record`.
"""

from integrations.services.alertmanager import Alert, Notification, alertmanager_notification_apply
from integrations.services.common import Applied, delivery_record
from integrations.services.pagerduty import PagerDutyIncidentEvent, pagerduty_event_apply

__all__ = [
    "Alert",
    "Applied",
    "Notification",
    "PagerDutyIncidentEvent",
    "alertmanager_notification_apply",
    "delivery_record",
    "pagerduty_event_apply",
]
