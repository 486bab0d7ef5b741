"""Reads of the messages: templates for the editor, a case's messages (scoped by the case's own selector)."""

from django.db.models import Q
from django.http import Http404

from collection.models import CaseStatus, MessageTemplate, MessageTemplateVersion, OutboundMessage
from collection.models.cases import case_id_from_number


def message_templates_listed():
    """Every template with its current version and who saved it: one query."""
    return MessageTemplate.objects.select_related("current_version", "current_version__created_by").order_by(
        "kind", "channel", "language"
    )


def message_template_get(pk: int) -> MessageTemplate:
    template = MessageTemplate.objects.select_related("current_version").filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


def message_template_versions(template: MessageTemplate):
    return template.versions.select_related("created_by").order_by("-number")


def message_template_version_get(template: MessageTemplate, number: int) -> MessageTemplateVersion:
    version = template.versions.select_related("created_by").filter(number=number).first()
    if version is None:
        raise Http404
    return version


def case_messages(case, *, limit: int = 20):
    """The case's latest messages (the case was found through the user's scoped selector)."""
    return (
        OutboundMessage.objects.filter(case_id=case.pk)
        .select_related("contact_point", "template_version", "template_version__template")
        .order_by("-created_at", "-id")[:limit]
    )


def message_preview_case(user, case_number: str = ""):
    """
    The case a preview is drawn from: the one `case_number` names if the user
    may see it, else (no number given) an open case they may see; None if none.
    """
    from collection.selectors.cases import cases_visible_to

    cases = cases_visible_to(user).select_related("borrower", "portfolio")
    if case_number.strip():
        case_id = case_id_from_number(case_number)
        return cases.filter(pk=case_id).first() if case_id else None
    has_accounts = Q(case_accounts__left_on__isnull=True)
    return cases.filter(has_accounts).exclude(status=CaseStatus.CLOSED).order_by("id").first()
