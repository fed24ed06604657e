from django.contrib import admin
from django.db.models import Count

from search.models import Article, City, Organisation


class FacetValueAdmin(admin.ModelAdmin):
    list_display = ["name", "aliases_shown", "article_count"]
    search_fields = ["name", "aliases"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_articles=Count("articles"))

    @admin.display(description="aliases")
    def aliases_shown(self, obj) -> str:
        return ", ".join(obj.alias_list)

    @admin.display(description="articles", ordering="n_articles")
    def article_count(self, obj) -> int:
        return obj.n_articles


@admin.register(City)
class CityAdmin(FacetValueAdmin):
    pass


@admin.register(Organisation)
class OrganisationAdmin(FacetValueAdmin):
    pass


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "published_date", "year", "source_name", "facets_manual"]
    list_filter = ["year", "source_name", "facets_manual", "is_synthetic"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_date"
    autocomplete_fields = ["cities", "organisations"]
    readonly_fields = ["content_hash", "raw_format", "created", "updated"]
