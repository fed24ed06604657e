from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("api/search", views.api_search, name="api-search"),
    path("articles/<int:pk>/<str:slug>/", views.article_page, name="article"),
    path("export/<str:fmt>/", views.export_results, name="export"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
]
