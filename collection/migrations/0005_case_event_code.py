"""
Timeline events gain a stable code (collection/events.py); the sentence is
rendered for each reader. Existing events get the code their facts show, and
lose their stored sentence; an event whose facts cannot be read keeps it (its
code stays empty and the page shows the old sentence).
"""

from django.db import migrations, models

CHUNK = 2000

# What each kind's facts must hold for its renderer, by code.
NEEDS = {
    "contact_logged": ("channel", "outcome"),
    "message_sent": ("channel",),
    "note_added": (),
    "reason_set": ("to",),
    "status_changed": ("from", "to"),
    "opened": ("days_past_due", "stage"),
    "closed": ("outcome",),
    "hold_placed": ("kind",),
    "hold_released": ("kind",),
    "promise_made": ("currency", "parts"),
    "promise_kept": ("amount", "paid", "currency", "due_on"),
    "promise_partly_kept": ("amount", "paid", "currency", "due_on"),
    "promise_broken": ("amount", "paid", "currency", "due_on"),
    "arrangement_proposed": ("arrangement_kind", "currency", "total_to_pay", "concession", "status"),
    "stage_changed": ("to",),
    "account_joined": ("account",),
    "account_left": ("account",),
    "assigned": (),
    "visit_requested": (),
    "visit_scheduled": ("scheduled_on", "agent_name"),
    "visit_rejected": (),
    "visit_reported": ("outcome", "met"),
}
for _status in ("approved", "rejected", "cancelled", "completed", "broken", "ended"):
    NEEDS[f"arrangement_{_status}"] = ("arrangement_kind",)
for _status in ("paid", "partly_paid", "missed"):
    NEEDS[f"installment_{_status}"] = ("number", "amount", "paid", "currency", "due_on")


def code_of(kind: str, data: dict) -> str:
    """The code an event of an old version was, from its kind and facts ("" if they do not say)."""
    marked = data.get("code", "")
    action = data.get("action", "")
    if kind == "contact":
        return "contact_logged"
    if kind == "message":
        return "message_sent"
    if kind == "note":
        return "note_added"
    if kind == "status":
        if data.get("field") == "reason":
            return "reason_set"
        return marked if marked in ("opened", "closed") else "status_changed"
    if kind in ("hold", "hardship"):
        return {"placed": "hold_placed", "released": "hold_released"}.get(action, "")
    if kind == "promise":
        return marked if marked.startswith("promise_") else ("promise_made" if "parts" in data else "")
    if kind == "arrangement":
        if marked.startswith(("installment_", "arrangement_")):
            return marked
        return f"arrangement_{action}" if action else ""
    if kind == "stage":
        return "stage_changed"
    if kind == "account":
        return marked
    if kind == "assignment":
        return "assigned"
    if kind == "visit":
        return {"requested": "visit_requested", "scheduled": "visit_scheduled", "rejected": "visit_rejected"}.get(
            action, "visit_reported" if action else ""
        )
    return ""


def codes_fill(apps, schema_editor):
    CaseEvent = apps.get_model("collection", "CaseEvent")
    changed = []
    for event in CaseEvent.objects.filter(code="").only("id", "kind", "data", "summary").iterator(chunk_size=CHUNK):
        data = event.data if isinstance(event.data, dict) else {}
        code = code_of(event.kind, data)
        if code in NEEDS and all(key in data for key in NEEDS[code]):
            event.code, event.summary = code, ""
            changed.append(event)
        if len(changed) >= CHUNK:
            CaseEvent.objects.bulk_update(changed, ["code", "summary"])
            changed = []
    if changed:
        CaseEvent.objects.bulk_update(changed, ["code", "summary"])


class Migration(migrations.Migration):
    dependencies = [("collection", "0004_case_unassigned_queue_idx")]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="code",
            field=models.CharField(blank=True, db_default="", default="", max_length=40, verbose_name="code"),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="summary",
            field=models.CharField(blank=True, db_default="", default="", max_length=300, verbose_name="what"),
        ),
        migrations.RunPython(codes_fill, migrations.RunPython.noop, elidable=True),
    ]
