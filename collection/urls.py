"""Collection's pages, one list of routes per area (collection/views/<area>.py)."""

from collection.views import arrangements, case, case_actions, portfolios, queues, reports, visits

app_name = "collection"

urlpatterns = [
    *queues.urlpatterns,
    *case.urlpatterns,
    *case_actions.urlpatterns,
    *arrangements.urlpatterns,
    *visits.urlpatterns,
    *portfolios.urlpatterns,
    *reports.urlpatterns,
]
