from django.http import Http404
from django.urls import path


def placeholder(request, **kwargs):
    raise Http404


urlpatterns = [path("arrangements/approvals/", placeholder, name="approval_queue")]
