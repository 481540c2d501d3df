"""Write the roles declared in core.roles to the database.

A later change to the declared roles comes with its own migration calling ``sync`` again.
"""

from django.db import migrations


def sync(apps, schema_editor):
    from core.roles import ROLE_SPECS

    RoleDefinition = apps.get_model("trialtracker", "RoleDefinition")
    for spec in ROLE_SPECS:
        RoleDefinition.objects.update_or_create(
            code=str(spec.code),
            defaults={"title": spec.title, "description": spec.description, "read_only": spec.read_only},
        )


class Migration(migrations.Migration):
    dependencies = [("trialtracker", "0001_initial")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
