from django.urls import path

from lending.intake import views

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="import_list"),
]
