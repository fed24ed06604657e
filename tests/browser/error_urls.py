"""The site's URLs plus one that fails, to show the 500 page in a real browser."""

from django.urls import path

from smartcity.urls import handler400, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a deliberate failure for the 500 page test")


urlpatterns = [path("boom/", boom), *urlpatterns]
