"""Legal's litigation: see the modules of this package."""


def register() -> None:
    """What this part adds to the apps on its left at start-up (legal/registry.py)."""
    from collection.case_sections import CaseSection, case_section_register
    from legal.litigation.events import events_register
    from legal.views.files import case_file_section

    events_register()
    case_section_register(CaseSection("litigation_file", "legal/case/_file.html", case_file_section, order=30))
    # The referral (legal/litigation/referral.py): its timeline codes and the case page's "Legal" section.
    from legal.litigation.referral import referral_events_register
    from legal.views.referrals import case_referral_section

    referral_events_register()
    case_section_register(CaseSection("referral", "legal/case/_referral.html", case_referral_section, order=25))
