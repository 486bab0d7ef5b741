"""Collection's pages: reminders (see collection/reminders)."""

urlpatterns = []
