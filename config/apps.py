from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin, on the project's admin site (config/admin.py)."""

    default_site = "config.admin.AdminSite"
