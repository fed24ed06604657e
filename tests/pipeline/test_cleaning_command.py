"""manage.py parse_article: prints the cleaned article and its facets, saves nothing."""

import json
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from search.models import Article, City
from tests.conftest import SEEDS

FIXTURES = SEEDS.parent / "tests" / "fixtures" / "html"
KEYS = {"title", "date", "year", "source", "cities", "organisations", "body"}


def run(*args, capsys) -> str:
    call_command("parse_article", *map(str, args))
    return capsys.readouterr().out


@pytest.mark.django_db
def test_json_shape_and_nothing_saved(capsys):
    City.objects.create(name="Wuxi")
    out = run(SEEDS / "002_a7fd775cb03b3b55.txt", "--json", capsys=capsys)
    data = json.loads(out)
    assert set(data) >= KEYS
    assert data["title"] == "Wuxi reaps strong partnership to push forward IoT industry"
    assert data["body"].startswith("The city of Wuxi in Jiangsu province entered")
    assert "Biz Updates" not in data["body"]
    assert data["date"] == "2017-03-03" and data["year"] == 2017
    assert "Wuxi" in data["cities"]
    assert "Updated : 2017-03-03" in data["meta_lines"]
    assert Article.objects.count() == 0


@pytest.mark.django_db
def test_format_from_extension_and_option(tmp_path, capsys):
    page = tmp_path / "page.dump"  # unknown extension: the content says HTML
    shutil.copy(FIXTURES / "xinhua.html", page)
    guessed = json.loads(run(page, "--json", capsys=capsys))
    forced = json.loads(run(page, "--format", "html", "--json", capsys=capsys))
    assert guessed == forced
    assert guessed["title"] == "China to build 100 new smart cities by 2025"
    assert guessed["date"] == "2021-06-03"


@pytest.mark.django_db
def test_plain_output_is_readable(capsys):
    out = run(FIXTURES / "globaltimes.html", capsys=capsys)
    assert out.splitlines()[0] == "Yinchuan hosts smart healthcare forum"
    assert "Doctors in Yinchuan" in out
    assert "disqus" not in out.lower()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02\x03" * 100, "binary file"),
        (b"Home > News\n\nNews\nSports\nVideos\nPhotos\n", "not an article"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("parse_article", str(path))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("parse_article", str(tmp_path / "nope.txt"))


@pytest.mark.django_db(transaction=True)
def test_works_without_tables(capsys):
    """On a database that was never migrated, extraction runs on the built-in gazetteer."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "search_city" in tables
    with connection.schema_editor() as editor:
        for model in (Article, City):
            editor.execute(
                f"ALTER TABLE {editor.quote_name(model._meta.db_table)} RENAME TO x_{model._meta.db_table}"
            )
    try:
        data = json.loads(run(SEEDS / "001_02fea0758c87f18a.txt", "--json", capsys=capsys))
    finally:
        with connection.schema_editor() as editor:
            for model in (Article, City):
                editor.execute(
                    f"ALTER TABLE x_{model._meta.db_table} RENAME TO {editor.quote_name(model._meta.db_table)}"
                )
    assert data["title"] == "Yinchuan showcases smarter city achievements at global summit"
    assert data["cities"] == ["Yinchuan"]
    assert data["organisations"] == [
        "China Electronics Corporation",
        "National Health and Family Planning Commission",
    ]
