"""Which City and Organisation rows make the gazetteer (search/ingest.current_gazetteer):
those a person made or edited, and every blocked one; never the rows extraction created
for a name it found in one article. So facets do not depend on the order articles were
read, and a second re-extraction with nothing new reads no article again, while an admin's
row is found everywhere at once and a blocked name stays out."""

import pytest
from django.apps import apps

from search import reextraction
from search.ingest import current_gazetteer, ingest, parse
from search.models import Article, City, Organisation

pytestmark = pytest.mark.django_db

# A company that only its "Co., Ltd." suffix shows to be one: extraction finds it by shape
# and creates its row; another article writes the suffix differently.
FIRST = (
    "Zorblax Robotics opens a lab in Wuxi\n\nWUXI, March 3, 2017 - Zorblax Robotics Co., Ltd. "
    "said on Friday it had opened a research laboratory in Wuxi with the city's smart city "
    "office. The company builds sensors for traffic lights.\n"
)
SECOND = (
    "Traffic sensors tested\n\nNANJING, May 5, 2018 - Zorblax Robotics Co Ltd sensors were "
    "tested in Nanjing. Officials said the trial would go on.\n"
)
MADE = "Zorblax Robotics Co., Ltd."


def _organisations(article: Article) -> set[str]:
    return set(article.organisations.values_list("name", flat=True))


def _reextract() -> reextraction.Report:
    batch = Article.objects.order_by("pk").prefetch_related("cities", "organisations")
    return reextraction.reextract_batch(list(batch))


def test_rows_extraction_created_are_not_looked_up_in_other_articles():
    alone = set(parse(SECOND, "text")[1].organisations)
    ingest(FIRST, fmt="text")
    row = Organisation.objects.get(name=MADE)
    assert not row.curated
    assert MADE not in current_gazetteer().organisations.values()
    # The same facets whether or not the first article was read before.
    assert _organisations(ingest(SECOND, fmt="text").article) == alone


def test_a_second_reextraction_with_nothing_new_reads_no_article():
    """The facets the first run stores create rows (as on a corpus whose stored facets came
    from elsewhere); they must not change what the second run's gazetteer reads."""
    for text in (FIRST, SECOND):
        ingest(text, fmt="text")
    Organisation.objects.all().delete()  # stored facets that extraction did not make
    first = _reextract()
    assert first.updated >= 1 and Organisation.objects.filter(name=MADE).exists()
    again = _reextract()
    assert again.skipped == Article.objects.count() and again.updated == 0


def test_an_admin_row_is_found_everywhere_at_once():
    ingest(FIRST, fmt="text")
    # An admin edits the row extraction made: from now on it is a known name.
    row = Organisation.objects.get(name=MADE)
    row.aliases = "Zorblax Robotics Co Ltd"
    row.save()
    assert row.curated
    assert MADE in _organisations(ingest(SECOND, fmt="text").article)
    # A city an admin adds is found in the next article.
    City.objects.create(name="Qorvath")
    text = "Trams for Qorvath\n\nQORVATH, June 1, 2019 - Qorvath ordered forty trams.\n"
    assert "Qorvath" in set(ingest(text, fmt="text").article.cities.values_list("name", flat=True))


def test_a_blocked_row_is_honoured_even_if_extraction_made_it():
    ingest(FIRST, fmt="text")
    City.objects.filter(name="Wuxi").update(blocked=True)  # no save(): still not curated
    assert not City.objects.get(name="Wuxi").curated
    assert "wuxi" in current_gazetteer().blocked_cities
    assert "Wuxi" not in parse(FIRST, "text")[1].cities


def test_the_migration_keeps_what_a_person_made_and_marks_the_rest():
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType

    migration = __import__(
        "search.migrations.0014_extract_facet_curated", fromlist=["mark_extracted_rows"]
    )
    bare = Organisation.objects.create(name="Bare Co", aliases="裸公司")
    spelled = Organisation.objects.create(name="Spelled Co", aliases="SpCo")
    blocked = Organisation.objects.create(name="Blocked Co", blocked=True)
    logged = Organisation.objects.create(name="Logged Co")
    user = User.objects.create(username="admin")
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=str(logged.pk),
        object_repr="Logged Co",
        action_flag=ADDITION,
    )
    migration.mark_extracted_rows(apps, None)
    curated = dict(Organisation.objects.values_list("name", "curated"))
    assert curated == {
        bare.name: False,
        spelled.name: True,
        blocked.name: True,
        logged.name: True,
    }
