"""The login page, the single sign-on start and callback, and logout.

The login page offers "Sign in with <OIDC_PROVIDER_NAME>" when single sign-on is on, and the
password form unless LOCAL_LOGIN is off (then a posted password is refused, 403). The sign-in
start and callback are mozilla-django-oidc's, with the endpoints from config/sso/conf.py and a
page that says why when a sign-in is refused (400/403/502), with nothing written.

The callback signs in through the OIDC backend itself, not django.contrib.auth's
authenticate(): that asks every backend in turn, the login lockout's (django-axes) first, for a
sign-in with no username from this address, and reports one that no backend accepted as a
failed password login, which the lockout would count against "no username" at this address
until everyone behind it was locked out of single sign-on. The lockout counts password guesses;
the provider guards its own logins.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from config.sso.backend import BACKEND, OIDCBackend, library_setting
from config.sso.conf import SignInError, provider_endpoints

logger = logging.getLogger(__name__)

LOCAL_LOGIN_OFF = "Password login is turned off here: sign in with {provider}."


def login_options() -> dict[str, object]:
    """What the login pages offer: the provider's name (None without single sign-on), and
    whether the password form is there."""
    sso = settings.SSO
    return {
        "sso_provider_name": sso.provider_name if sso is not None else None,
        "local_login": settings.LOCAL_LOGIN,
    }


def local_login_off_message() -> str:
    return LOCAL_LOGIN_OFF.format(provider=settings.SSO.provider_name)


def sign_in_page_refused(request):
    """A posted password, while passwords are turned off: 403, and the way to sign in."""
    return _refused(request, local_login_off_message(), status=403)


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **login_options()}

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_LOGIN:
            return sign_in_page_refused(request)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """Ends the session here; with OIDC_LOGOUT_AT_PROVIDER on, the provider's too (RP-initiated
    logout), which then sends the browser back to the login page."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        sso = settings.SSO
        if sso is None or not sso.logout_at_provider or not id_token:
            return response
        try:
            end_session = provider_endpoints(sso).end_session
        except SignInError as error:
            logger.warning("single sign-on: logout at the provider skipped: %s", error.detail)
            return response
        if not end_session:
            return response
        query = urlencode(
            {
                "id_token_hint": id_token,
                "client_id": sso.client_id,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
            }
        )
        response["Location"] = f"{end_session}?{query}"
        return response


class SignInStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with a fresh state, nonce and PKCE challenge kept in
    the session for the callback."""

    get_settings = staticmethod(library_setting)

    def __init__(self, **kwargs):
        # Not the library's, which reads the endpoint settings: ours are discovered, in get().
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request):
        sso = settings.SSO
        if sso is None:
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints(sso).authorization
        except SignInError as error:
            return _sign_in_refused(request, error)
        self.OIDC_RP_CLIENT_ID = sso.client_id
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the code is exchanged, the ID token checked,
    and the person signed in, or shown why not."""

    get_settings = staticmethod(library_setting)

    def get(self, request):
        if settings.SSO is None:
            raise Http404("Single sign-on is not configured.")
        try:
            self.user = self._signed_in_user(request)
        except SignInError as error:
            return _sign_in_refused(request, error)
        return self.login_success()

    def _signed_in_user(self, request):
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        # Each state is used once, whatever the outcome: a replayed callback finds nothing.
        entry = states.pop(state, None) if isinstance(states, dict) else None
        if entry is not None:
            request.session.modified = True
            request.session.save()
        if request.GET.get("error"):
            # Logged, not shown: anyone can send a link to this page with any text in it.
            raise SignInError(
                "The sign-in provider did not sign you in. Try again, or ask an administrator.",
                status=403,
                detail=f"provider answered error={request.GET['error'][:100]!r} "
                f"error_description={request.GET.get('error_description', '')[:300]!r}",
            )
        if not request.GET.get("code") or entry is None:
            raise SignInError(
                "This sign-in was started in another browser, has expired or was already "
                "used. Start again from the login page.",
                status=400,
                detail="callback with no code, or a state this session did not start",
            )
        user = OIDCBackend().authenticate(
            request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
        )
        if user is None:
            raise SignInError(
                "The sign-in provider's answer could not be verified. Try signing in again.",
                status=403,
                detail="the backend returned no user",
            )
        user.backend = BACKEND
        return user


def _sign_in_refused(request, error: SignInError):
    logger.warning("single sign-on refused (%s): %s", error.status, error.detail)
    return _refused(request, error.message, status=error.status)


def _refused(request, message: str, *, status: int):
    return render(
        request,
        "registration/sign_in_refused.html",
        {"message": message, **login_options()},
        status=status,
    )
