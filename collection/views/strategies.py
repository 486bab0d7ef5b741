"""Collection's pages: strategies (see collection/strategies)."""

urlpatterns = []
