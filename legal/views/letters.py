"""
Legal's letters pages: a letter from the case page, its download, and the
batch — started from a filtered case list, followed on a page that polls.

Letters are read only through their case (case_visible_get): an outsider
gets 404; the file is streamed by the view, never a public media URL.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Capability, capability_required, user_can
from collection.compliance import ContactRefused
from collection.errors import CollectionError
from collection.selectors.cases import case_visible_get
from legal.forms.letters import LetterBatchForm, LetterGenerateForm
from legal.letters import selectors
from legal.letters.batches import letter_batch_enqueue, letter_batch_start
from legal.letters.events import batch_problem_text, language_name
from legal.letters.services import letter_generate
from legal.models import LetterBatch, LetterKind

LETTER_MADE = ngettext_lazy("%(kind)s generated (%(pages)d page).", "%(kind)s generated (%(pages)d pages).", "pages")
LETTER_ALREADY = gettext_lazy("%(kind)s was already generated today: here is that letter, no second one was made.")
BATCH_STARTED = gettext_lazy("The batch is started: %(count)d letters.")
BATCH_RESUMED = gettext_lazy("The batch is taken up again: the letters still waiting are being made.")
BATCH_SOURCE_MISSING = gettext_lazy("Open the batch from a queue or the legal workspace.")


# --- The case page -------------------------------------------------------------------------


def letters_section_context(request, case) -> dict | None:
    """The case page's "Letters" section (registered in legal.letters.register): None for who may not read letters."""
    user = request.user
    if not selectors.letters_readable(user):
        return None
    letters = list(selectors.case_letters(case))
    for letter in letters:
        letter.language_name = language_name(letter.language)
    return {
        "case": case,
        "letters": letters,
        "form": LetterGenerateForm() if user_can(user, Capability.SEND_LETTERS) else None,
    }


@capability_required(Capability.SEND_LETTERS)
@require_POST
def letter_generate_view(request, case_pk: int):
    case = case_visible_get(request.user, case_pk)
    back = reverse("collection:case_detail", args=[case.pk]) + "#case-letters"
    form = LetterGenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a kind of letter."))
        return redirect(back)
    kind = form.cleaned_data["kind"]
    try:
        document = letter_generate(case=case, kind=kind, actor=request.user)
    except ContactRefused as refused:
        messages.error(request, _("The letter was not generated: %(reason)s") % {"reason": refused})
        return redirect(back)
    except CollectionError as error:
        messages.error(request, str(error))
        return redirect(back)
    values = {"kind": LetterKind(kind).label, "pages": document.pages}
    if document.existing:
        messages.info(request, LETTER_ALREADY % values)
    else:
        messages.success(request, LETTER_MADE % values)
    return redirect(back)


@require_GET
def letter_download(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.letters_readable(request.user):
        raise Http404
    document = selectors.letter_visible_get(request.user, pk)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.filename, content_type="application/pdf"
    )


# --- Batches -------------------------------------------------------------------------------


@capability_required(Capability.SEND_LETTERS)
@require_http_methods(["GET", "POST"])
def batch_new(request):
    """Letters for the cases a queue (or the legal workspace) lists with its current filter."""
    cases = selectors.batch_source_cases(request.user, request.GET)
    if cases is None:
        raise Http404(BATCH_SOURCE_MISSING)
    form = LetterBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = letter_batch_start(cases=cases, kind=form.cleaned_data["kind"], actor=request.user)
        except CollectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, BATCH_STARTED % {"count": batch.total})
            return redirect("legal:batch_detail", pk=batch.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "legal/batches/new.html",
        {
            "form": form,
            "count": cases.count(),
            "query": query.urlencode(),
            "source": request.GET.get("queue", ""),
        },
    )


BATCH_LIST_SIZE = 50


@capability_required(Capability.SEND_LETTERS)
@require_GET
def batch_list(request):
    """The user's recent batches (every batch for who sees every case), and the legal cases' batch link."""
    return render(
        request,
        "legal/batches/list.html",
        {
            "batches": selectors.batches_visible_to(request.user)[:BATCH_LIST_SIZE],
            "legal_source": selectors.LEGAL_SOURCE if user_can(request.user, Capability.WORK_LEGAL) else "",
        },
    )


def _batch_context(batch: LetterBatch) -> dict:
    failed = list(selectors.batch_failed_items(batch)) if batch.status == LetterBatch.Status.DONE else []
    for item in failed:
        item.reason = batch_problem_text(item.error_code, item.error_data)
    return {"batch": batch, "progress": selectors.batch_progress(batch), "failed": failed}


@capability_required(Capability.SEND_LETTERS)
@require_GET
def batch_detail(request, pk: int):
    """The batch's progress; htmx polls the bar every second (the partial) until it is done."""
    batch = selectors.batch_visible_get(request.user, pk)
    context = _batch_context(batch)
    if request.htmx and request.htmx.target == "batch-progress":
        return render(request, "legal/batches/_progress.html", context)
    return render(request, "legal/batches/detail.html", context)


@capability_required(Capability.SEND_LETTERS)
@require_POST
def batch_resume(request, pk: int):
    """Send the batch's task again (a worker died): it takes up the letters still waiting, none twice."""
    batch = selectors.batch_visible_get(request.user, pk)
    if batch.status != LetterBatch.Status.DONE:
        letter_batch_enqueue(batch_id=batch.pk)
        messages.info(request, BATCH_RESUMED)
    return redirect("legal:batch_detail", pk=batch.pk)


BATCH_FILES = {"zip": ("zip_file", "application/zip", "zip"), "pdf": ("merged_file", "application/pdf", "pdf")}


@capability_required(Capability.SEND_LETTERS)
@require_GET
def batch_file(request, pk: int, which: str):
    if which not in BATCH_FILES:
        raise Http404
    batch = selectors.batch_visible_get(request.user, pk)
    field_name, content_type, extension = BATCH_FILES[which]
    stored = getattr(batch, field_name)
    if not stored:
        raise Http404
    filename = f"{batch}-{batch.kind}-{batch.issued_on:%Y%m%d}.{extension}"
    return FileResponse(stored.open("rb"), as_attachment=True, filename=filename, content_type=content_type)


urlpatterns = [
    path("cases/<int:case_pk>/letters/", letter_generate_view, name="letter_generate"),
    path("letters/<int:pk>/download/", letter_download, name="letter_download"),
    path("letters/batch/", batch_new, name="batch_new"),
    path("letters/batches/", batch_list, name="batch_list"),
    path("letters/batches/<int:pk>/", batch_detail, name="batch_detail"),
    path("letters/batches/<int:pk>/resume/", batch_resume, name="batch_resume"),
    path("letters/batches/<int:pk>/<str:which>/", batch_file, name="batch_file"),
]
