from django.http import Http404
from django.urls import path


def placeholder(request, **kwargs):
    raise Http404


urlpatterns = [path("portfolios/", placeholder, name="portfolio_list")]
