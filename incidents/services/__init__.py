"""Writes that touch several rows of the incidents app: logging and editing an incident with
its systems, teams and responders (also idempotently, for integrations), recording deployments
(idempotently too, one or many at once), reporting and editing a near miss, and the
all-or-nothing import.

The pages and the API both write through these, so a write's rules hold whichever of them
makes it: an anonymous near miss stores no reporter, whoever logs a private incident can still
see it.

Public, re-exported here (callers write `from incidents.services import incident_create`);
one module per kind of record: `incidents`, `deployments`, `near_misses`, `imports`.
"""

from incidents.services.deployments import deployment_create_or_get, deployments_record
from incidents.services.imports import IMPORT_BATCH_SIZE, ImportResult, incidents_import
from incidents.services.incidents import (
    EXTERNAL_ID_TAKEN,
    external_id_taken,
    incident_create,
    incident_create_or_get,
    incident_save,
)
from incidents.services.near_misses import near_miss_report, near_miss_update

__all__ = [
    "EXTERNAL_ID_TAKEN",
    "IMPORT_BATCH_SIZE",
    "ImportResult",
    "deployment_create_or_get",
    "deployments_record",
    "external_id_taken",
    "incident_create",
    "incident_create_or_get",
    "incident_save",
    "incidents_import",
    "near_miss_report",
    "near_miss_update",
]
