"""Collection's pages, one list of routes per area (collection/views/<area>.py)."""

from collection.views import (
    arrangements,
    automation,
    case,
    case_actions,
    experiments,
    messages,
    nightly,
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
]
