"""
What placing and recalling add to collection at start-up: the manager's
page in the navigation, the case page's "Agency" section, the strategy
action "Place with an agency" and its result texts, and the audit trail's
sentences (registered by collection/agencies/placement.py `register()`).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collection.models import AgencyStatus, AllocationRule, EventKind, RecallReason

PLACE_ACTION = "place_with_agency"


# --- The strategy action --------------------------------------------------------------------------


def _agency_choices():
    from collection.models import Agency

    agencies = Agency.objects.filter(status=AgencyStatus.ACTIVE).order_by("name", "pk")
    return [
        ("", gettext_lazy("Allocate round-robin among the active agencies")),
        *((str(agency.pk), agency.name) for agency in agencies),
    ]


def place_run(*, case_ids, step, on, now) -> dict:
    """Place the batch's cases with the step's agency, or round-robin among the active ones; say why a case was not."""
    from collection.agencies.placement import cases_allocate
    from collection.errors import CollectionError
    from collection.models import Agency
    from collection.strategies.actions import failed, skipped

    agency_id = step.params.get("agency") or ""
    agencies = Agency.objects.filter(status=AgencyStatus.ACTIVE).order_by("pk")
    if agency_id:
        agencies = Agency.objects.filter(pk=int(agency_id))
    agencies = list(agencies)
    if not agencies:
        return {case_id: failed("agency_missing") for case_id in case_ids}
    rule = AllocationRule.SINGLE if agency_id else AllocationRule.ROUND_ROBIN
    try:
        result = cases_allocate(
            case_ids=case_ids, agencies=agencies, rule=rule, actor=None, placed_on=on, strategy_step=step
        )
    except CollectionError:
        return {case_id: failed("agency_cannot_take") for case_id in case_ids}
    return {case_id: skipped("not_placed", reason=code) for case_id, code in result.unplaced.items()}


def _describe_place(params: dict) -> str:
    from collection.models import Agency

    agency_id = params.get("agency") or ""
    if not agency_id:
        return _("Place round-robin among the active agencies")
    name = Agency.objects.filter(pk=int(agency_id)).values_list("name", flat=True).first()
    return _("Place with %(agency)s") % {"agency": name or agency_id}


def _not_placed_text(data: dict) -> str:
    from collection.agencies.placement import refusal_text

    return _("not placed: %(reason)s") % {"reason": refusal_text(data.get("reason", ""))}


def strategy_action_register() -> None:
    from collection.strategies.actions import ParamSpec, StrategyAction, action_register, result_text_register

    action_register(
        StrategyAction(
            code=PLACE_ACTION,
            label=gettext_lazy("Place with an agency"),
            run=place_run,
            params=(
                ParamSpec(
                    "agency",
                    gettext_lazy("Agency"),
                    "choice",
                    choices=_agency_choices,
                    required=False,
                    default="",
                    help_text=gettext_lazy(
                        "One agency, or shared round-robin among the active agencies, within their caseloads."
                    ),
                ),
            ),
            done_code="case_placed",
            event_kind=EventKind.STAGE,
            describe=_describe_place,
            order=45,
        )
    )
    for code, text in {
        "case_placed": gettext_lazy("placed with an agency"),
        "placed_with_agency": gettext_lazy("skipped: the case is placed with an agency"),
        "agency_missing": gettext_lazy("no active agency to place with"),
        "agency_cannot_take": gettext_lazy("the agency cannot take cases now (inactive, or no contract in force)"),
        "not_placed": _not_placed_text,
    }.items():
        result_text_register(code, text)


# --- The audit trail ------------------------------------------------------------------------------


def _placed_sentence(event) -> str:
    from accounts.templatetags.arrears import money

    data = event.data
    return _("Batch %(batch)s: %(count)s cases (%(balance)s) placed with %(agency)s") % {
        "batch": data["batch_number"],
        "count": data["cases"],
        "balance": money(data["balance"], data["currency"]),
        "agency": data["agency_name"],
    }


def _recalled_sentence(event) -> str:
    data = event.data
    reason = data.get("reason", "")
    return _("Batch %(batch)s: %(count)s cases recalled from %(agency)s: %(reason)s") % {
        "batch": data["batch_number"],
        "count": data["cases"],
        "agency": data["agency_name"],
        "reason": RecallReason(reason).label if reason in RecallReason.values else reason,
    }


def placement_register() -> None:
    from accounts import navigation
    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability
    from collection.agencies.placement import AUDIT_PLACED
    from collection.agencies.recall import AUDIT_RECALLED
    from collection.case_sections import CaseSection, case_section_register
    from collection.queue_links import QueueLink, queue_link_register
    from collection.views.placements import case_placement_section

    # In the "Agencies" group part B registers first (collection/agencies/services.py); without it the
    # item would stand in the bar on its own, so until then the pages are reached by their URL.
    if "agencies" in navigation._groups:
        nav_register(
            NavItem(
                "placements",
                gettext_lazy("Placements"),
                "collection:placement_batch_list",
                Capability.MANAGE_AGENCIES,
                order=20,
                group="agencies",
                description=gettext_lazy(
                    "The batches of cases placed with agencies: what each holds, what came back, what was collected."
                ),
            )
        )
    case_section_register(
        CaseSection("placement", "collection/agencies/placements/_case_section.html", case_placement_section, order=15)
    )
    queue_link_register(
        QueueLink(
            "place_with_agency",
            gettext_lazy("Place every case matching the filter with an agency"),
            "collection:placement_new",
            Capability.MANAGE_AGENCIES,
            order=50,
        )
    )
    strategy_action_register()
    audit_sentence_register(AUDIT_PLACED, _placed_sentence)
    audit_sentence_register(AUDIT_RECALLED, _recalled_sentence)
