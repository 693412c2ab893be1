"""The user a single sign-on lands on: created at the first sign-in, kept in step with the
provider's claims at every one.

The username is the `sub` claim: the one claim OpenID Connect promises is stable and unique
for an issuer. `preferred_username` and `email` may change, be reused by someone else, or be
edited by the person themselves at some providers: matching on them could hand one person's
account to another. Names and e-mail come from the claims for display.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from config.sso.conf import SignInError, SSOConfig
from incidents.roles import FACILITATORS, RESPONDERS

_NAME_LENGTH = 150  # User.first_name, last_name and username


def user_sign_in(*, claims: dict, sso: SSOConfig):
    """The user for these (verified) claims, created if new, with e-mail, names, role groups
    and admin rights re-synced from the claims. Raises SignInError, writing nothing, when the
    claims cannot name a user of this app."""
    username = _username(claims)
    provider_groups = claimed_groups(claims, sso.groups_claim)
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(
            username=username,
            # No password: this account signs in through the provider only.
            defaults={"password": make_password(None)},
        )
        if not created and user.has_usable_password():
            # A local account (made in the admin or by createsuperuser) that happens to bear
            # this name: the provider does not get to sign in as it.
            raise SignInError(
                "A local account already has this username; ask an administrator to sign "
                "you in with single sign-on.",
                status=403,
                detail=f"sub={username!r} names a local account with a password",
            )
        if not user.is_active:
            raise SignInError(
                "This account is deactivated. Ask an administrator.",
                status=403,
                detail=f"sub={username!r} is deactivated",
            )
        _copy_profile(user, claims)
        if sso.admin_groups is not None:
            user.is_superuser = bool(sso.admin_groups & provider_groups)
        user.save()
        role_groups_sync(user=user, provider_groups=provider_groups, sso=sso)
        # Responders log incidents in the admin: a role needs the admin's door. Someone with no
        # group and no permission of their own has nothing there, so losing the last role
        # closes it.
        user.is_staff = (
            user.is_superuser or user.groups.exists() or user.user_permissions.exists()
        )
        user.save(update_fields=["is_staff"])
    return user


def claimed_groups(claims: dict, claim: str) -> frozenset[str]:
    """The provider's group names in `claim`: a list of strings, or one string. Absent means
    none (Entra ID, for one, leaves the claim out for someone in no group)."""
    value = claims.get(claim)
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise SignInError(
        "Single sign-on is misconfigured; the server log says how.",
        status=502,
        detail=f"the {claim!r} claim (OIDC_GROUPS_CLAIM) is {type(value).__name__}, "
        "not a list of group names",
    )


def role_groups_sync(*, user, provider_groups: frozenset[str], sso: SSOConfig) -> None:
    """Grant or take away each role that single sign-on manages (its OIDC_*_GROUPS is set)
    as the provider's groups say; every other group of the user is left as it is."""
    managed = {FACILITATORS: sso.facilitator_groups, RESPONDERS: sso.responder_groups}
    for role, role_provider_groups in managed.items():
        if role_provider_groups is None:
            continue
        # The data migration creates the role groups, with their permissions.
        group, _ = Group.objects.get_or_create(name=role)
        if role_provider_groups & provider_groups:
            user.groups.add(group)
        else:
            user.groups.remove(group)


def _username(claims: dict) -> str:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > _NAME_LENGTH:
        raise SignInError(
            "The sign-in provider's answer names no account this app can hold.",
            status=403,
            detail=f"sub={sub!r} is not a string of 1 to {_NAME_LENGTH} characters",
        )
    return sub


def _copy_profile(user, claims: dict) -> None:
    email = claims.get("email")
    if isinstance(email, str) and len(email) <= 254:
        user.email = email
    given, family = claims.get("given_name"), claims.get("family_name")
    if isinstance(given, str) or isinstance(family, str):
        user.first_name = (given or "")[:_NAME_LENGTH] if isinstance(given, str) else ""
        user.last_name = (family or "")[:_NAME_LENGTH] if isinstance(family, str) else ""
    elif isinstance(claims.get("name"), str):
        user.first_name, user.last_name = claims["name"][:_NAME_LENGTH], ""
