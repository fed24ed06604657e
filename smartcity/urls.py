from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("search.urls")),
]

handler400 = "smartcity.error_pages.bad_request"
handler404 = "smartcity.error_pages.not_found"
handler500 = "smartcity.error_pages.server_error"
