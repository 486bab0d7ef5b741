"""Collection's pages: experiments (see collection/experiments)."""

urlpatterns = []
