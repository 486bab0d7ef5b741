"""Collection's pages: messages (see collection/messages)."""

urlpatterns = []
