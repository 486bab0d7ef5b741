"""Collection's pages, one list of routes per area (collection/views/<area>.py)."""

from collection.views import (
    agencies,
    agency_files,
    agency_portal,
    arrangements,
    automation,
    case,
    case_actions,
    commissions,
    experiments,
    messages,
    nightly,
    placements,
    portfolios,
    queues,
    reminders,
    reports,
    strategies,
    visits,
)

app_name = "collection"

urlpatterns = [
    *queues.urlpatterns,
    *case.urlpatterns,
    *case_actions.urlpatterns,
    *arrangements.urlpatterns,
    *visits.urlpatterns,
    *portfolios.urlpatterns,
    *reports.urlpatterns,
    *messages.urlpatterns,
    *reminders.urlpatterns,
    *strategies.urlpatterns,
    *experiments.urlpatterns,
    *nightly.urlpatterns,
    *automation.urlpatterns,
    *agencies.urlpatterns,
    *placements.urlpatterns,
    *agency_portal.urlpatterns,
    *commissions.urlpatterns,
    *agency_files.urlpatterns,
]
