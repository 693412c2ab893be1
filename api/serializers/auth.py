"""Logging in for a token, and the token that comes back."""

from __future__ import annotations

from rest_framework import serializers


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, write_only=True)
    ttl_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        help_text="Days until the token expires (default: REST_KNOX TOKEN_TTL).",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown once.")
    expiry = serializers.DateTimeField(allow_null=True)
    username = serializers.CharField()
