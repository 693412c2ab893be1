from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/<str:reference>/", views.incident_detail, name="detail"),
    path("near-misses/", views.near_miss_list, name="near_miss_list"),
    path("near-misses/new/", views.near_miss_new, name="near_miss_new"),
    path("near-misses/<int:pk>/", views.near_miss_detail, name="near_miss_detail"),
    path("surprises/", views.surprise_list, name="surprise_list"),
    path("difficulties/", views.difficulty_list, name="difficulty_list"),
    path("ownership-gaps/", views.ownership_gap_list, name="ownership_gap_list"),
]
