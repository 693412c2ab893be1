"""The user a sign-in lands on: matched on `sub`, role groups and admin rights re-synced from
the provider's groups, nothing written when the claims are refused."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from config.sso.accounts import user_sign_in
from config.sso.conf import SignInError, SSOConfig
from incidents.roles import FACILITATORS, RESPONDERS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
SSO = SSOConfig(
    issuer="https://sso.example.com",
    client_id="incidents",
    client_secret="s",
    facilitator_groups=frozenset({"facilitators"}),
    responder_groups=frozenset({"oncall"}),
)


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_the_username_is_sub_not_the_changeable_preferred_username():
    user = user_sign_in(claims={"sub": "8f2c", "preferred_username": "admin"}, sso=SSO)
    assert user.username == "8f2c"


def test_a_local_account_with_a_password_is_never_taken_over():
    UserFactory(username="root", is_superuser=True)
    with pytest.raises(SignInError) as refused:
        user_sign_in(claims={"sub": "root", "groups": ["facilitators"]}, sso=SSO)
    assert "A local account already has this username" in refused.value.message
    assert _roles(User.objects.get(username="root")) == set()


def test_a_deactivated_account_is_refused():
    user_sign_in(claims={"sub": "gone"}, sso=SSO)
    User.objects.filter(username="gone").update(is_active=False)
    with pytest.raises(SignInError) as refused:
        user_sign_in(claims={"sub": "gone"}, sso=SSO)
    assert "deactivated" in refused.value.message


@pytest.mark.parametrize("sub", [None, "", 42, "x" * 151])
def test_a_sub_that_cannot_be_a_username_is_refused_and_nothing_is_written(sub):
    with pytest.raises(SignInError):
        user_sign_in(claims={"sub": sub, "groups": ["facilitators"]}, sso=SSO)
    assert not User.objects.exists()


def test_a_groups_claim_that_is_not_a_list_of_names_is_refused():
    with pytest.raises(SignInError) as refused:
        user_sign_in(claims={"sub": "s1", "groups": {"facilitators": True}}, sso=SSO)
    assert "misconfigured" in refused.value.message
    assert "OIDC_GROUPS_CLAIM" in refused.value.detail, "the log says which setting"
    assert not User.objects.exists()


def test_one_group_name_as_a_string_counts():
    user = user_sign_in(claims={"sub": "s2", "groups": "oncall"}, sso=SSO)
    assert _roles(user) == {RESPONDERS}


def test_roles_follow_the_provider_and_other_groups_stay():
    user = user_sign_in(claims={"sub": "s3", "groups": ["facilitators", "oncall"]}, sso=SSO)
    assert _roles(user) == {FACILITATORS, RESPONDERS}
    user.groups.add(Group.objects.create(name="Auditors"))

    user = user_sign_in(claims={"sub": "s3"}, sso=SSO)  # no groups claim: in no group

    assert _roles(user) == {"Auditors"}
    assert user.is_staff, "still in a group"


def test_losing_the_last_role_closes_the_admin():
    user = user_sign_in(claims={"sub": "s4", "groups": ["oncall"]}, sso=SSO)
    assert user.is_staff
    user = user_sign_in(claims={"sub": "s4", "groups": []}, sso=SSO)
    assert not user.is_staff


def test_a_role_single_sign_on_does_not_manage_is_left_as_the_admin_set_it():
    only_facilitators = SSOConfig(
        issuer="https://sso.example.com", client_id="i", client_secret="s",
        facilitator_groups=frozenset({"facilitators"}),
    )
    user = user_sign_in(claims={"sub": "s5"}, sso=only_facilitators)
    user.groups.add(Group.objects.get_or_create(name=RESPONDERS)[0])

    user = user_sign_in(claims={"sub": "s5", "groups": ["oncall"]}, sso=only_facilitators)

    assert _roles(user) == {RESPONDERS}


def test_admin_groups_grant_and_take_away_superuser():
    with_admins = SSOConfig(
        issuer="https://sso.example.com", client_id="i", client_secret="s",
        admin_groups=frozenset({"tracker-admins"}),
    )
    user = user_sign_in(claims={"sub": "s6", "groups": ["tracker-admins"]}, sso=with_admins)
    assert (user.is_superuser, user.is_staff) == (True, True)

    user = user_sign_in(claims={"sub": "s6", "groups": ["oncall"]}, sso=with_admins)

    assert (user.is_superuser, user.is_staff) == (False, False)


def test_without_admin_groups_a_superuser_made_in_the_admin_stays_one():
    user = user_sign_in(claims={"sub": "s7"}, sso=SSO)
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)

    user = user_sign_in(claims={"sub": "s7"}, sso=SSO)

    assert (user.is_superuser, user.is_staff) == (True, True)


def test_names_and_email_come_from_the_claims():
    user = user_sign_in(
        claims={"sub": "s8", "email": "ada@example.com", "name": "Ada Lovelace"}, sso=SSO
    )
    assert (user.email, user.first_name, user.last_name) == ("ada@example.com", "Ada Lovelace", "")
