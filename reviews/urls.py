from __future__ import annotations

from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("reviews/", views.queue, name="queue"),
    path("incidents/<str:reference>/review/", views.review_create, name="create"),
    path("reviews/<int:pk>/", views.workspace, name="workspace"),
    path("reviews/<int:pk>/sections/<str:section>/", views.section_save, name="section_save"),
    path("reviews/<int:pk>/items/<slug:kind_slug>/", views.item_add, name="item_add"),
    path(
        "reviews/<int:pk>/items/<slug:kind_slug>/<int:item_pk>/",
        views.item_edit,
        name="item_edit",
    ),
    path(
        "reviews/<int:pk>/items/<slug:kind_slug>/<int:item_pk>/delete/",
        views.item_delete,
        name="item_delete",
    ),
    path("reviews/<int:pk>/themes/", views.theme_attach, name="theme_attach"),
    path("reviews/<int:pk>/themes/new/", views.theme_create, name="theme_create"),
    path("reviews/<int:pk>/themes/<int:theme_pk>/detach/", views.theme_detach, name="theme_detach"),
    path("reviews/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("reviews/<int:pk>/publish/", views.publish, name="publish"),
    path("reviews/<int:pk>/report/", views.report, name="report"),
    path("reviews/<int:pk>/report.md", views.report_markdown, name="report_markdown"),
    path("reviews/<int:pk>/survey/", views.survey, name="survey"),
    path("reviews/<int:pk>/history/", views.history, name="history"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:item_pk>/status/", views.follow_up_status, name="follow_up_status"),
]
