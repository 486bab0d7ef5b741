"""Agency pages (issue 13): filled in by the part that owns this module."""

urlpatterns = []
