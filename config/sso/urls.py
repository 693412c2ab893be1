"""Single sign-on's two addresses, routed whether it is on or not (they answer 404 when it is
off), so turning it on needs no other URL configuration. The provider is told the callback:
https://<your host>/oidc/callback/. The names are mozilla-django-oidc's."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from config.sso.views import SignInCallback, SignInStart

urlpatterns = [
    path("authenticate/", login_not_required(SignInStart.as_view()), name="oidc_authentication_init"),
    path("callback/", login_not_required(SignInCallback.as_view()), name="oidc_authentication_callback"),
]
