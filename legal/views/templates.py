"""
The letter-template editor (managers and legal officers: EDIT_LETTER_TEMPLATES).

- the list of templates, kind by language, with the current version;
- a template's editor: subject and body, the variables and filters beside it,
  the version history, "Save as new version" with a note, and a live preview
  (htmx, debounced) of the unsaved text as the PDF a real case would get;
- one old version, read-only, with its own preview.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Capability, capability_required
from documents.templating import TemplateProblem
from legal.forms.templates import LetterPreviewForm, LetterTemplateVersionForm
from legal.letters.context import letter_preview_case
from legal.letters.preview import letter_preview_fetch, letter_preview_keep, letter_preview_pdf
from legal.letters.template_selectors import (
    letter_template_get,
    letter_template_version_get,
    letter_template_versions,
    letter_templates_listed,
)
from legal.letters.template_tables import LetterTemplateTable
from legal.letters.templates_service import LetterTemplateError, template_source_check, template_version_save
from legal.letters.variables import LETTER_FILTERS, LETTER_VARIABLES

VERSION_SAVED = _("Version %(number)s of %(template)s saved; new letters use it from now on.")
PREVIEW_NO_CASE = _("No case you may see has the number “%(number)s”.")
PREVIEW_NO_OPEN_CASE = _("There is no open case you may see to preview with: enter a case number.")


@require_GET
@capability_required(Capability.EDIT_LETTER_TEMPLATES)
def template_list(request):
    table = LetterTemplateTable(letter_templates_listed(), orderable=False)
    return render(request, "legal/templates/template_list.html", {"table": table})


@require_http_methods(["GET", "POST"])
@capability_required(Capability.EDIT_LETTER_TEMPLATES)
def template_edit(request, pk):
    template = letter_template_get(pk)
    current = template.current_version
    initial = {"subject": current.subject, "body": current.body} if current else {}
    form = LetterTemplateVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = template_version_save(template=template, **form.cleaned_data, actor=request.user)
        except LetterTemplateError as error:
            form.add_error(error.field or None, _problem_text(error.message, error.lineno))
        else:
            messages.success(request, VERSION_SAVED % {"number": version.number, "template": template})
            return redirect("legal:template_edit", pk=template.pk)
    return render(
        request,
        "legal/templates/template_edit.html",
        {
            "template": template,
            "form": form,
            "preview_form": LetterPreviewForm(),
            "versions": letter_template_versions(template),
            "variables": LETTER_VARIABLES,
            "filters": LETTER_FILTERS,
        },
    )


@require_GET
@capability_required(Capability.EDIT_LETTER_TEMPLATES)
def template_version_detail(request, pk, number):
    template = letter_template_get(pk)
    version = letter_template_version_get(template, number)
    return render(
        request,
        "legal/templates/template_version.html",
        {"template": template, "version": version, "preview_form": LetterPreviewForm()},
    )


@require_POST
@capability_required(Capability.EDIT_LETTER_TEMPLATES)
def template_preview(request, pk):
    """The preview panel (an htmx fragment): the PDF of the posted text for a real case, or what is wrong."""
    template = letter_template_get(pk)
    form = LetterPreviewForm(request.POST)
    context = {"template": template}
    if not form.is_valid():
        context["problems"] = [error for errors in form.errors.values() for error in errors]
        return render(request, "legal/templates/_preview.html", context)
    data = form.cleaned_data
    case_number = data["case_number"].strip()
    case = letter_preview_case(request.user, case_number)
    if case is None:
        message = PREVIEW_NO_CASE % {"number": case_number} if case_number else PREVIEW_NO_OPEN_CASE
        context["problems"] = [message]
        return render(request, "legal/templates/_preview.html", context)
    try:
        for field in ("subject", "body"):
            template_source_check(source=data[field], field=field, language=template.language)
        pdf = letter_preview_pdf(template=template, subject=data["subject"], body=data["body"], case=case)
    except LetterTemplateError as error:
        context["problems"] = [_field_problem(error.field, _problem_text(error.message, error.lineno))]
    except TemplateProblem as problem:
        # Fine on the sample data, wrong on this case's (a value it lacks): still the template's problem.
        context["problems"] = [_problem_text(problem.message, problem.lineno)]
    else:
        token = letter_preview_keep(user=request.user, pdf=pdf)
        context.update({"case": case, "pdf_url": reverse("legal:template_preview_pdf", args=[template.pk, token])})
    return render(request, "legal/templates/_preview.html", context)


@never_cache
@xframe_options_sameorigin
@require_GET
@capability_required(Capability.EDIT_LETTER_TEMPLATES)
def template_preview_pdf(request, pk, token):
    """The PDF a preview made, for its frame on the editor's page; only for the user who made it."""
    pdf = letter_preview_fetch(user=request.user, token=token)
    if pdf is None:
        raise Http404
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="preview.pdf"'
    return response


def _problem_text(message: str, lineno: int | None) -> str:
    if lineno:
        return str(_("Line %(line)s: %(problem)s")) % {"line": lineno, "problem": message}
    return message


def _field_problem(field: str, text: str) -> str:
    labels = {"subject": _("Subject"), "body": _("Body")}
    return f"{labels[field]}: {text}" if field in labels else text


urlpatterns = [
    path("letter-templates/", template_list, name="template_list"),
    path("letter-templates/<int:pk>/", template_edit, name="template_edit"),
    path("letter-templates/<int:pk>/versions/<int:number>/", template_version_detail, name="template_version"),
    path("letter-templates/<int:pk>/preview/", template_preview, name="template_preview"),
    path("letter-templates/<int:pk>/preview/<str:token>.pdf", template_preview_pdf, name="template_preview_pdf"),
]
