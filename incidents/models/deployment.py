"""Deployments: the exposure behind a system's failure rate (DOMAIN.md, "Exposure").

Failures per 30 days mostly measure how busy a system is; failures per change measure how
safely it changes. A deployment is one change to one system in one environment; only
production deployments count in the rates, whatever their outcome (a deployment that failed
half-way still changed production, and may be what caused an incident).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from incidents.models.catalog import System

PRODUCTION = "production"


class DeploymentQuerySet(models.QuerySet):
    def production(self):
        """The deployments the failure rates count: those to production."""
        return self.filter(environment=PRODUCTION)


class Deployment(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "Succeeded"
        FAILURE = "failure", "Failed"
        ROLLED_BACK = "rolled_back", "Rolled back"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        API = "api", "API"
        WEBHOOK = "webhook", "Webhook"
        GITHUB = "github", "GitHub"
        ARGOCD = "argocd", "Argo CD"
        IMPORT = "import", "Import"

    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="deployments")
    deployed_at = models.DateTimeField(help_text="When the change reached the environment (UTC).")
    ref = models.CharField(
        max_length=200, blank=True, help_text="What was deployed: a commit, tag or version."
    )
    environment = models.CharField(
        max_length=100,
        default=PRODUCTION,
        help_text=f"Only deployments to {PRODUCTION!r} count in the failure rates.",
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.SUCCESS)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The id in the source system (CI run, deployment)."
    )
    url = models.URLField(max_length=500, blank=True, help_text="The CI run or release page.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["-deployed_at", "-pk"]
        constraints = [
            # As for incidents: integrations retry, and a retried deployment must stay one.
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="deployment_unique_external_id_per_source",
                violation_error_message="A deployment with this external id already exists for this source.",
            ),
        ]
        indexes = [
            # Every rate counts one system's (or its team's) deployments in a period.
            models.Index(fields=["system", "deployed_at"], name="deployment_system_time"),
            models.Index(fields=["deployed_at"], name="deployment_time"),
        ]

    def __str__(self) -> str:
        ref = f" {self.ref[:12]}" if self.ref else ""
        return f"{self.system.name}{ref} to {self.environment}, {self.deployed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.environment = self.normalise_environment(self.environment)
        super().save(*args, **kwargs)

    @staticmethod
    def normalise_environment(name: str) -> str:
        """Environments are compared as names: "Production " and "production" are one."""
        return name.strip().lower()

    @property
    def is_production(self) -> bool:
        return self.environment == PRODUCTION
