"""Legal's letters pages."""

urlpatterns = []
