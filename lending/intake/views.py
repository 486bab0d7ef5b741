from django.views.generic import ListView

from accounts.permissions import Capability, CapabilityRequiredMixin
from lending.models import ImportBatch


class ImportListView(CapabilityRequiredMixin, ListView):
    capability = Capability.IMPORT_DATA
    template_name = "lending/imports/import_list.html"
    paginate_by = 50

    def get_queryset(self):
        return ImportBatch.objects.select_related("created_by")
