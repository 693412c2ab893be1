"""The incident-record pages of the `incidents` URL namespace.

The namespace also holds home, the incident list and an incident's page (`incidents:home`,
`incidents:list`, `incidents:detail`), which show reviews and so are views of reviews/:
config/urls.py composes the namespace from both apps' patterns.
"""

from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("near-misses/", views.near_miss_list, name="near_miss_list"),
    path("near-misses/new/", views.near_miss_new, name="near_miss_new"),
    path("near-misses/<int:pk>/", views.near_miss_detail, name="near_miss_detail"),
    path("surprises/", views.surprise_list, name="surprise_list"),
    path("difficulties/", views.difficulty_list, name="difficulty_list"),
    path("ownership-gaps/", views.ownership_gap_list, name="ownership_gap_list"),
    path("deployments/", views.deployment_list, name="deployment_list"),
]
