from django.urls import path

from lending.credit_lines import views

# Included in lending/urls.py (namespace "lending").
urlpatterns = [
    path("accounts/<int:pk>/credit-line/freeze/", views.credit_line_freeze, name="credit_line_freeze"),
    path("accounts/<int:pk>/credit-line/cut/", views.credit_line_cut, name="credit_line_cut"),
    path("accounts/<int:pk>/credit-line/restore/", views.credit_line_restore, name="credit_line_restore"),
    path("core-deliveries/", views.core_deliveries, name="core_deliveries"),
    path("core-deliveries/retry-failed/", views.core_deliveries_retry_failed, name="core_deliveries_retry_failed"),
    path("core-deliveries/<int:pk>/retry/", views.core_delivery_retry, name="core_delivery_retry"),
]
