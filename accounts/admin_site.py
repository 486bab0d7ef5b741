from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can


class ArrearsAdminSite(AdminSite):
    site_header = _("Arrears administration")
    site_title = _("Arrears administration")
    index_title = _("Users, roles and teams")

    def has_permission(self, request):
        return user_can(request.user, Capability.ADMINISTER)
