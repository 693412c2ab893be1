from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save, pre_save


class ApiConfig(AppConfig):
    name = "api"

    def ready(self) -> None:
        from api import (
            authentication_schema,  # noqa: F401  (registers the schema extension)
            signals,
        )

        # The tokens are this app's: keep them in step with the user's password and status.
        pre_save.connect(
            signals.note_credential_change,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="api.note_credential_change",
        )
        post_save.connect(
            signals.revoke_tokens_after_credential_change,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="api.revoke_tokens_after_credential_change",
        )
