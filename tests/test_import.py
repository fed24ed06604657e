import pytest
from django.core.management import CommandError, call_command

from search.models import Article
from tests.conftest import SEEDS


def run_import(*paths, capsys=None) -> str:
    call_command("import_articles", *map(str, paths), verbosity=0)
    return capsys.readouterr().out if capsys else ""


@pytest.mark.django_db
def test_seed_import_creates_five_articles_and_is_idempotent(capsys):
    assert run_import(SEEDS, capsys=capsys).strip() == "5 new, 0 unchanged, 0 failed"
    assert Article.objects.count() == 5
    assert run_import(SEEDS, capsys=capsys).strip() == "0 new, 5 unchanged, 0 failed"
    assert Article.objects.count() == 5


@pytest.mark.django_db
def test_a_broken_file_fails_alone(tmp_path, capsys):
    folder = tmp_path / "batch"
    (folder / "nested").mkdir(parents=True)
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        (folder / "nested" / seed.name).write_bytes(seed.read_bytes())
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (folder / "empty.html").write_bytes(b"")
    (folder / "ignored.pdf").write_bytes(b"%PDF")

    with pytest.raises(CommandError):
        call_command("import_articles", str(folder), verbosity=0)
    captured = capsys.readouterr()

    assert captured.out.strip() == "2 new, 0 unchanged, 2 failed"
    assert "binary.txt: binary file" in captured.err
    assert "empty.html: empty file" in captured.err
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_missing_path_is_reported(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path / "nope"), verbosity=0)
    assert "no such file or folder" in capsys.readouterr().err


@pytest.mark.django_db
def test_same_content_with_other_line_endings_is_one_article(tmp_path, capsys):
    text = (SEEDS / "000_0acff4edae157fd1.txt").read_text(encoding="utf-8")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert run_import(tmp_path, capsys=capsys).strip() == "1 new, 1 unchanged, 0 failed"
