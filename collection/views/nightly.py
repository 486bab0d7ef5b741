"""Collection's pages: nightly (see collection/nightly)."""

urlpatterns = []
