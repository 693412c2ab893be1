"""The review pages (the `reviews` namespace), and the incident pages that show reviews.

`incident_urlpatterns` are home, the incident list and an incident's page: views of this app
that keep their names in the `incidents` namespace, which config/urls.py composes.
"""

from __future__ import annotations

from django.urls import path

from reviews.views.follow_ups import follow_up_status, follow_ups
from reviews.views.history import history
from reviews.views.home import home
from reviews.views.incidents import incident_detail, incident_list
from reviews.views.publishing import publish, schedule
from reviews.views.queue import queue, review_create
from reviews.views.report import report, report_markdown, survey
from reviews.views.workspace import (
    cause_save,
    item_add,
    item_delete,
    item_edit,
    section_save,
    theme_attach,
    theme_create,
    theme_detach,
    workspace,
)

app_name = "reviews"
urlpatterns = [
    path("reviews/", queue, name="queue"),
    path("incidents/<str:reference>/review/", review_create, name="create"),
    path("reviews/<int:pk>/", workspace, name="workspace"),
    path("reviews/<int:pk>/sections/<str:section>/", section_save, name="section_save"),
    path("reviews/<int:pk>/items/<slug:kind_slug>/", item_add, name="item_add"),
    path(
        "reviews/<int:pk>/items/<slug:kind_slug>/<int:item_pk>/",
        item_edit,
        name="item_edit",
    ),
    path(
        "reviews/<int:pk>/items/<slug:kind_slug>/<int:item_pk>/delete/",
        item_delete,
        name="item_delete",
    ),
    path("reviews/<int:pk>/themes/", theme_attach, name="theme_attach"),
    path("reviews/<int:pk>/themes/new/", theme_create, name="theme_create"),
    path("reviews/<int:pk>/themes/<int:theme_pk>/detach/", theme_detach, name="theme_detach"),
    path("reviews/<int:pk>/schedule/", schedule, name="schedule"),
    path("reviews/<int:pk>/cause/", cause_save, name="cause"),
    path("reviews/<int:pk>/publish/", publish, name="publish"),
    path("reviews/<int:pk>/report/", report, name="report"),
    path("reviews/<int:pk>/report.md", report_markdown, name="report_markdown"),
    path("reviews/<int:pk>/survey/", survey, name="survey"),
    path("reviews/<int:pk>/history/", history, name="history"),
    path("follow-ups/", follow_ups, name="follow_ups"),
    path("follow-ups/<int:item_pk>/status/", follow_up_status, name="follow_up_status"),
]

# Named for the `incidents` namespace, not this one (see config/urls.py).
incident_urlpatterns = [
    path("", home, name="home"),
    path("incidents/", incident_list, name="list"),
    path("incidents/<str:reference>/", incident_detail, name="detail"),
]
