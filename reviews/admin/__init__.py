"""The admin registrations of everything a review can freeze: the incident record
(`incident_record`) and the reviews themselves (`reviews`). The catalog and near misses are
registered by incidents/admin.py."""

from reviews.admin import incident_record, reviews

__all__ = ["incident_record", "reviews"]
