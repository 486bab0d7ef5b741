"""
The forms that open over the case page in a dialog (loaded with htmx) and
also stand as pages of their own: proposing an arrangement, requesting a
field visit.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django_htmx.http import trigger_client_event

from collection.models import Case

# Sent with a dialog's answer when the case changed: case.js then fetches the page's panels afresh.
CASE_CHANGED_EVENT = "case-changed"


def dialog_done(request, case: Case, message, *, template: str, context: dict):
    """The action worked: in the dialog, `template` saying so (and the event); on its own page, back to the case."""
    if request.htmx:
        response = render(request, template, {**context, "case": case, "message": message})
        return trigger_client_event(response, CASE_CHANGED_EVENT)
    messages.success(request, message)
    return redirect("collection:case_detail", pk=case.pk)
