"""Legal's bundles pages."""

urlpatterns = []
