"""City and Organisation rows say whether a person made them (search/models.py, `curated`):
the gazetteer is built from those only, not from the rows extraction created."""

from django.db import migrations, models


def _is_han_only(aliases: str) -> bool:
    lines = [line.strip() for line in aliases.splitlines() if line.strip()]
    return all(any("\u3400" <= c <= "\u9fff" for c in line) for line in lines)


def mark_extracted_rows(apps, schema_editor) -> None:
    """Rows that look as extraction made them are not curated: never blocked, never added or
    changed in the admin (no log entry), and with no spellings but the Chinese ones the
    built-in data gave them. A row a person made some other way and left so bare adds
    nothing the built-in data lacks but its name, which extraction found anyway."""
    try:
        log_entry = apps.get_model("admin", "LogEntry")
        content_type = apps.get_model("contenttypes", "ContentType")
    except LookupError:
        log_entry = content_type = None
    for name in ("City", "Organisation"):
        model = apps.get_model("search", name)
        logged: set[str] = set()
        if log_entry is not None:
            kind = content_type.objects.filter(app_label="search", model=name.lower()).first()
            if kind is not None:
                logged = set(
                    log_entry.objects.filter(content_type=kind).values_list("object_id", flat=True)
                )
        extracted = [
            pk
            for pk, aliases in model.objects.filter(blocked=False).values_list("pk", "aliases")
            if str(pk) not in logged and _is_han_only(aliases)
        ]
        for start in range(0, len(extracted), 500):
            model.objects.filter(pk__in=extracted[start : start + 500]).update(curated=False)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0013_article_extraction_key"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="city",
            name="curated",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.AddField(
            model_name="organisation",
            name="curated",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.RunPython(mark_extracted_rows, migrations.RunPython.noop),
    ]
