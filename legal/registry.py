"""
What legal adds to the apps on its left when it starts: navigation entries,
the legal officer's landing page, case-page sections, timeline codes and the
actions collection's strategies can call. Each part of legal keeps its own
`register()`; this calls them all, once.
"""


def legal_register() -> None:
    from django.utils.translation import gettext_lazy as _

    from accounts.navigation import NavItem, landing_register, nav_register
    from accounts.permissions import Capability
    from accounts.roles import Role
    from legal import bundles, letters, limitation, litigation, strategy_actions

    for part in (letters, limitation, litigation, bundles, strategy_actions):
        part.register()
    nav_register(NavItem("legal", _("Legal"), "legal:workspace", Capability.WORK_LEGAL, order=70))
    landing_register(Role.LEGAL_OFFICER, "legal:workspace")
