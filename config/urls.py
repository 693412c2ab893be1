from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("api/", include("api.urls")),
    path("", include("reviews.urls")),
    path("", include("incidents.urls")),
]
