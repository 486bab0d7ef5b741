"""The legal officer's list of cases near the end of their limitation period."""

urlpatterns = []
