from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = _("Legal")

    def ready(self):
        # Each part of legal adds its navigation, case-page sections, timeline
        # codes and audit sentences to the apps on its left (legal/registry.py).
        from legal.registry import legal_register

        legal_register()
