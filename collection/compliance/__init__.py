"""
The compliance guard: the one place that decides whether a contact with a
borrower may happen. Every contact path asks it first — a collector's click
(services/contacts.py), an automatic message, a letter, a field visit, an
agency agent — and a refusal names the rule that refused and says why, in a
sentence the user can act on.

    contact_check(case=..., channel="call", contact_point=point)  -> Verdict
    contact_require(..., actor=user, action="contact")           -> None or ContactRefused (recorded)
    contact_check(case=None, account=..., channel="sms")          a message about an account in no case
    contact_hours_next(case=..., at=...)                          the next moment the hours allow (messages)
    refusal_log(verdict=..., case=..., ...)                       record a refusal contact_check gave
    @refusals_recorded                                            a service's outer wrapper: records
                                                                  a refusal after its rollback
    contact_points_verdicts(case=..., contact_points=[...])       -> {point id: Verdict}
    profile_for(portfolio)                                        -> ContactProfile

What lives where (a rule such as "contact hours" is in three places: its
code and words in rules.py, its numbers in profiles.py, its check in
checks.py, each named after the rule — `Rule.CONTACT_HOURS`, `HOURS_REASON`,
`earliest_contact`/`latest_contact`, `checks.contact_hours`):

    rules.py     `Rule` codes, which channel uses which contact point, which holds
                 stop what, and every sentence a verdict says, grouped by rule
    profiles.py  the China and US profiles, `profile_for` (stricter-only portfolio
                 limits), `portfolio_limits_errors`, opt-out lines
    facts.py     `CaseFacts`: what the guard reads about a case, its borrower and
                 its contact points (every query of the guard, each once)
    checks.py    one function a rule and `CHECKS`, their order of precedence
    verdicts.py  `Verdict`, `ContactRefused`
    guard.py     the entry points above, through which every verdict leaves, and the
                 refusal log (`ContactRefusal`) of every `..._require` that refused

Every rule, its decisions at the edges and the test that proves it are listed
in docs/compliance.md.
"""

from collection.compliance.guard import (
    contact_check,
    contact_hours_next,
    contact_points_verdicts,
    contact_require,
    refusal_log,
    refusal_record,
    refusals_recorded,
    visit_report_check,
    visit_report_require,
)
from collection.compliance.profiles import (
    CHINA,
    PROFILES,
    UNITED_STATES,
    ContactProfile,
    opt_out_line,
    opt_out_line_required,
    portfolio_limits_errors,
    profile_for,
)
from collection.compliance.rules import DECEASED_REASON, INBOUND_LABEL, LEGAL_NOTICE_LABEL, Rule
from collection.compliance.verdicts import ContactRefused, Verdict

__all__ = [
    "CHINA",
    "DECEASED_REASON",
    "INBOUND_LABEL",
    "LEGAL_NOTICE_LABEL",
    "PROFILES",
    "UNITED_STATES",
    "ContactProfile",
    "ContactRefused",
    "Rule",
    "Verdict",
    "contact_check",
    "contact_hours_next",
    "contact_points_verdicts",
    "contact_require",
    "opt_out_line",
    "opt_out_line_required",
    "portfolio_limits_errors",
    "profile_for",
    "refusal_log",
    "refusal_record",
    "refusals_recorded",
    "visit_report_check",
    "visit_report_require",
]
