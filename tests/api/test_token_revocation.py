"""A new password, or a deactivated account, revokes the user's API tokens, wherever the change
is made: a token someone copied must not outlive the password it was issued under."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from tests.api.conftest import client_for
from tests.factories import UserFactory

NEW_PASSWORD = "a-much-longer-new-passphrase"


@pytest.fixture
def tokens(reader):
    """Two tokens of the reader's and one of someone else's, which must survive."""
    AuthToken.objects.create(user=reader)
    _instance, plain = AuthToken.objects.create(user=reader)
    AuthToken.objects.create(user=UserFactory(username="bystander"))
    return plain


def _reader_tokens() -> int:
    return AuthToken.objects.filter(user__username="reed").count()


def _token_works(plain: str) -> bool:
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    return client.get("/api/v1/teams/").status_code == 200


def _others_kept() -> bool:
    return AuthToken.objects.filter(user__username="bystander").count() == 1


# --- the password changes ----------------------------------------------------------------------


def test_set_password_then_save_revokes_the_tokens(reader, tokens):
    assert _token_works(tokens)
    reader.set_password(NEW_PASSWORD)
    reader.save()
    assert _reader_tokens() == 0
    assert not _token_works(tokens)
    assert _others_kept()


def test_set_password_saved_with_update_fields_revokes_the_tokens(reader, tokens):
    reader.set_password(NEW_PASSWORD)
    reader.save(update_fields=["password"])
    assert _reader_tokens() == 0


def test_an_unusable_password_revokes_the_tokens(reader, tokens):
    reader.set_unusable_password()
    reader.save()
    assert _reader_tokens() == 0


def test_the_password_change_page_revokes_the_tokens(reader, tokens):
    client = Client()
    client.force_login(reader)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert _reader_tokens() == 0
    assert _others_kept()


def test_a_password_reset_revokes_the_tokens(reader, tokens):
    client = Client()
    uid = urlsafe_base64_encode(force_bytes(reader.pk))
    token = default_token_generator.make_token(reader)
    form = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert get_user_model().objects.get(pk=reader.pk).check_password(NEW_PASSWORD)
    assert _reader_tokens() == 0


def test_the_admins_password_form_revokes_the_tokens(superuser, reader, tokens):
    client = Client()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[reader.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _reader_tokens() == 0
    assert _others_kept()


def test_the_changepassword_command_revokes_the_tokens(reader, tokens, monkeypatch):
    # The command reads the new password from the terminal, twice.
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)
    call_command("changepassword", "reed", stdout=None)
    assert get_user_model().objects.get(pk=reader.pk).check_password(NEW_PASSWORD)
    assert _reader_tokens() == 0


# --- deactivation ------------------------------------------------------------------------------


def test_deactivating_a_user_revokes_the_tokens(reader, tokens):
    reader.is_active = False
    reader.save()
    assert _reader_tokens() == 0
    assert _others_kept()


def test_deactivating_a_user_in_the_admin_revokes_the_tokens(superuser, reader, tokens):
    client = Client()
    client.force_login(superuser)
    page = client.get(reverse("admin:auth_user_change", args=[reader.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data.update(
        {
            "is_active": "",
            "date_joined_0": reader.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": reader.date_joined.strftime("%H:%M:%S"),
            "last_login_0": "",
            "last_login_1": "",
        }
    )
    del data["is_active"]  # an unchecked box is not posted
    response = client.post(reverse("admin:auth_user_change", args=[reader.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not get_user_model().objects.get(pk=reader.pk).is_active
    assert _reader_tokens() == 0


# --- what is not a password change -------------------------------------------------------------


def test_logging_in_and_other_edits_keep_the_tokens(reader, tokens):
    reader.first_name = "Reed"
    reader.save()
    # The API's login updates last_login (and issues one more token).
    response = client_for(None).post(
        "/api/v1/auth/login/", {"username": "reed", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    assert _reader_tokens() == 3
    assert _token_works(tokens)


def test_a_password_hash_upgrade_at_login_keeps_the_tokens(reader, tokens, settings):
    """Django re-hashes a password with a newer hasher when it checks it: the same password,
    so not a change (Django's own sessions survive it too)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    old_hash = get_user_model().objects.get(pk=reader.pk).password
    assert old_hash.startswith("md5$")
    response = client_for(None).post(
        "/api/v1/auth/login/", {"username": "reed", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    assert get_user_model().objects.get(pk=reader.pk).password.startswith("pbkdf2_sha256$")
    assert _reader_tokens() == 3
    assert _token_works(tokens)


def test_only_the_step_to_inactive_revokes_not_later_saves_of_an_inactive_user(reader):
    reader.is_active = False
    reader.save()
    _instance, plain = AuthToken.objects.create(user=reader)  # e.g. made by an administrator
    reader.last_name = "Still away"
    reader.save()
    assert _reader_tokens() == 1
    reader.is_active = True
    reader.save()
    assert _token_works(plain)
