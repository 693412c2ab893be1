from __future__ import annotations

from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("systems/", views.systems, name="systems"),
    path("systems/<slug:slug>/", views.system_detail, name="system_detail"),
    path("themes/", views.themes, name="themes"),
]
