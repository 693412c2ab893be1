"""Writes of the integrations: an Alertmanager notification or a PagerDuty event applied to
the incidents (each in one transaction), and the delivery log.

Public: `alertmanager_notification_apply` with its input types (`Notification`, `Alert`),
`Applied` (what it did), and `delivery_record`.
"""

from integrations.services.alertmanager import Alert, Notification, alertmanager_notification_apply
from integrations.services.common import Applied, delivery_record

__all__ = [
    "Alert",
    "Applied",
    "Notification",
    "alertmanager_notification_apply",
    "delivery_record",
]
