"""API tokens: log in for a token, log out to revoke it.

Tokens are django-rest-knox tokens: only a hash is stored, each expires (REST_KNOX TOKEN_TTL,
or `ttl_days` at login) and can be revoked here, in the admin, or all at once.

Logins are throttled per client address (api.throttling.LoginRateThrottle) and locked out per
username and address after repeated failures (django-axes, as the web and admin logins). With
passwords turned off (LOCAL_LOGIN=0, single sign-on only) the login refuses every password;
tokens made otherwise (`manage.py create_api_token`) keep working.
"""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import TrackedTokenAuthentication
from api.base import ApiMixin
from api.exceptions import LoginLockedOut
from api.models import TokenLabel
from api.serializers import LoginSerializer, TokenSerializer
from api.throttling import LoginRateThrottle


@transaction.atomic
def token_create(*, user, ttl: timedelta | None = None, name: str = "") -> tuple[AuthToken, str]:
    """A new token for user, named `name`; the plain token is returned once and never stored."""
    if ttl is None:
        instance, token = AuthToken.objects.create(user=user)
    else:
        instance, token = AuthToken.objects.create(user=user, expiry=ttl)
    TokenLabel.objects.create(token=instance, name=name)
    return instance, token


def token_revoke(*, user, token_key: str) -> int:
    """Revoke user's token whose key (its first characters, as the tokens page shows) is
    `token_key`; another user's is never touched. How many were revoked (0 or 1)."""
    if "\x00" in token_key:  # in no key, and PostgreSQL refuses to compare one (DataError)
        return 0
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return min(deleted, 1)


def tokens_revoke(*, user) -> int:
    """Revoke every token of user (how many there were)."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


class LoginView(ApiMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        summary="Exchange a username and password for an API token",
        request=LoginSerializer,
        responses={
            200: TokenSerializer,
            403: OpenApiResponse(description="Password login is turned off (single sign-on only)"),
        },
        auth=[],
    )
    def post(self, request):
        if not settings.LOCAL_LOGIN:
            raise PermissionDenied(
                f"Password login is turned off: sign in with {settings.SSO.provider_name} on "
                "the web. For scripts, ask an administrator for an API token "
                "(manage.py create_api_token)."
            )
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        # Axes' backend refuses a locked-out username and address before any password is
        # checked, and marks this (DRF) request; the answer is the same whatever the password.
        if getattr(request, "axes_locked_out", False):
            wait = int(get_cool_off(request).total_seconds())
            raise LoginLockedOut(get_lockout_message(), wait=wait)
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": ["Wrong username or password."]})
        days = serializer.validated_data.get("ttl_days")
        instance, token = token_create(
            user=user, ttl=timedelta(days=days) if days else None, name="API login"
        )
        # A token login is a login (as knox's own view says): last_login moves and the
        # lockout's failure count for this username and address is reset.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        data = {"token": token, "expiry": instance.expiry, "username": user.get_username()}
        return Response(TokenSerializer(data).data)


class _TokenView(ApiMixin, APIView):
    """Acts on the token the request is made with, so a session login does not count."""

    authentication_classes = [TrackedTokenAuthentication]
    permission_classes = [IsAuthenticated]


class LogoutView(_TokenView):
    @extend_schema(
        summary="Revoke the token this request is made with",
        request=None,
        responses={204: OpenApiResponse(description="Revoked")},
    )
    def post(self, request):
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(_TokenView):
    @extend_schema(
        summary="Revoke every token of the user",
        request=None,
        responses={204: OpenApiResponse(description="Revoked")},
    )
    def post(self, request):
        tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
