from django.contrib.admin.apps import AdminConfig


class ArrearsAdminConfig(AdminConfig):
    """Django's admin app, serving ArrearsAdminSite (which asks the permission matrix) as its site."""

    default_site = "accounts.admin_site.ArrearsAdminSite"
