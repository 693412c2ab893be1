from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/<str:reference>/", views.incident_detail, name="detail"),
]
