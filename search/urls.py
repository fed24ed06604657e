from django.urls import path

from search import alert_views, feeds, views

app_name = "search"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("api/search", views.api_search, name="api-search"),
    path("articles/<int:pk>/<str:slug>/", views.article_page, name="article"),
    path("export/<str:fmt>/", views.export_results, name="export"),
    path("feed/", feeds.search_feed, name="feed"),
    path("opensearch.xml", feeds.opensearch, name="opensearch"),
    path("suggest", feeds.suggest, name="suggest"),
    path("alerts/new/", alert_views.alert_new, name="alert-new"),
    path("alerts/confirm/<str:token>/", alert_views.alert_confirm, name="alert-confirm"),
    path(
        "alerts/unsubscribe/<str:token>/", alert_views.alert_unsubscribe, name="alert-unsubscribe"
    ),
    path("alerts/mine/<str:token>/", alert_views.alert_manage, name="alert-manage"),
    path("robots.txt", views.robots_txt, name="robots"),
]
