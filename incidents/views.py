from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from incidents.models import Incident


def incident_list(request):
    incidents = (
        Incident.objects.visible_to(request.user)
        .select_related("lead")
        .prefetch_related("system_roles__system")
    )
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    return render(request, "incidents/incident_list.html", {"page": page})


def incident_detail(request, reference):
    incident = get_object_or_404(Incident.objects.visible_to(request.user), reference=reference)
    return render(request, "incidents/incident_detail.html", {"incident": incident})


def home(request):
    return render(request, "home.html")
