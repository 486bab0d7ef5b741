"""
Collection's pages about messages to borrowers (collection/messaging):

- the message-template editor (EDIT_MESSAGE_TEMPLATES): the templates by
  kind, channel and language; a template's editor with the variables beside
  it, its versions, and a live preview (htmx, debounced) of the unsaved text
  for a real case, with the SMS's length and segments;
- "Send a message" from the case page (WORK_CASES): through message_queue and
  the guard, a refusal shown with the guard's reason;
- the SMS provider's delivery-status callback (no login: an HMAC signature).
"""

import hashlib
import json

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Capability, capability_required, user_can
from accounts.signing import signature_valid
from collection.agencies.portal import MESSAGE_CHANNEL_WITHHELD, message_channel_withheld
from collection.compliance import ContactRefused
from collection.errors import CollectionError
from collection.messaging.codes import failure_text, suppression_text
from collection.messaging.editing import MessageTemplateError, template_active_set, template_version_save
from collection.messaging.forms import MessagePreviewForm, MessageSendForm, MessageTemplateVersionForm
from collection.messaging.preview import message_preview
from collection.messaging.rendering import template_problems
from collection.messaging.selectors import (
    message_preview_case,
    message_template_get,
    message_template_version_get,
    message_template_versions,
    message_templates_listed,
)
from collection.messaging.services import message_delivery_record, message_queue
from collection.messaging.variables import MESSAGE_FILTERS, MESSAGE_VARIABLES
from collection.models import (
    MESSAGE_CHANNELS,
    Case,
    Channel,
    DeliveryCallbackReceipt,
    MessageKind,
    MessageOrigin,
    OutboundMessage,
)
from collection.views.access import case_required
from documents.templating import TemplateProblem

VERSION_SAVED = _("Version %(number)s of %(template)s saved; messages use it from now on.")
TEMPLATE_ACTIVATED = _("%(template)s is in use again.")
TEMPLATE_DEACTIVATED = _("%(template)s is no longer used: its messages fail until it is back in use.")
PREVIEW_NO_CASE = _("No case you may see has the number “%(number)s”.")
PREVIEW_NO_OPEN_CASE = _("There is no open case you may see to preview with: enter a case number.")
MESSAGE_QUEUED = _("%(kind)s by %(channel)s queued: it goes out from %(when)s.")
MESSAGE_QUEUED_NOW = _("%(kind)s by %(channel)s queued: it goes out now.")
MESSAGE_REFUSED = _("Not sent: %(reason)s")

# The callback's headers: a Unix timestamp and the hex HMAC-SHA256 of "<timestamp>.<body>" (accounts/signing.py).
TIMESTAMP_HEADER = "X-Arrears-Timestamp"
SIGNATURE_HEADER = "X-Arrears-Signature"


# --- Templates ------------------------------------------------------------------------------


@require_GET
@capability_required(Capability.EDIT_MESSAGE_TEMPLATES)
def template_list(request):
    """Every kind of message, by channel and language: one row a kind, one cell a template."""
    templates = list(message_templates_listed())
    by_key = {(template.kind, template.channel, template.language): template for template in templates}
    languages = [code for code, _name in settings.LANGUAGES]
    columns = [(channel, language) for channel in MESSAGE_CHANNELS for language in languages]
    rows = [
        {
            "kind": kind,
            "cells": [by_key.get((kind.value, channel.value, language)) for channel, language in columns],
        }
        for kind in MessageKind
    ]
    language_names = dict(settings.LANGUAGES)
    return render(
        request,
        "collection/messages/template_list.html",
        {
            "rows": rows,
            "channels": [(channel, len(languages)) for channel in MESSAGE_CHANNELS],
            "languages": [language_names[language] for _channel, language in columns],
        },
    )


def _editor_context(template, form, preview_form) -> dict:
    return {
        "template": template,
        "form": form,
        "preview_form": preview_form,
        "versions": message_template_versions(template),
        "variables": MESSAGE_VARIABLES,
        "filters": MESSAGE_FILTERS,
        "is_sms": template.channel == "sms",
        "is_email": template.channel == "email",
    }


@require_http_methods(["GET", "POST"])
@capability_required(Capability.EDIT_MESSAGE_TEMPLATES)
def template_edit(request, pk):
    template = message_template_get(pk)
    current = template.current_version
    initial = {"subject": current.subject, "body": current.body} if current else {}
    form = MessageTemplateVersionForm(request.POST or None, initial=initial, channel=template.channel)
    if request.method == "POST" and form.is_valid():
        try:
            version = template_version_save(
                template=template,
                body=form.cleaned_data["body"],
                subject=form.cleaned_data.get("subject", ""),
                change_note=form.cleaned_data["change_note"],
                actor=request.user,
            )
        except MessageTemplateError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, VERSION_SAVED % {"number": version.number, "template": template})
            return redirect("collection:message_template_edit", pk=template.pk)
    return render(
        request, "collection/messages/template_edit.html", _editor_context(template, form, MessagePreviewForm())
    )


@require_POST
@capability_required(Capability.EDIT_MESSAGE_TEMPLATES)
def template_active(request, pk):
    template = message_template_get(pk)
    active = request.POST.get("active") == "1"
    template_active_set(template=template, active=active, actor=request.user)
    message = TEMPLATE_ACTIVATED if active else TEMPLATE_DEACTIVATED
    messages.success(request, message % {"template": template})
    return redirect("collection:message_template_edit", pk=template.pk)


@require_GET
@capability_required(Capability.EDIT_MESSAGE_TEMPLATES)
def template_version_detail(request, pk, number):
    template = message_template_get(pk)
    version = message_template_version_get(template, number)
    return render(
        request,
        "collection/messages/template_version.html",
        {"template": template, "version": version, "preview_form": MessagePreviewForm()},
    )


@require_POST
@capability_required(Capability.EDIT_MESSAGE_TEMPLATES)
def template_preview(request, pk):
    """The preview panel (an htmx fragment): the posted text for a real case, its length, or what is wrong."""
    template = message_template_get(pk)
    form = MessagePreviewForm(request.POST)
    context = {"template": template}
    if not form.is_valid():
        context["problems"] = [error for errors in form.errors.values() for error in errors]
        return render(request, "collection/messages/_preview.html", context)
    data = form.cleaned_data
    subject = data["subject"] if template.channel == "email" else ""
    case_number = data["case_number"].strip()
    case = message_preview_case(request.user, case_number)
    if case is None:
        message = PREVIEW_NO_CASE % {"number": case_number} if case_number else PREVIEW_NO_OPEN_CASE
        context["problems"] = [message]
        return render(request, "collection/messages/_preview.html", context)
    problems = template_problems(
        channel=template.channel, language=template.language, body=data["body"], subject=subject
    )
    try:
        preview = message_preview(template=template, subject=subject, body=data["body"], case=case)
    except TemplateProblem as problem:
        # Fine on the sample data, wrong on this case's: still the template's problem.
        context["problems"] = [message for _field, message in problems] or [str(problem)]
    else:
        context.update({"case": case, "preview": preview, "problems": [message for _field, message in problems]})
    return render(request, "collection/messages/_preview.html", context)


# --- The case page: its messages, and "Send a message" -------------------------------------


def case_messages_section(request, case) -> dict | None:
    """The case page's "Messages" section: the case's latest messages, and the send form for whoever works it."""
    from collection.messaging.selectors import case_messages
    from collection.messaging.services import manual_key
    from lending.masking import mask_email, mask_phone

    rows = []
    for message in case_messages(case):
        if message_channel_withheld(request.user, case, message.channel):
            recipient = ""  # an agency whose contract withholds it sees no recipient (collection/agencies/portal.py)
        elif message.channel == "sms":
            recipient = mask_phone(message.recipient)
        elif message.channel == "email":
            recipient = mask_email(message.recipient)
        else:
            recipient = ""
        reason = ""
        if message.status == "suppressed":
            reason = suppression_text(message.suppressed_rule)
        elif message.status == "failed":
            reason = failure_text(message.failure_code)
        rows.append({"message": message, "recipient": recipient, "reason": reason})
    user = request.user
    can_send = (
        user_can(user, Capability.WORK_CASES)
        and not case.is_closed
        and (case.stage != "legal" or user_can(user, Capability.WORK_LEGAL))
    )
    form = None
    if can_send:
        form = MessageSendForm(initial={"idempotency_key": manual_key(), "channel": "sms"})
    return {"case": case, "rows": rows, "form": form}


@case_required(Capability.WORK_CASES)
@require_POST
def case_message_send(request, pk):
    case = Case.objects.select_related("borrower", "portfolio").get(pk=pk)
    form = MessageSendForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("collection:case_detail", pk=case.pk)
    data = form.cleaned_data
    kind, channel = MessageKind(data["kind"]), data["channel"]
    if message_channel_withheld(request.user, case, channel):
        label = str(Channel(channel).label).lower()
        messages.error(request, MESSAGE_CHANNEL_WITHHELD.format(channel=label))
        return redirect("collection:case_detail", pk=case.pk)
    try:
        message = message_queue(
            idempotency_key=data["idempotency_key"],
            origin=MessageOrigin.MANUAL,
            kind=kind,
            channel=channel,
            borrower=case.borrower,
            case=case,
            actor=request.user,
        )
    except ContactRefused as refused:
        messages.error(request, MESSAGE_REFUSED % {"reason": refused.verdict.reason})
    except CollectionError as error:
        messages.error(request, str(error))
    else:
        values = {"kind": kind.label, "channel": message.get_channel_display()}
        if message.scheduled_for <= timezone.now():
            messages.success(request, MESSAGE_QUEUED_NOW % values)
        else:
            when = timezone.localtime(message.scheduled_for).strftime("%Y-%m-%d %H:%M")
            messages.success(request, MESSAGE_QUEUED % {**values, "when": when})
    return redirect("collection:case_detail", pk=case.pk)


# --- The provider's delivery reports ----------------------------------------------------------


def _json_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": code, "detail": detail}, status=status)


@csrf_exempt
@require_POST
def delivery_callback(request):
    """
    A delivery report: JSON {"provider_message_id": "...", "status": "delivered" | "failed",
    "detail": "..."}, signed (X-Arrears-Timestamp, X-Arrears-Signature). A
    stale or forged signature is 401, the same signed body twice 409, a
    provider id we never sent 404; a report accepted is 200.
    """
    body = request.body
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature_valid(
        secret=settings.MESSAGES_CALLBACK_SECRET,
        timestamp=timestamp,
        body=body,
        signature=signature,
        max_age=settings.MESSAGES_CALLBACK_MAX_AGE_SECONDS,
    ):
        return _json_error(401, "bad_signature", "The signature is missing, wrong or too old.")
    try:
        report = json.loads(body.decode("utf-8"))
        provider_id = str(report["provider_message_id"])
        state = str(report["status"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        return _json_error(400, "bad_body", 'Expected JSON with "provider_message_id" and "status".')
    if state not in ("delivered", "failed"):
        return _json_error(400, "bad_status", 'The status is "delivered" or "failed".')
    digest = hashlib.sha256(timestamp.encode() + b"." + body).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                DeliveryCallbackReceipt.objects.create(digest=digest, received_at=timezone.now())
        except IntegrityError:
            return _json_error(409, "replayed", "This report was already received.")
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(provider_message_id=provider_id)
            .exclude(provider_message_id="")
            .first()
        )
        if message is None:
            return _json_error(404, "unknown_message", f"No message has the provider id {provider_id!r}.")
        message = message_delivery_record(message=message, state=state, detail=str(report.get("detail", "")))
    return JsonResponse({"ok": True, "message": message.pk, "status": message.status})


urlpatterns = [
    path("automation/messages/templates/", template_list, name="message_template_list"),
    path("automation/messages/templates/<int:pk>/", template_edit, name="message_template_edit"),
    path("automation/messages/templates/<int:pk>/active/", template_active, name="message_template_active"),
    path(
        "automation/messages/templates/<int:pk>/versions/<int:number>/",
        template_version_detail,
        name="message_template_version",
    ),
    path("automation/messages/templates/<int:pk>/preview/", template_preview, name="message_template_preview"),
    path("automation/messages/delivery/", delivery_callback, name="message_delivery_callback"),
    path("cases/<int:pk>/messages/send/", case_message_send, name="case_message_send"),
]
