"""The project's URLs and error handlers, plus views under /api/ and a page that fail the way
Django fails before or beside DRF: for tests/api/test_refused_requests.py, which needs a
Django-level 403 and 404 under /api/ (DRF turns its own into JSON, and no view of ours raises
one outside DRF) and a view that reads a form body."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns


@login_not_required
def _forbidden(request):
    raise PermissionDenied("Only the owner may look.")


@login_not_required
def _missing(request):
    raise Http404("No such thing.")


@csrf_exempt
@login_not_required
def _reads_the_form(request):
    return HttpResponse(str(len(request.POST)))


urlpatterns = [
    path("api/refusing/forbidden/", _forbidden),
    path("api/refusing/missing/", _missing),
    path("api/refusing/form/", _reads_the_form),
    path("refusing/form/", _reads_the_form),
    *project_urlpatterns,
]
