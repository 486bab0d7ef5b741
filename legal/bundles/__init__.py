"""
Legal's court bundles: one PDF for the court, built on Celery from the file's
data (data.py → sections.py's page plan → builder.py: layout, merge,
stamping.py's page numbers, bookmarks, manifest), requested and built by
services.py, shown by legal/views/bundles.py.
"""


def register() -> None:
    """What this part adds to the apps on its left at start-up (legal/registry.py)."""
    from django.utils.translation import gettext_lazy as _

    from accounts.audit_text import audit_sentence_register
    from collection.case_sections import CaseSection, case_section_register
    from legal.bundles.case_section import bundle_case_section

    audit_sentence_register("legal.bundle.requested", _("Court bundle requested: %(target)s"))
    audit_sentence_register("legal.bundle.built", _("Court bundle built: %(target)s"))
    audit_sentence_register("legal.bundle.downloaded", _("Court bundle downloaded: %(target)s"))
    case_section_register(
        CaseSection("legal_bundle", "legal/bundles/_case_section.html", bundle_case_section, order=80)
    )
