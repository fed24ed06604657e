"""A slug for every city and organisation (their pages' URLs), filled for existing rows, and
the table of retired slugs that keeps renamed or merged entities' old URLs working."""

from django.db import migrations, models

from search.slugs import SLUG_MAX, unique_slug


def fill_slugs(apps, schema_editor):
    for model_name, kind in (("City", "city"), ("Organisation", "organisation")):
        model = apps.get_model("search", model_name)
        used: set[str] = set()
        for row in model.objects.order_by("id").only("id", "name"):
            row.slug = unique_slug(row.name, kind, used.__contains__)
            used.add(row.slug)
            row.save(update_fields=["slug"])


def slug_field(**kwargs):
    return models.SlugField(max_length=SLUG_MAX + 8, allow_unicode=True, editable=False, **kwargs)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_alert_subscriptions")]

    operations = [
        # No index yet: the unique constraint below brings its own (on PostgreSQL an index
        # here and the constraint's would both create the same "_like" index).
        migrations.AddField("city", "slug", slug_field(null=True, db_index=False)),
        migrations.AddField("organisation", "slug", slug_field(null=True, db_index=False)),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
        migrations.AlterField("city", "slug", slug_field(unique=True)),
        migrations.AlterField("organisation", "slug", slug_field(unique=True)),
        migrations.CreateModel(
            name="RetiredSlug",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("city", "city"), ("organisation", "organisation")],
                        max_length=16,
                    ),
                ),
                ("slug", models.SlugField(allow_unicode=True, max_length=SLUG_MAX + 8)),
                ("target_id", models.PositiveIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "slug"), name="retired_slug_once_per_kind"
                    )
                ]
            },
        ),
    ]
