"""
The permission matrix: the one place that says which role may do what.

Views ask through `CapabilityRequiredMixin` / `capability_required`, selectors
and templates through `user_can`. Later apps add their capabilities here, so
that the whole matrix can be read (and reviewed by compliance) in one screen.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class Capability(models.TextChoices):
    ADMINISTER = "admin.site", _("Manage users, roles and teams in the administration site")
    VIEW_AUDIT_TRAIL = "audit.view", _("See every staff member's audit trail")
    VIEW_ALL_TEAMS = "teams.view_all", _("See every team and its members")
    VIEW_LED_TEAMS = "teams.view_led", _("See the teams one leads and their members")
    VIEW_LENDING = "lending.view", _("See borrowers, their accounts, schedules and payments")
    SEE_FULL_NATIONAL_ID = "lending.national_id", _("See national ids unmasked")
    IMPORT_DATA = "lending.import", _("Import data from the core system and manage intake tokens")
    VIEW_CASES = "collection.view", _("Open the collection cases one may see (own, team's, visits')")
    VIEW_ALL_CASES = "collection.view_all", _("See every collection case")
    WORK_CASES = "collection.work", _("Work cases: log contacts, take promises, propose arrangements, add holds")
    REASSIGN_CASES = "collection.reassign", _("Assign and reassign cases; see the unassigned pool")
    APPROVE_ARRANGEMENTS = "collection.approve", _("Approve arrangements and field visits within one's limit")
    VISIT_BORROWERS = "collection.visit", _("Make field visits and file visit reports")
    REVEAL_CONTACT_DETAILS = "collection.reveal", _("Reveal a borrower's full national id or phone (audited)")
    CONFIGURE_COLLECTION = "collection.configure", _("Configure portfolios, contact limits and team work rules")
    SEND_LETTERS = "legal.letters", _("Generate letters to borrowers, one case or a batch")
    EDIT_LETTER_TEMPLATES = "legal.templates", _("Edit letter templates (each save is a new version)")
    REFER_TO_LEGAL = "legal.refer", _("Refer a case to legal")
    WORK_LEGAL = "legal.work", _("Work litigation files: accept or reject referrals, hearings, costs, bundles")
    APPROVE_LITIGATION = "legal.approve", _("Approve litigation above the portfolio's amount")
    CONFIGURE_LEGAL = "legal.configure", _("Configure the legal policy: least balance, notice days, limitation periods")
    EDIT_MESSAGE_TEMPLATES = "collection.message_templates", _("Edit SMS, e-mail and in-app message templates")
    CONFIGURE_AUTOMATION = (
        "collection.automation",
        _("Configure reminders, segments and strategies; run them; promote a challenger"),
    )
    VIEW_NIGHTLY_RUNS = "collection.nightly", _("See each night's run, its steps and failures; start a run")
    MANAGE_CREDIT_LINES = "lending.credit_lines", _("Freeze, cut and restore credit lines; retry their delivery")
    MANAGE_AGENCIES = (
        "collection.agencies",
        _("Keep agencies and contracts; place and recall cases; approve commission statements"),
    )
    WORK_AGENCY_CASES = "collection.agency_portal", _("Work the cases placed with one's own agency (the agency portal)")


# Agency agents see borrowers only through the cases placed with their agency
# (the collection app), never by browsing lending.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COLLECTOR: frozenset(
        {
            Capability.VIEW_LENDING,
            Capability.VIEW_CASES,
            Capability.WORK_CASES,
            Capability.REVEAL_CONTACT_DETAILS,
            Capability.SEND_LETTERS,
            Capability.REFER_TO_LEGAL,
        }
    ),
    Role.FIELD_AGENT: frozenset(
        {
            Capability.VIEW_LENDING,
            Capability.VIEW_CASES,
            Capability.VISIT_BORROWERS,
            Capability.REVEAL_CONTACT_DETAILS,
        }
    ),
    Role.TEAM_LEAD: frozenset(
        {
            Capability.VIEW_LED_TEAMS,
            Capability.VIEW_LENDING,
            Capability.VIEW_CASES,
            Capability.WORK_CASES,
            Capability.REASSIGN_CASES,
            Capability.APPROVE_ARRANGEMENTS,
            Capability.REVEAL_CONTACT_DETAILS,
            Capability.SEND_LETTERS,
            Capability.REFER_TO_LEGAL,
        }
    ),
    # A legal officer sees the cases in the legal stage (collection/selectors/cases.py), not every case.
    Role.LEGAL_OFFICER: frozenset(
        {
            Capability.VIEW_LENDING,
            Capability.SEE_FULL_NATIONAL_ID,
            Capability.VIEW_CASES,
            Capability.SEND_LETTERS,
            Capability.EDIT_LETTER_TEMPLATES,
            Capability.WORK_LEGAL,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Capability.VIEW_AUDIT_TRAIL,
            Capability.VIEW_ALL_TEAMS,
            Capability.VIEW_LENDING,
            Capability.VIEW_CASES,
            Capability.VIEW_ALL_CASES,
            Capability.WORK_CASES,
            Capability.REASSIGN_CASES,
            Capability.APPROVE_ARRANGEMENTS,
            Capability.REVEAL_CONTACT_DETAILS,
            Capability.CONFIGURE_COLLECTION,
            Capability.SEND_LETTERS,
            Capability.EDIT_LETTER_TEMPLATES,
            Capability.REFER_TO_LEGAL,
            Capability.WORK_LEGAL,
            Capability.APPROVE_LITIGATION,
            Capability.CONFIGURE_LEGAL,
            Capability.EDIT_MESSAGE_TEMPLATES,
            Capability.CONFIGURE_AUTOMATION,
            Capability.VIEW_NIGHTLY_RUNS,
            Capability.MANAGE_CREDIT_LINES,
            Capability.MANAGE_AGENCIES,
        }
    ),
    # An agency agent sees only the active placements of their own agency (collection/selectors/cases.py),
    # masked as the agency's contract says (collection/agencies/portal.py).
    Role.AGENCY_AGENT: frozenset(
        {
            Capability.VIEW_CASES,
            Capability.WORK_CASES,
            Capability.REVEAL_CONTACT_DETAILS,
            # Their agency's own field visits: asked for and reported by the agent (collection/services/visits.py).
            Capability.VISIT_BORROWERS,
            Capability.WORK_AGENCY_CASES,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Capability.ADMINISTER,
            Capability.VIEW_AUDIT_TRAIL,
            Capability.VIEW_ALL_TEAMS,
            Capability.VIEW_LENDING,
            Capability.SEE_FULL_NATIONAL_ID,
            Capability.IMPORT_DATA,
            Capability.VIEW_CASES,
            Capability.VIEW_ALL_CASES,
            Capability.CONFIGURE_COLLECTION,
            Capability.CONFIGURE_LEGAL,
            Capability.VIEW_NIGHTLY_RUNS,
        }
    ),
}


def user_can(user, capability: str) -> bool:
    """Whether `user` holds `capability`. Anonymous and inactive users hold none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def require_capability(user, capability: str) -> None:
    """Raise PermissionDenied (a 403 page) unless `user` holds `capability`."""
    if not user_can(user, capability):
        raise PermissionDenied


def _refusal(request, capability: str):
    """A redirect to the login page for a visitor; 403 for a user without the right."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    require_capability(request.user, capability)
    return None


class CapabilityRequiredMixin:
    """For class-based views: log in first, then hold `capability`, else 403."""

    capability: str = ""

    def dispatch(self, request, *args, **kwargs):
        return _refusal(request, self.capability) or super().dispatch(request, *args, **kwargs)


def capability_required(capability: str):
    """For function views: the same rule as CapabilityRequiredMixin."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            return _refusal(request, capability) or view(request, *args, **kwargs)

        return wrapped

    return decorator


def object_capability_required(capability: str):
    """
    For views of one object (a borrower, an account, a case): as
    capability_required, but a user without the right gets 404, not 403 — the
    same answer as for an object outside their scope, so no id can be probed
    for existence.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_can(request.user, capability):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
