from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import TemplateView
from django_tables2 import LazyPaginator, RequestConfig

from accounts.permissions import Capability, CapabilityRequiredMixin, object_capability_required, user_can
from accounts.services import audit_record
from lending import selectors
from lending.credit_lines.views import line_context_for
from lending.delinquency import delinquency_as_of
from lending.masking import (
    borrower_detail_reveal,
    borrower_full_view_record,
    contact_rows,
    national_id_for,
    sees_full_personal_data,
)
from lending.models import ContactPoint
from lending.services import LendingError
from lending.tables import BorrowerTable, borrower_flags


class BorrowerListView(CapabilityRequiredMixin, TemplateView):
    """Find a borrower by id, account or name (and, for who sees them whole, national id, phone or e-mail)."""

    capability = Capability.VIEW_LENDING
    template_name = "lending/borrower_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        query = self.request.GET.get("q", "").strip()
        table = BorrowerTable(selectors.borrower_search(user=user, query=query), user=user)
        # Pages without counting a million borrowers.
        RequestConfig(self.request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
        if sees_full_personal_data(user):
            # The list shows national ids whole, and the search may have used one: both are audited.
            audit_record(
                action="lending.borrower_list.full_viewed",
                actor=user,
                data={
                    "searched": bool(query),
                    "borrower_ids": [row.record.pk for row in table.page.object_list],
                },
            )
        return super().get_context_data(
            table=table,
            query=query,
            search_by_personal_data=selectors.search_by_personal_data_allowed(user),
            **kwargs,
        )


def _borrower_page(request, pk, revealed: dict | None = None):
    """The borrower page: personal data masked unless the user sees it whole (audited) or just revealed it."""
    revealed = revealed or {}
    borrower = get_object_or_404(selectors.borrowers_with_details(user=request.user), pk=pk)
    points = list(borrower.contact_points.all())
    own_rows, third_rows = contact_rows(request.user, points, revealed.get("contacts", {}))
    national_id = revealed.get("national_id") or national_id_for(request.user, borrower.national_id)
    national_id_masked = national_id != borrower.national_id
    if sees_full_personal_data(request.user):
        borrower_full_view_record(borrower=borrower, actor=request.user, page="borrower")
    return render(
        request,
        "lending/borrower_detail.html",
        {
            "borrower": borrower,
            "national_id": national_id,
            "can_reveal_national_id": national_id_masked and user_can(request.user, Capability.REVEAL_CONTACT_DETAILS),
            "flags": borrower_flags(borrower),
            "own_contact_points": own_rows,
            "third_party_contact_points": third_rows,
            "accounts": borrower.accounts.all(),
        },
    )


@object_capability_required(Capability.VIEW_LENDING)
def borrower_detail(request, pk):
    return _borrower_page(request, pk)


@object_capability_required(Capability.REVEAL_CONTACT_DETAILS)
def borrower_reveal(request, pk):
    """One deliberate look at a whole national id or contact point value; audited by the service."""
    borrower = get_object_or_404(selectors.borrowers_visible_to(request.user), pk=pk)
    if request.method != "POST":  # after the scope: outside it, 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    field_name = request.POST.get("field", "")
    point = None
    if field_name == "contact":
        point_id = request.POST.get("contact_point", "")
        point = get_object_or_404(ContactPoint, pk=int(point_id) if point_id.isdigit() else 0, borrower=borrower)
    try:
        value = borrower_detail_reveal(borrower=borrower, field=field_name, actor=request.user, contact_point=point)
    except LendingError as error:
        if request.htmx:
            return render(request, "lending/_revealable_shown.html", {"error": str(error)})
        messages.error(request, str(error))
        return redirect("lending:borrower_detail", pk=borrower.pk)
    if request.htmx:
        return render(request, "lending/_revealable_shown.html", {"value": value})
    revealed = {"national_id": value} if point is None else {"contacts": {point.pk: value}}
    return _borrower_page(request, borrower.pk, revealed=revealed)


@object_capability_required(Capability.VIEW_LENDING)
def account_detail(request, pk):
    account = get_object_or_404(selectors.accounts_with_details(user=request.user), pk=pk)
    return render(
        request,
        "lending/account_detail.html",
        {
            "account": account,
            "borrower": account.borrower,
            "currency": account.product.currency,
            "installments": account.installments.all(),
            "payments": account.payments.all(),
            "limit_changes": account.limit_changes.all(),
            "as_of": delinquency_as_of(),
            **line_context_for(request.user, account),
        },
    )
