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
        nav_register(
            NavItem(
                "core_deliveries",
                _("Core-system deliveries"),
                "lending:core_deliveries",
                Capability.MANAGE_CREDIT_LINES,
                order=810,
                group="automation",
                description=_(
                    "Credit-line changes sent to the core system: delivered, waiting or failed, and their retries."
                ),
            )
        )

        from lending.audit_text import audit_sentences_register

        audit_sentences_register()  # how its audit events read

        from lending.credit_lines.audit_text import audit_sentences_register as credit_line_sentences_register

        credit_line_sentences_register()
        import lending.credit_lines.tasks  # noqa: F401  (the worker finds the outbox task)
