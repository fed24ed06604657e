"""Chinese names beside the facet names, and cities keyed on their GeoNames id.

Existing rows get what the gazetteer knows (its Chinese name and spellings, the place's id);
an admin's own aliases are kept and the Chinese spellings added after them."""

from django.db import migrations, models


def fill(apps, schema_editor):
    city, organisation = apps.get_model("search", "City"), apps.get_model("search", "Organisation")
    if not city.objects.exists() and not organisation.objects.exists():
        return  # a new database: nothing to fill, and no need to load the gazetteer
    from search.pipeline.gazetteer import facet_details

    taken = set()
    for kind, model in (("city", city), ("organisation", organisation)):
        for row in model.objects.all():
            details = facet_details(kind, row.name)
            aliases = row.aliases.splitlines()
            row.aliases = "\n".join(aliases + [a for a in details.aliases if a not in aliases])
            row.name_zh = row.name_zh or details.name_zh
            fields = ["aliases", "name_zh"]
            if kind == "city" and details.geonameid and details.geonameid not in taken:
                taken.add(details.geonameid)
                row.geonameid = details.geonameid
                fields.append("geonameid")
            row.save(update_fields=fields)


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0009_postgres_rum_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='city',
            name='geonameid',
            field=models.PositiveIntegerField(blank=True, null=True, unique=True, verbose_name='GeoNames id'),
        ),
        migrations.AddField(
            model_name='city',
            name='name_zh',
            field=models.CharField(blank=True, help_text='Shown beside the name, e.g. 深圳 for Shenzhen.', max_length=255, verbose_name='Chinese name'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='name_zh',
            field=models.CharField(blank=True, help_text='Shown beside the name, e.g. 深圳 for Shenzhen.', max_length=255, verbose_name='Chinese name'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
