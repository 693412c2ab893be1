from django.apps import AppConfig
from django.core.signals import request_finished


class DashboardsConfig(AppConfig):
    name = "dashboards"

    def ready(self):
        from dashboards.rollups.middleware import refresh_after_request

        request_finished.connect(refresh_after_request, dispatch_uid="dashboards.rollups")
