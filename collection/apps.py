from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = _("Collection")

    def ready(self):
        from accounts.navigation import NavGroup, NavItem, landing_register, nav_group_register, nav_register
        from accounts.permissions import Capability
        from accounts.roles import Role

        # An agency agent works their agency's queue instead (collection/views/agency_portal.py).
        agency = Capability.WORK_AGENCY_CASES
        nav_register(
            NavItem(
                "my_queue", _("My queue"), "collection:my_queue", Capability.WORK_CASES, order=10, hidden_with=agency
            )
        )
        nav_register(
            NavItem(
                "team_queue",
                _("Team queue"),
                "collection:team_queue",
                Capability.WORK_CASES,
                order=20,
                hidden_with=agency,
            )
        )
        nav_register(
            NavItem("unassigned", _("Unassigned"), "collection:unassigned_pool", Capability.REASSIGN_CASES, order=30)
        )
        nav_register(
            NavItem("approvals", _("Approvals"), "collection:approval_queue", Capability.APPROVE_ARRANGEMENTS, order=40)
        )
        nav_register(
            NavItem(
                "portfolios", _("Portfolios"), "collection:portfolio_list", Capability.CONFIGURE_COLLECTION, order=60
            )
        )
        nav_register(
            NavItem(
                "visit_requests",
                _("Visit requests"),
                "collection:visit_requests",
                Capability.APPROVE_ARRANGEMENTS,
                order=45,
            )
        )
        nav_register(
            NavItem(
                "inbound_report",
                _("Inbound contacts"),
                "collection:inbound_report",
                Capability.REASSIGN_CASES,
                order=50,
            )
        )
        nav_register(
            NavItem(
                "refusal_report",
                _("Contact refusals"),
                "collection:refusal_report",
                Capability.CONFIGURE_COLLECTION,
                order=65,
            )
        )
        # The automation's pages share one entry of the bar, which leads to a page listing them.
        nav_group_register(NavGroup("automation", _("Automation"), "collection:automation", order=76))
        nav_register(NavItem("visits", _("My visits"), "collection:visit_day", Capability.VISIT_BORROWERS, order=15))
        # A collector starts the day on their queue, a field agent on their visits.
        landing_register(Role.COLLECTOR, "collection:my_queue")
        landing_register(Role.FIELD_AGENT, "collection:visit_day")
        # Lending shows a case worker only the borrowers of the cases they may see.
        from collection.selectors.borrowers import borrowers_in_case_scope
        from lending.selectors import borrower_scope_register

        borrower_scope_register("collection.cases", borrowers_in_case_scope)

        from collection.audit_text import audit_sentences_register

        audit_sentences_register()  # how its audit events read

        # The automation's parts (issue 12), each adding its own pages, sections and nightly steps.
        from collection import messaging, nightly, reminders, strategies
        from collection.strategies import arms

        for part in (messaging, reminders, strategies, arms, nightly):
            part.register()

        # The agencies (issue 13): placements, the portal, commission, the file exchange.
        from collection.agencies.wiring import agencies_ready

        agencies_ready()
