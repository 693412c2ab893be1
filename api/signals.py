"""Receivers that keep API tokens in step with the account they belong to.

A new password, or a deactivated account, revokes every token of the user: a token copied
while the old password was known must not outlive it. The tokens are the api app's (knox), so
the receivers are here, connected in `ApiConfig.ready`, whatever changes the user: the admin,
`changepassword`, the password-change and password-reset pages, or code that calls
`set_password()` and then `save()`. (A bulk `QuerySet.update()` sends no signal: code that
deactivates users that way calls `api.auth.tokens_revoke` itself.)
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from api.auth import tokens_revoke

User = get_user_model()


# What a save must touch to matter here.
_CREDENTIAL_FIELDS = frozenset({"password", "is_active"})


def _revokes(user, update_fields) -> bool:
    if update_fields is not None and not _CREDENTIAL_FIELDS & set(update_fields):
        return False  # e.g. the last_login a login saves
    if getattr(user, "_password", None) is not None:
        return True  # set_password() since the last save: Django's own mark of a new password
    stored = User.objects.filter(pk=user.pk).values("password", "is_active").first()
    if stored is None:
        return False
    if stored["is_active"] and not user.is_active:
        return True
    # check_password() re-hashing the same password with a newer hasher saves exactly
    # update_fields=["password"], having cleared the mark: Django says that is not a password
    # change. Any other new hash is one (set_unusable_password(), a hash assigned directly).
    rehash = update_fields is not None and set(update_fields) == {"password"}
    return stored["password"] != user.password and not rehash


def note_credential_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """pre_save: decide while the stored row still holds the old values."""
    if raw or instance.pk is None:
        return  # a fixture being loaded, or a new user: no tokens yet
    instance._revoke_api_tokens = _revokes(instance, update_fields)


def revoke_tokens_after_credential_change(sender, instance, raw=False, **kwargs) -> None:
    """post_save: the change is saved, in the same transaction as the revocation."""
    if getattr(instance, "_revoke_api_tokens", False):
        instance._revoke_api_tokens = False
        tokens_revoke(user=instance)
