"""Legal's files pages."""

urlpatterns = []
