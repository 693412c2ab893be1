from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from api import pages as api_pages
from api.metrics import MetricsView
from config.sso import urls as sso_urls
from config.sso.views import LoginView, LogoutView
from incidents import urls as incident_urls
from reviews import urls as review_urls

# The `incidents` namespace spans two apps. Home, the incident list and an incident's page show
# reviews, so they are views of reviews/ (incidents/ may not import reviews/); their names
# (incidents:home, incidents:list, incidents:detail) stay, as templates, settings and
# Incident.get_absolute_url use them. A namespace is one include: it is composed here, above
# both apps, from both apps' patterns.
incident_pages = (
    review_urls.incident_urlpatterns + incident_urls.urlpatterns,
    incident_urls.app_name,
)


@login_not_required
def _favicon(request):
    # The icon's static name is looked up per request, not when this module loads: in
    # production it is a hashed name from collectstatic's manifest, which changes with the
    # icon, so the redirect is a temporary one.
    return redirect(static("favicon.svg"))


# What Django refuses or raises outside DRF: JSON under /api/ (config/errors.py), a 413 for a
# body over the upload limit; any error nothing else handled: a 503 while the database is down.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says; the icon is public.
    path("favicon.ico", _favicon),
    # The timeline and the theme codebook moved from reviews/ to incidents/ (incidents 0003):
    # old bookmarks of their admin pages still land.
    re_path(
        r"^admin/reviews/(?P<path>(?:theme|timelineentry)/.*)$",
        RedirectView.as_view(url="/admin/incidents/%(path)s", query_string=True, permanent=True),
    ),
    path("admin/", admin.site.urls),
    # Django's login and logout, with single sign-on (config/sso/) beside the password form.
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("oidc/", include(sso_urls)),
    path("dashboard/", include("dashboards.urls")),
    path("api/", include("api.urls")),
    path("account/tokens/", api_pages.tokens, name="api_tokens"),
    # Prometheus scrapes /metrics by default; a Prometheus integration's token gets in.
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("", include("reviews.urls")),
    path("", include(incident_pages)),
]
