from django.shortcuts import get_object_or_404, render
from django.views.generic import TemplateView
from django_tables2 import LazyPaginator, RequestConfig

from accounts.permissions import Capability, CapabilityRequiredMixin, capability_required
from lending import selectors
from lending.delinquency import delinquency_as_of
from lending.masking import national_id_for
from lending.tables import BorrowerTable, borrower_flags


class BorrowerListView(CapabilityRequiredMixin, TemplateView):
    """Find a borrower by id, national id, phone, account or name."""

    capability = Capability.VIEW_LENDING
    template_name = "lending/borrower_list.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")
        table = BorrowerTable(selectors.borrower_search(user=self.request.user, query=query), user=self.request.user)
        # Pages without counting a million borrowers.
        RequestConfig(self.request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
        return super().get_context_data(table=table, query=query, **kwargs)


@capability_required(Capability.VIEW_LENDING)
def borrower_detail(request, pk):
    borrower = get_object_or_404(selectors.borrowers_with_details(user=request.user), pk=pk)
    contact_points = list(borrower.contact_points.all())
    return render(
        request,
        "lending/borrower_detail.html",
        {
            "borrower": borrower,
            "national_id": national_id_for(request.user, borrower.national_id),
            "flags": borrower_flags(borrower),
            "own_contact_points": [point for point in contact_points if not point.is_third_party],
            "third_party_contact_points": [point for point in contact_points if point.is_third_party],
            "accounts": borrower.accounts.all(),
        },
    )


@capability_required(Capability.VIEW_LENDING)
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
        },
    )
