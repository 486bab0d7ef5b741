"""Collection's pages, one list of routes per area (collection/views/<area>.py)."""

from collection.views import arrangements, case, queues, visits

app_name = "collection"

urlpatterns = [*queues.urlpatterns, *case.urlpatterns, *arrangements.urlpatterns, *visits.urlpatterns]
