from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Incident-review tracker"
admin.site.site_title = "Incident-review tracker admin"
admin.site.index_title = "Log incidents, near misses and what you saw"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("api/", include("api.urls")),
    path("", include("reviews.urls")),
    path("", include("incidents.urls")),
]
