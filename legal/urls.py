"""Legal's pages; each part keeps its routes beside its views (legal/views/)."""

from legal.views import bundles, files, letters, limitation, referrals, templates, workspace

app_name = "legal"
urlpatterns = [
    *workspace.urlpatterns,
    *letters.urlpatterns,
    *templates.urlpatterns,
    *referrals.urlpatterns,
    *limitation.urlpatterns,
    *files.urlpatterns,
    *bundles.urlpatterns,
]
