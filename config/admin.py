"""The admin site: Django's, with the two pages that name records of any model (the home
page's recent actions, and the "view on site" redirect) kept to the records the user may see
in that model's admin (`get_queryset`: for incidents and what hangs off them, reviews.admin
applies `visible_to`).

Installed by `config.apps.AdminConfig` in place of django.contrib.admin. This module must not
import the apps' admin modules: they register on this site while it is being created.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import DELETION
from django.contrib.admin.utils import unquote
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from config.sso.views import login_options, sign_in_page_refused


class AdminSite(admin.AdminSite):
    site_header = "Incident-review tracker"
    site_title = "Incident-review tracker admin"
    index_title = "Log incidents, near misses and what you saw"

    def get_log_entries(self, request):
        """One's own recent actions, by the record's name at the time: an entry about a record
        one may no longer see (an incident made private since) drops out. A deletion stays:
        its record is gone, and the user saw it to delete it."""
        entries = super().get_log_entries(request)
        if request.user.is_superuser:
            return entries
        types = ContentType.objects.get_for_models(*self._registry)
        seen = Q()
        for model, model_admin in self._registry.items():
            ids = model_admin.get_queryset(request).annotate(_id=Cast("pk", TextField()))
            seen |= Q(content_type=types[model], object_id__in=ids.values("_id"))
        unregistered = ~Q(content_type__in=list(types.values()))
        return entries.filter(seen | unregistered | Q(action_flag=DELETION))

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        """Django's login, with the single sign-on link when it is on. With passwords turned
        off (LOCAL_LOGIN=0) there is no admin login form: the site's login page signs in."""
        if settings.LOCAL_LOGIN:
            return super().login(request, extra_context={**login_options(), **(extra_context or {})})
        if request.method == "POST":
            return sign_in_page_refused(request)
        if self.has_permission(request):
            return super().login(request, extra_context)  # already in: on to the index
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))

    def get_urls(self):
        # Django's "view on site" redirects to any record's page, whose address names it (an
        # incident's reference), for whoever is on the staff.
        own = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        others = super().get_urls()
        return [own, *(url for url in others if getattr(url, "name", None) != "view_on_site")]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to the record's page, for a record the user may see in the admin."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except (ContentType.DoesNotExist, ValueError):
            raise Http404 from None
        model_admin = self._registry.get(model)
        if (
            model_admin is None
            or not model_admin.has_view_or_change_permission(request)
            or model_admin.get_object(request, unquote(object_id)) is None
        ):
            raise Http404
        return shortcut(request, content_type_id, object_id)
