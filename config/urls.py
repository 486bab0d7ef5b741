from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("lending.urls")),
    path("", include("collection.urls")),
    path("legal/", include("legal.urls")),
]
