"""The fixed cast and script of the demo: the calendar, the teams, systems and people, and the
words incidents, signals and follow-ups are written with. The generator draws from these."""

from __future__ import annotations

from datetime import UTC, datetime

from incidents.models import Difficulty, Severity
from reviews.models import ActionItem

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
SEED = 20260101
DAYS = 548  # about 18 months
INCIDENT_COUNT = 150
NEAR_MISS_COUNT = 70

TEAMS = [
    ("Payments", "#payments-oncall"),
    ("Checkout", "#checkout"),
    ("Identity", "identity@example.com"),
    ("Platform", "#platform-sre"),
    ("Data", "#data-eng"),
    ("Search", "#search"),
    ("Mobile", "#mobile"),
    ("Customer Support", "support-leads@example.com"),
]

# name, owner team (None: nobody owns it), tier, relative incident weight, trend
# trend > 0: incidents become more frequent towards the anchor; < 0: less frequent.
SYSTEMS = [
    ("checkout-api", "Checkout", 1, 6.0, -1.2),
    ("cart-service", "Checkout", 2, 2.0, 0.0),
    ("payment-gateway", "Payments", 1, 4.0, 0.0),
    ("ledger", "Payments", 1, 1.5, 0.0),
    ("fraud-scoring", "Payments", 2, 1.5, 0.0),
    ("auth-service", "Identity", 1, 3.0, 0.0),
    ("session-store", "Identity", 2, 1.5, 0.0),
    ("sso-bridge", None, 2, 1.5, 0.3),
    ("kubernetes-platform", "Platform", 1, 3.0, 0.0),
    ("dns", "Platform", 1, 1.0, 0.0),
    ("cdn-edge", "Platform", 1, 1.5, 0.0),
    ("ci-pipeline", "Platform", 3, 1.5, 0.0),
    ("secrets-vault", "Platform", 1, 0.8, 0.0),
    ("legacy-cron", None, 3, 2.0, 0.0),
    ("event-bus", "Data", 1, 2.0, 0.0),
    ("warehouse-etl", "Data", 3, 1.5, 0.0),
    ("feature-flags", None, 2, 1.5, 0.5),
    ("search-indexer", "Search", 2, 2.5, 2.2),
    ("search-api", "Search", 2, 1.5, 1.0),
    ("mobile-bff", "Mobile", 2, 2.0, 0.0),
    ("push-notifications", "Mobile", 3, 1.0, 0.0),
    ("image-resizer", None, 4, 1.0, 0.0),
    ("email-sender", "Customer Support", 3, 1.0, 0.0),
    ("support-portal", "Customer Support", 3, 0.8, 0.0),
    ("status-page", "Platform", 2, 0.5, 0.0),
]

# The changes (reviews/demo/changes.py): a system on continuous delivery, and its owner and
# tier (name, owner team, tier); systems that record no deployment; systems that also deploy
# to staging (which the failure rates ignore).
STOREFRONT = ("storefront-web", "Checkout", 1)
UNDEPLOYED_SYSTEMS = {"legacy-cron"}
STAGING_SYSTEMS = {"checkout-api"}

PEOPLE = [
    ("admin", "Ada", "Admin"),
    ("facilitator", "Farah", "Okafor"),
    ("responder", "Ravi", "Patel"),
    ("reader", "Rosa", "Lindqvist"),
    ("mchen", "Mei", "Chen"),
    ("jdoe", "Jordan", "Doe"),
    ("aalvarez", "Ana", "Alvarez"),
    ("bnakamura", "Ben", "Nakamura"),
    ("ckowalski", "Celina", "Kowalski"),
    ("dobi", "Daniel", "Obi"),
    ("eschmidt", "Eva", "Schmidt"),
    ("fmartin", "Felix", "Martin"),
    ("gsingh", "Gita", "Singh"),
    ("hkim", "Hana", "Kim"),
]
FACILITATOR_USERNAMES = ["facilitator", "mchen", "eschmidt"]
RESPONDER_USERNAMES = [
    "responder",
    "jdoe",
    "aalvarez",
    "bnakamura",
    "ckowalski",
    "dobi",
    "fmartin",
    "gsingh",
    "hkim",
]

THEMES = [
    ("Config change", "A configuration change, not a code deploy, set things off."),
    ("Expired certificate", "Something trivial that expires, and nobody owned the renewal."),
    ("Retry storm", "Clients retried and multiplied the load."),
    ("Alert fatigue", "The alert fired but was ignored or lost among others."),
    ("Dashboard misread", "A dashboard said something other than what was happening."),
    ("Capacity", "Resources ran out: connections, disk, memory, quotas."),
    ("Third-party dependency", "A vendor or upstream service misbehaved."),
    ("Runbook gap", "The runbook was missing, out of date or wrong."),
    ("Cache behaviour", "Caches hid or amplified the problem."),
    ("Data migration", "A schema or data migration behaved unexpectedly."),
    ("Feature flag", "A flag flip or a stale flag."),
    ("Hand-off", "Work crossed teams and context was lost."),
]

INCIDENT_TITLES = [
    "Elevated 5xx on {system}",
    "{system} latency above SLO",
    "{system} unavailable for some customers",
    "Queue backlog growing in {system}",
    "Partial outage of {system} after deploy",
    "{system} returning stale data",
    "Certificate expiry broke calls to {system}",
    "Connection pool exhaustion in {system}",
    "{system} crash-looping after config change",
    "Disk full on {system} nodes",
    "Retry storm against {system}",
    "Wrong results served by {system}",
]

EXPECTED_OBSERVED = [
    (
        "The failover would take over within seconds",
        "Failover waited for a health check that never ran",
    ),
    ("The alert would page the owning team", "The alert went to a channel nobody watches"),
    ("A config change only affects new pods", "Running pods reloaded the config live"),
    ("Retries are capped at three", "Each layer retried three times: 27 calls per request"),
    ("The dashboard shows all regions", "The dashboard silently showed only eu-west"),
    (
        "Rolling back the deploy fixes it",
        "The bad data had already been written; rollback changed nothing",
    ),
    (
        "The cache absorbs a backend outage",
        "Cache entries expired together and the backend got the full load",
    ),
    ("The certificate renews automatically", "Auto-renewal had been disabled during a migration"),
    ("The flag was off everywhere", "The flag was on for 5% of traffic since a test last year"),
    ("The queue drains after the fix", "The consumer had a poison message and never caught up"),
]

DIFFICULTY_TEXT = {
    Difficulty.Category.OBSERVABILITY_GAP: "No metric showed the queue depth per consumer.",
    Difficulty.Category.MISLEADING_SIGNAL: "Error rate looked flat because failed requests were retried and succeeded.",
    Difficulty.Category.UNFAMILIAR_SYSTEM: "Nobody on call had worked on this service before.",
    Difficulty.Category.MISSING_DOCUMENTATION: "The runbook described the old deployment layout.",
    Difficulty.Category.TOOLING: "The log search timed out on the time window we needed.",
    Difficulty.Category.COORDINATION: "Two teams worked on the same hypothesis without knowing it.",
    Difficulty.Category.OTHER: "It took a while to agree on what 'healthy' meant here.",
}

NEAR_MISS_TITLES = [
    ("Almost deleted the production bucket", Severity.SEV1),
    ("Migration would have locked the orders table", Severity.SEV1),
    ("Certificate 2 days from expiry found by chance", Severity.SEV2),
    ("Deploy to wrong cluster stopped by a guard", Severity.SEV2),
    ("Disk at 94% on the primary database", Severity.SEV2),
    ("Feature flag about to be enabled for all users", Severity.SEV3),
    ("Backup job silently failing for a week", Severity.SEV2),
    ("Rate limit misconfigured in staging, caught before prod", Severity.SEV3),
    ("DNS TTL change almost cut off the API", Severity.SEV2),
    ("Secrets rotation would have broken the payment flow", Severity.SEV1),
]

FOLLOW_UPS = [
    ("Add an alert on queue depth per consumer", ActionItem.Kind.DETECTIVE),
    ("Cap retries at the edge only", ActionItem.Kind.PREVENTIVE),
    ("Write a runbook for failover", ActionItem.Kind.LEARNING),
    ("Automate certificate renewal checks", ActionItem.Kind.PREVENTIVE),
    ("Fix the regional filter on the dashboard", ActionItem.Kind.CORRECTIVE),
    ("Game day on the cache stampede", ActionItem.Kind.LEARNING),
    ("Find an owner for the system", ActionItem.Kind.CORRECTIVE),
    ("Add a guard against deploying to the wrong cluster", ActionItem.Kind.PREVENTIVE),
    ("Remove stale feature flags", ActionItem.Kind.CORRECTIVE),
    ("Share the incident story at the engineering all-hands", ActionItem.Kind.LEARNING),
]
