"""`manage.py create_api_token <username> [--ttl-days N]`: a token for scripts and CI.

The token is printed once; only its hash is stored. Revoke it in the admin (Knox > Auth
tokens) or with POST /api/v1/auth/logout/.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.auth import token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--ttl-days",
            type=int,
            default=None,
            help="Days until the token expires (default: REST_KNOX['TOKEN_TTL']).",
        )

    def handle(self, *args, username, ttl_days, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No user named {username!r} (or the account is inactive).")
        if ttl_days is not None and ttl_days < 1:
            raise CommandError("--ttl-days must be at least 1.")
        instance, token = token_create(
            user=user, ttl=timedelta(days=ttl_days) if ttl_days else None, name="create_api_token"
        )
        self.stdout.write(token)
        expires = (
            f"expires {instance.expiry:%Y-%m-%d %H:%M} UTC" if instance.expiry else "never expires"
        )
        self.stderr.write(
            f"Token for {username}; {expires}. It is shown only now: send it as "
            "'Authorization: Token <token>'."
        )
