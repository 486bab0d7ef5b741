"""
The litigation file page (`/legal/files/<id>/`) and its actions.

Reading: whoever may see the case (a legal officer the legal stage, a
manager every case, a collector their own, read-only); anyone else 404.
Writing: WORK_LEGAL (403 without it), then the file through the same scope
(404 outside it). Each action: capability → file → form → one service call →
message → redirect to the page; a refused form draws the page again with the
form and its errors in place.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, capability_required, user_can
from legal.forms import files as forms
from legal.litigation import court, evidence, files
from legal.litigation.files import CLOSED, FILED_OR_LATER, LitigationError
from legal.litigation.selectors import file_page_get, file_visible_get, files_visible_to
from legal.models import Enforcement, Evidence, FileStatus, Hearing

PREPARING = _("The file is being prepared.")
FILED = _("The filing is recorded; the limitation period restarts from it.")
CLOSED_DONE = _("The file is closed.")
ASSIGNED = _("The file's legal officer and lawyer are saved.")
HEARING_ADDED = _("The hearing is scheduled.")
OUTCOME_SET = _("The hearing's outcome is saved.")
COST_ADDED = _("The cost is recorded.")
JUDGMENT_RECORDED = _("The judgment is recorded.")
ENFORCEMENT_APPLIED = _("The enforcement application is recorded.")
ENFORCEMENT_STATUS_SET = _("The enforcement's status is saved.")
RECOVERED = _("The amount recovered is booked as a payment.")
EVIDENCE_ADDED = _("The exhibit is added.")
EVIDENCE_MOVED = _("The exhibits are in their new order.")
EVIDENCE_REMOVED = _("The exhibit is removed.")


@dataclass(frozen=True)
class Move:
    """A next move offered on the page: its form and the URL it posts to."""

    key: str
    title: str
    form: object
    url_name: str


def _forms(file, bound: dict) -> dict:
    """Every action form of the page, unbound unless the one just posted (with its errors) is in `bound`."""
    today = timezone.localdate()
    accounts = court.recovery_accounts(file)
    made = {
        "prepare": forms.NoteForm(),
        "filing": forms.FilingForm(initial={"filed_on": today, "court": file.court}),
        "close": forms.CloseForm(allowed=files.file_moves(file)),
        "assign": forms.AssignForm(
            initial={"legal_officer": file.legal_officer_id, "outside_lawyer": file.outside_lawyer}
        ),
        "hearing": forms.HearingForm(),
        "cost": forms.CostForm(initial={"incurred_on": today}),
        "judgment": forms.JudgmentForm(initial={"judged_on": today}),
        "enforcement": forms.EnforcementForm(initial={"applied_on": today}),
        "recovery": forms.RecoveryForm(accounts=accounts, initial={"received_on": today}),
        "evidence": forms.EvidenceForm(),
    }
    made.update(bound)
    return made


def _page(request, file, *, bound: dict | None = None, status: int = 200):
    can_work = user_can(request.user, Capability.WORK_LEGAL) and file.is_open
    made = _forms(file, bound or {}) if can_work else {}
    moves = files.file_moves(file)
    next_moves = []
    if can_work:
        if FileStatus.PREPARING in moves:
            next_moves.append(Move("prepare", _("Start preparing"), made["prepare"], "legal:file_prepare"))
        if FileStatus.FILED in moves:
            next_moves.append(Move("filing", _("Record the filing"), made["filing"], "legal:file_filing"))
        if FileStatus.JUDGMENT in moves:
            next_moves.append(Move("judgment", _("Record the judgment"), made["judgment"], "legal:file_judgment"))
        judgment = file.judgment_or_none
        if FileStatus.ENFORCEMENT in moves and judgment is not None and judgment.in_favour:
            next_moves.append(
                Move("enforcement", _("Apply for enforcement"), made["enforcement"], "legal:file_enforcement")
            )
        if moves & set(CLOSED):
            next_moves.append(Move("close", _("Close the file"), made["close"], "legal:file_close"))
    exhibits = list(file.evidence.all())
    context = {
        "file": file,
        "case": file.case,
        "can_work": can_work,
        "forms": made,
        "next_moves": next_moves,
        "can_schedule": can_work and file.status in (FileStatus.FILED, FileStatus.HEARING_SCHEDULED),
        "can_recover": can_work and file.status == FileStatus.ENFORCEMENT,
        "exhibits_fixed": file.status in FILED_OR_LATER,
        "exhibits": exhibits,
        "exhibit_pages": sum(exhibit.pages for exhibit in exhibits),
        "hearing_outcomes": Hearing.Outcome.choices,
        "enforcement_statuses": Enforcement.Status.choices,
    }
    return render(request, "legal/files/detail.html", context, status=status)


@capability_required(Capability.VIEW_CASES)
@require_GET
def file_detail(request, pk):
    return _page(request, file_page_get(request.user, pk))


def _act(request, file, key: str, form, run, done):
    """Validate `form`, call `run(file, cleaned_data)`; on success a message and the page, else the page with errors."""
    if form.is_valid():
        try:
            run(file, form.cleaned_data)
        except LitigationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, done)
            return redirect("legal:file_detail", pk=file.pk)
    return _page(request, file_page_get(request.user, file.pk), bound={key: form})


def _with_user(key: str, form_class, service, done, form_kwargs_for=None):
    @capability_required(Capability.WORK_LEGAL)
    @require_POST
    def view(request, pk):
        file = file_visible_get(request.user, pk)
        kwargs = form_kwargs_for(file) if form_kwargs_for else {}
        form = form_class(request.POST, request.FILES or None, **kwargs)
        return _act(request, file, key, form, lambda file, data: service(file, data, request.user), done)

    view.__name__ = f"file_{key}"
    return view


file_prepare = _with_user(
    "prepare",
    forms.NoteForm,
    lambda file, d, user: files.file_prepare(file=file, actor=user, note=d["note"]),
    PREPARING,
)
file_filing = _with_user(
    "filing",
    forms.FilingForm,
    lambda file, d, user: files.file_filing_record(
        file=file,
        court=d["court"],
        court_case_number=d["court_case_number"],
        filed_on=d["filed_on"],
        actor=user,
        note=d["note"],
    ),
    FILED,
)
file_close = _with_user(
    "close",
    forms.CloseForm,
    lambda file, d, user: files.file_close(file=file, outcome=d["outcome"], actor=user, note=d["note"]),
    CLOSED_DONE,
)
file_assign = _with_user(
    "assign",
    forms.AssignForm,
    lambda file, d, user: files.file_assign(
        file=file, legal_officer=d["legal_officer"], outside_lawyer=d["outside_lawyer"], actor=user
    ),
    ASSIGNED,
)
file_hearing = _with_user(
    "hearing",
    forms.HearingForm,
    lambda file, d, user: court.hearing_add(
        file=file, starts_at=d["starts_at"], place=d["place"], notes=d["notes"], actor=user
    ),
    HEARING_ADDED,
)
file_cost = _with_user(
    "cost",
    forms.CostForm,
    lambda file, d, user: court.cost_add(
        file=file, kind=d["kind"], amount=d["amount"], incurred_on=d["incurred_on"], note=d["note"], actor=user
    ),
    COST_ADDED,
)
file_judgment = _with_user(
    "judgment",
    forms.JudgmentForm,
    lambda file, d, user: court.judgment_record(file=file, actor=user, **d),
    JUDGMENT_RECORDED,
)
file_enforcement = _with_user(
    "enforcement",
    forms.EnforcementForm,
    lambda file, d, user: court.enforcement_apply(
        file=file, applied_on=d["applied_on"], court_reference=d["court_reference"], actor=user
    ),
    ENFORCEMENT_APPLIED,
)
file_evidence = _with_user(
    "evidence",
    forms.EvidenceForm,
    lambda file, d, user: evidence.evidence_add(
        file=file,
        kind=d["kind"],
        name=d["name"],
        source=d["source"],
        proves=d["proves"],
        upload=d["upload"],
        actor=user,
    ),
    EVIDENCE_ADDED,
)


# --- Actions on one hearing, enforcement or exhibit of the file --------------------------------


def _flash_errors(request, form, error: LitigationError | None = None) -> None:
    if error is not None:
        messages.error(request, str(error))
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


def _part_action(model, key: str, form_class, service, done, form_kwargs_for=None):
    """An action on a part of the file (`part_pk`), whose small form lives in a table row: errors become messages."""

    @capability_required(Capability.WORK_LEGAL)
    @require_POST
    def view(request, pk, part_pk):
        file = file_visible_get(request.user, pk)
        part = get_object_or_404(model, pk=part_pk, file=file)
        part.file = file
        form = form_class(request.POST, **(form_kwargs_for(file) if form_kwargs_for else {}))
        if not form.is_valid():
            _flash_errors(request, form)
            return redirect("legal:file_detail", pk=file.pk)
        try:
            service(part, form.cleaned_data, request.user)
        except LitigationError as error:
            _flash_errors(request, forms.NoteForm(), error)
        else:
            messages.success(request, done)
        return redirect("legal:file_detail", pk=file.pk)

    view.__name__ = f"file_{key}"
    return view


hearing_outcome = _part_action(
    Hearing,
    "hearing_outcome",
    forms.HearingOutcomeForm,
    lambda hearing, d, user: court.hearing_outcome_set(
        hearing=hearing, outcome=d["outcome"], notes=d["notes"], actor=user
    ),
    OUTCOME_SET,
)
enforcement_status = _part_action(
    Enforcement,
    "enforcement_status",
    forms.EnforcementStatusForm,
    lambda enforcement, d, user: court.enforcement_status_set(enforcement=enforcement, status=d["status"], actor=user),
    ENFORCEMENT_STATUS_SET,
)
enforcement_recovery = _part_action(
    Enforcement,
    "recovery",
    forms.RecoveryForm,
    lambda enforcement, d, user: court.recovery_record(
        enforcement=enforcement, account=d["account"], amount=d["amount"], received_on=d["received_on"], actor=user
    ),
    RECOVERED,
    form_kwargs_for=lambda file: {"accounts": court.recovery_accounts(file)},
)
evidence_move = _part_action(
    Evidence,
    "evidence_move",
    forms.EvidenceMoveForm,
    lambda exhibit, d, user: evidence.evidence_move(
        evidence=exhibit, direction=d.get("direction") or "", position=d.get("position"), actor=user
    ),
    EVIDENCE_MOVED,
)
evidence_remove = _part_action(
    Evidence,
    "evidence_remove",
    forms.NoteForm,
    lambda exhibit, d, user: evidence.evidence_remove(evidence=exhibit, actor=user),
    EVIDENCE_REMOVED,
)


@capability_required(Capability.VIEW_CASES)
@require_GET
def evidence_download(request, pk, part_pk):
    """
    An exhibit's bytes, for a user who may see the case: always as an
    attachment and never sniffed, so an exhibit cannot run as a page of ours.
    """
    exhibit = get_object_or_404(
        Evidence.objects.select_related("file"), pk=part_pk, file__in=files_visible_to(request.user).filter(pk=pk)
    )
    try:
        handle = exhibit.stored.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{exhibit.file.number}-{exhibit.position:02d}{exhibit.extension}",
        content_type=exhibit.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("files/<int:pk>/", file_detail, name="file_detail"),
    path("files/<int:pk>/prepare/", file_prepare, name="file_prepare"),
    path("files/<int:pk>/filing/", file_filing, name="file_filing"),
    path("files/<int:pk>/close/", file_close, name="file_close"),
    path("files/<int:pk>/assign/", file_assign, name="file_assign"),
    path("files/<int:pk>/hearings/", file_hearing, name="file_hearing"),
    path("files/<int:pk>/hearings/<int:part_pk>/outcome/", hearing_outcome, name="hearing_outcome"),
    path("files/<int:pk>/costs/", file_cost, name="file_cost"),
    path("files/<int:pk>/judgment/", file_judgment, name="file_judgment"),
    path("files/<int:pk>/enforcement/", file_enforcement, name="file_enforcement"),
    path("files/<int:pk>/enforcement/<int:part_pk>/status/", enforcement_status, name="enforcement_status"),
    path("files/<int:pk>/enforcement/<int:part_pk>/recoveries/", enforcement_recovery, name="enforcement_recovery"),
    path("files/<int:pk>/evidence/", file_evidence, name="file_evidence"),
    path("files/<int:pk>/evidence/<int:part_pk>/", evidence_download, name="evidence_download"),
    path("files/<int:pk>/evidence/<int:part_pk>/move/", evidence_move, name="evidence_move"),
    path("files/<int:pk>/evidence/<int:part_pk>/remove/", evidence_remove, name="evidence_remove"),
]


def case_file_section(request, case) -> dict | None:
    """The case page's "Litigation file" section: the case's file (open, else the latest), if there is one."""
    from legal.litigation.selectors import file_for_case

    file = file_for_case(request.user, case)
    if file is None:
        return None
    return {"file": file}
