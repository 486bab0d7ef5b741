from django.urls import path

from lending import views
from lending.credit_lines.urls import urlpatterns as credit_line_urlpatterns
from lending.intake.urls import urlpatterns as intake_urlpatterns

app_name = "lending"

urlpatterns = [
    path("borrowers/", views.BorrowerListView.as_view(), name="borrower_list"),
    path("borrowers/<int:pk>/", views.borrower_detail, name="borrower_detail"),
    path("borrowers/<int:pk>/reveal/", views.borrower_reveal, name="borrower_reveal"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    *intake_urlpatterns,
    *credit_line_urlpatterns,
]
