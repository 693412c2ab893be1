"""/api/: the v1 resources, reports, tokens, the OpenAPI schema and its two viewers."""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required
from django.urls import Resolver404, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from api import auth, reports, views
from api.base import JsonErrors
from api.exceptions import json_error
from api.views import integrations

app_name = "api"

router = DefaultRouter()
router.register("teams", views.TeamViewSet, basename="team")
router.register("systems", views.SystemViewSet, basename="system")
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("near-misses", views.NearMissViewSet, basename="near-miss")
router.register("surprises", views.SurpriseViewSet, basename="surprise")
router.register("difficulties", views.DifficultyViewSet, basename="difficulty")
router.register("ownership-gaps", views.OwnershipGapViewSet, basename="ownership-gap")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("timeline-entries", views.TimelineEntryViewSet, basename="timeline-entry")
router.register("action-items", views.ActionItemViewSet, basename="action-item")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("participants", views.ParticipantViewSet, basename="participant")


def _is_endpoint_with_a_slash(path_info: str) -> bool:
    """Whether path_info + "/" is an endpoint: this catch-all answers before Django's
    APPEND_SLASH redirect could."""
    if path_info.endswith("/"):
        return False
    try:
        return resolve(f"{path_info}/").func is not not_found
    except Resolver404:
        return False


# Exempt from CSRF and login: whatever the method, an unknown API path is a JSON 404.
@csrf_exempt
@login_not_required
def not_found(request, rest=""):
    detail = f"No API endpoint at {request.path}."
    if _is_endpoint_with_a_slash(request.path_info):
        detail += f" Did you mean {request.path}/ (with the slash)?"
    return json_error(404, f"{detail} The schema is at /api/schema/.")


# The schema (YAML, or JSON with ?format=json) and its two viewers answer their errors (a
# POST, an unknown ?format) in JSON, like every other path under /api/.
class _SchemaView(JsonErrors, SpectacularAPIView):
    pass


class _SwaggerView(JsonErrors, SpectacularSwaggerSplitView):
    pass


class _RedocView(JsonErrors, SpectacularRedocView):
    pass


# Swagger UI and ReDoc come from drf-spectacular-sidecar (no CDN) and our own templates, which
# have no inline script or style. ReDoc still injects <style> elements at runtime and starts a
# blob: worker, so that one page alone relaxes style-src and worker-src.
swagger = _SwaggerView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")
redoc = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
    _RedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
)

urlpatterns = [
    # Before the router: its deployments/<pk>/ would take "webhook" for an id.
    path(
        "v1/deployments/webhook/", views.DeploymentWebhook.as_view(), name="deployment_webhook"
    ),
    path("v1/integrations/github/", views.GitHubWebhook.as_view(), name="github_webhook"),
    path("v1/", include(router.urls)),
    path("v1/reports/summary/", reports.SummaryReport.as_view(), name="report_summary"),
    path("v1/reports/systems/", reports.SystemsReport.as_view(), name="report_systems"),
    path("v1/reports/themes/", reports.ThemesReport.as_view(), name="report_themes"),
    path(
        "v1/reports/learning-loop/",
        reports.LearningLoopReport.as_view(),
        name="report_learning_loop",
    ),
    path(
        "v1/integrations/alertmanager/",
        integrations.AlertmanagerWebhook.as_view(),
        name="alertmanager_webhook",
    ),
    path(
        "v1/integrations/pagerduty/",
        integrations.PagerDutyWebhook.as_view(),
        name="pagerduty_webhook",
    ),
    path("v1/auth/login/", auth.LoginView.as_view(), name="login"),
    path("v1/auth/logout/", auth.LogoutView.as_view(), name="logout"),
    path("v1/auth/logout-all/", auth.LogoutAllView.as_view(), name="logout_all"),
    path("schema/", _SchemaView.as_view(), name="schema"),
    path("docs/", swagger, name="docs"),
    path("redoc/", redoc, name="redoc"),
    re_path(r"^(?P<rest>.*)$", not_found),
]
