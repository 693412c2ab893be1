from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Incident-review tracker"
admin.site.site_title = "Incident-review tracker admin"
admin.site.index_title = "Log incidents, near misses and what you saw"

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says; the icon is public.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("api/", include("api.urls")),
    path("", include("reviews.urls")),
    path("", include("incidents.urls")),
]
