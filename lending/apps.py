from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    name = "lending"
    verbose_name = _("Lending")

    def ready(self):
        from accounts.navigation import NavItem, nav_register
        from accounts.permissions import Capability

        nav_register(NavItem("borrowers", _("Borrowers"), "lending:borrower_list", Capability.VIEW_LENDING, order=50))
        nav_register(NavItem("imports", _("Imports"), "lending:import_list", Capability.IMPORT_DATA, order=800))

        from lending.audit_text import audit_sentences_register

        audit_sentences_register()  # how its audit events read
