import django.db.models.deletion
import pgtrigger.compiler
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Trial",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=40, unique=True)),
                ("title", models.CharField(max_length=500)),
                ("sponsor", models.CharField(max_length=500)),
                ("registry_ids", models.JSONField(default=list)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["code"],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_trialevent" ("code", "created_at", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "registry_ids", "sponsor", "title") VALUES (NEW."code", NEW."created_at", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."registry_ids", NEW."sponsor", NEW."title"); RETURN NULL;',
                            hash="20119cecaac5ead7fd05a7649566975e7864a46a",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_0727b",
                            table="trials_trial",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "trials_trialevent" ("code", "created_at", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "registry_ids", "sponsor", "title") VALUES (NEW."code", NEW."created_at", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."registry_ids", NEW."sponsor", NEW."title"); RETURN NULL;',
                            hash="d9dd2df5ea5bf2ae18e558bd7045fe937909febe",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_6a86a",
                            table="trials_trial",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_trialevent" ("code", "created_at", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "registry_ids", "sponsor", "title") VALUES (OLD."code", OLD."created_at", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."registry_ids", OLD."sponsor", OLD."title"); RETURN NULL;',
                            hash="2856eff2ae4a773d1d41d17997a642c9263035d9",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_0ffe9",
                            table="trials_trial",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Arm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("ratio", models.PositiveSmallIntegerField(default=1)),
                ("position", models.PositiveSmallIntegerField()),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="arms", to="trials.trial"
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "position"],
                "constraints": [
                    models.UniqueConstraint(fields=("trial", "code"), name="arm_unique_code"),
                    models.CheckConstraint(condition=models.Q(("ratio__gte", 1)), name="arm_ratio_positive"),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_armevent" ("code", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "ratio", "title", "trial_id") VALUES (NEW."code", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."position", NEW."ratio", NEW."title", NEW."trial_id"); RETURN NULL;',
                            hash="bd0824c205211dcbd68d0209f6d1cd8308290f9f",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_2cc37",
                            table="trials_arm",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "trials_armevent" ("code", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "ratio", "title", "trial_id") VALUES (NEW."code", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."position", NEW."ratio", NEW."title", NEW."trial_id"); RETURN NULL;',
                            hash="c746359cdb05e86235ed3ee4a7a2559026164cbf",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_477bf",
                            table="trials_arm",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_armevent" ("code", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "ratio", "title", "trial_id") VALUES (OLD."code", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."position", OLD."ratio", OLD."title", OLD."trial_id"); RETURN NULL;',
                            hash="43eb7045186cfe1b9d095385a57d98426b20022b",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_db946",
                            table="trials_arm",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Factor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("position", models.PositiveSmallIntegerField()),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="factors", to="trials.trial"
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "position"],
                "constraints": [models.UniqueConstraint(fields=("trial", "code"), name="factor_unique_code")],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_factorevent" ("code", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "title", "trial_id") VALUES (NEW."code", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."position", NEW."title", NEW."trial_id"); RETURN NULL;',
                            hash="b288963e54db4087d6a2511369e1d418e3646aa9",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_41a76",
                            table="trials_factor",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "trials_factorevent" ("code", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "title", "trial_id") VALUES (NEW."code", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."position", NEW."title", NEW."trial_id"); RETURN NULL;',
                            hash="73180ccd2032f2f135ae496398440ef4e41431c5",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_19ebc",
                            table="trials_factor",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_factorevent" ("code", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "title", "trial_id") VALUES (OLD."code", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."position", OLD."title", OLD."trial_id"); RETURN NULL;',
                            hash="1b845fdc770403344f2e82e53f483395b170ce05",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_272e4",
                            table="trials_factor",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Site",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=40)),
                ("name", models.CharField(max_length=500)),
                ("time_zone", models.CharField(default="Europe/London", max_length=64)),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="sites", to="trials.trial"
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "code"],
                "constraints": [models.UniqueConstraint(fields=("trial", "code"), name="site_unique_code")],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_siteevent" ("code", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "time_zone", "trial_id") VALUES (NEW."code", NEW."id", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."time_zone", NEW."trial_id"); RETURN NULL;',
                            hash="2c1f608e3fd2048943212642889a47ab3336b8c3",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_c50e4",
                            table="trials_site",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "trials_siteevent" ("code", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "time_zone", "trial_id") VALUES (NEW."code", NEW."id", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."time_zone", NEW."trial_id"); RETURN NULL;',
                            hash="c40d01c8756a3bcce80787105c90a4f61f965268",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_5ce93",
                            table="trials_site",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_siteevent" ("code", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "time_zone", "trial_id") VALUES (OLD."code", OLD."id", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."time_zone", OLD."trial_id"); RETURN NULL;',
                            hash="1535a65cddad6f0cccd1136341d9426ddbc59596",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_42db1",
                            table="trials_site",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="TrialEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("sponsor", models.CharField(max_length=500)),
                ("registry_ids", models.JSONField(default=list)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="trials.trial",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="d49417c4c09124248b2332ae16da4f606d4089c9",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_ff5ed",
                            table="trials_trialevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Level",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("position", models.PositiveSmallIntegerField()),
                (
                    "factor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="levels", to="trials.factor"
                    ),
                ),
            ],
            options={
                "ordering": ["factor_id", "position"],
                "constraints": [models.UniqueConstraint(fields=("factor", "code"), name="level_unique_code")],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_levelevent" ("code", "factor_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "title") VALUES (NEW."code", NEW."factor_id", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."position", NEW."title"); RETURN NULL;',
                            hash="bbdc56260779c51d8a0eabde56cf313ce1c380b5",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_13d9c",
                            table="trials_level",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "trials_levelevent" ("code", "factor_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "title") VALUES (NEW."code", NEW."factor_id", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."position", NEW."title"); RETURN NULL;',
                            hash="8be91044c7ae6cc4e1db57700ffde54d7d91d43c",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_48912",
                            table="trials_level",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_levelevent" ("code", "factor_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "title") VALUES (OLD."code", OLD."factor_id", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."position", OLD."title"); RETURN NULL;',
                            hash="3710657edf30f99450cfbe4b71e040a6086b106e",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_7d414",
                            table="trials_level",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ArmLevel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "arm",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="arm_levels", to="trials.arm"
                    ),
                ),
                (
                    "level",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="arm_levels", to="trials.level"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("arm", "level"), name="armlevel_unique")],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_armlevelevent" ("arm_id", "id", "level_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."arm_id", NEW."id", NEW."level_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id"); RETURN NULL;',
                            hash="0eaf8c21b41860f8052f09c3af10fc5647e09313",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_50a05",
                            table="trials_armlevel",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "trials_armlevelevent" ("arm_id", "id", "level_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."arm_id", NEW."id", NEW."level_id", _pgh_attach_context(), NOW(), \'update\', NEW."id"); RETURN NULL;',
                            hash="32b2eed55f146f50562fa00f009705fb8d9a7a11",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_6c6bd",
                            table="trials_armlevel",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_armlevelevent" ("arm_id", "id", "level_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (OLD."arm_id", OLD."id", OLD."level_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id"); RETURN NULL;',
                            hash="848a0e36f1369840d71fe1ffe211d02fab3a0892",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_0c8fc",
                            table="trials_armlevel",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ArmLevelEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "arm",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.arm",
                    ),
                ),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="trials.armlevel",
                    ),
                ),
                (
                    "level",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.level",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="c898cb20f28cb4bf425455bc33a6313c616dadc7",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_02cce",
                            table="trials_armlevelevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LevelEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("position", models.PositiveSmallIntegerField()),
                (
                    "factor",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.factor",
                    ),
                ),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="trials.level",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="770156f8c67828fc6b188b7d08f60b21345c0f9d",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_c3f91",
                            table="trials_levelevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ProtocolVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("label", models.CharField(max_length=100)),
                ("effective_date", models.DateField()),
                ("document", models.JSONField()),
                ("sha256", models.CharField(max_length=64)),
                ("reason", models.TextField(blank=True)),
                ("source", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="versions", to="trials.trial"
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "number"],
                "constraints": [
                    models.UniqueConstraint(fields=("trial", "number"), name="protocolversion_unique_number"),
                    models.CheckConstraint(
                        condition=models.Q(("number__gte", 1)), name="protocolversion_number_positive"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("number", 1), models.Q(("reason", ""), _negated=True), _connector="OR"),
                        name="protocolversion_amendment_has_reason",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="immutable",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="92daec0aaeb0f05d1cc83fefcbbc5d890190aa92",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_immutable_5aae2",
                            table="trials_protocolversion",
                            when="BEFORE",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_protocolversionevent" ("created_at", "created_by_id", "document", "effective_date", "id", "label", "number", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "sha256", "source", "trial_id") VALUES (NEW."created_at", NEW."created_by_id", NEW."document", NEW."effective_date", NEW."id", NEW."label", NEW."number", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reason", NEW."sha256", NEW."source", NEW."trial_id"); RETURN NULL;',
                            hash="be4b1201ddb872d36a169fd68f9af757562a7236",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_f9e27",
                            table="trials_protocolversion",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "trials_protocolversionevent" ("created_at", "created_by_id", "document", "effective_date", "id", "label", "number", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "sha256", "source", "trial_id") VALUES (NEW."created_at", NEW."created_by_id", NEW."document", NEW."effective_date", NEW."id", NEW."label", NEW."number", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reason", NEW."sha256", NEW."source", NEW."trial_id"); RETURN NULL;',
                            hash="3bf697e0b6bd649e0e642eb32b5d3f2f2f586dfe",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_017a0",
                            table="trials_protocolversion",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "trials_protocolversionevent" ("created_at", "created_by_id", "document", "effective_date", "id", "label", "number", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "sha256", "source", "trial_id") VALUES (OLD."created_at", OLD."created_by_id", OLD."document", OLD."effective_date", OLD."id", OLD."label", OLD."number", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reason", OLD."sha256", OLD."source", OLD."trial_id"); RETURN NULL;',
                            hash="fa6511a0ef0082fee652b35235374303c2f063f9",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_caf26",
                            table="trials_protocolversion",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="SiteEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("code", models.CharField(max_length=40)),
                ("name", models.CharField(max_length=500)),
                ("time_zone", models.CharField(default="Europe/London", max_length=64)),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="trials.site",
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.trial",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="ac929689bc1ba2ef5836f36b96b6abbd70e6eadf",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_d0924",
                            table="trials_siteevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ProtocolVersionEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("number", models.PositiveIntegerField()),
                ("label", models.CharField(max_length=100)),
                ("effective_date", models.DateField()),
                ("document", models.JSONField()),
                ("sha256", models.CharField(max_length=64)),
                ("reason", models.TextField(blank=True)),
                ("source", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="trials.protocolversion",
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.trial",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="da56ec04d2c5c34a025fdcf4ed0678f7fe2ea5ab",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_1268e",
                            table="trials_protocolversionevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="FactorEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("position", models.PositiveSmallIntegerField()),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="trials.factor",
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.trial",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="d7d155fda99de3d1fb941d6af7fbe33e398119e9",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_7deb4",
                            table="trials_factorevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ArmEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("ratio", models.PositiveSmallIntegerField(default=1)),
                ("position", models.PositiveSmallIntegerField()),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="trials.arm",
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.trial",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="57941049f61d8b1b74db2ed1acc29cf9f41168e9",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_1832d",
                            table="trials_armevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="arm",
            name="levels",
            field=models.ManyToManyField(related_name="arms", through="trials.ArmLevel", to="trials.level"),
        ),
    ]
