from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff and audit")

    def ready(self):
        from accounts import signals  # noqa: F401  (connects the login audit)
        from accounts.audit_text import audit_sentences_register
        from accounts.navigation import NavItem, nav_register
        from accounts.permissions import Capability

        audit_sentences_register()  # how its audit events read
        nav_register(NavItem("home", _("Home"), "accounts:home", order=0))
        nav_register(NavItem("audit", _("Audit trail"), "accounts:audit_trail", Capability.VIEW_AUDIT_TRAIL, order=900))
        nav_register(NavItem("admin", _("Administration"), "admin:index", Capability.ADMINISTER, order=990))
