"""Incidents in from Alertmanager and PagerDuty, and the token Prometheus scrapes /metrics with.

Layering: this app sits beside dashboards, above reviews and incidents. It writes incidents
through `incidents.services` and leaves alone an incident whose published review froze it
(`reviews.freeze`); the HTTP side (the webhook receivers, /metrics) is in api/.

Public: `models` (Integration, Delivery and the receivers' own bookkeeping) and `services`
(`alertmanager_notification_apply`, `pagerduty_event_apply`, `delivery_record`).
"""
