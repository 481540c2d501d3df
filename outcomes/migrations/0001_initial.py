import django.db.models.deletion
import pgtrigger.compiler
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("participants", "0001_initial"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("trials", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BiomarkerSample",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("etg", "Urine ethyl glucuronide (ng/mL)"),
                            ("breath", "Breath alcohol"),
                            ("transdermal", "Transdermal alcohol event"),
                        ],
                        max_length=20,
                    ),
                ),
                ("taken_on", models.DateField()),
                ("value", models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True)),
                ("positive", models.BooleanField()),
                ("visit_code", models.CharField(blank=True, max_length=40)),
                ("entered_at", models.DateTimeField(auto_now_add=True)),
                (
                    "entered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="biomarkers",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "taken_on", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("kind", "transdermal"),
                            models.Q(("value__isnull", False), ("value__gte", 0)),
                            _connector="OR",
                        ),
                        name="biomarker_value_given",
                    )
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_biomarkersampleevent" ("entered_at", "entered_by_id", "id", "kind", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "positive", "taken_on", "value", "visit_code") VALUES (NEW."entered_at", NEW."entered_by_id", NEW."id", NEW."kind", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."positive", NEW."taken_on", NEW."value", NEW."visit_code"); RETURN NULL;',
                            hash="4ff38018c70a1ff5900825ae5251f485f44dc5da",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_1c2e7",
                            table="outcomes_biomarkersample",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "outcomes_biomarkersampleevent" ("entered_at", "entered_by_id", "id", "kind", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "positive", "taken_on", "value", "visit_code") VALUES (NEW."entered_at", NEW."entered_by_id", NEW."id", NEW."kind", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."positive", NEW."taken_on", NEW."value", NEW."visit_code"); RETURN NULL;',
                            hash="021ed85ecc1bb69e61ae7653b114564b19f9a35e",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_b954e",
                            table="outcomes_biomarkersample",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_biomarkersampleevent" ("entered_at", "entered_by_id", "id", "kind", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "positive", "taken_on", "value", "visit_code") VALUES (OLD."entered_at", OLD."entered_by_id", OLD."id", OLD."kind", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."positive", OLD."taken_on", OLD."value", OLD."visit_code"); RETURN NULL;',
                            hash="a6a9c3084f1288da55715be6293ab513cc0a50ea",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_c5311",
                            table="outcomes_biomarkersample",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="BiomarkerSampleEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("etg", "Urine ethyl glucuronide (ng/mL)"),
                            ("breath", "Breath alcohol"),
                            ("transdermal", "Transdermal alcohol event"),
                        ],
                        max_length=20,
                    ),
                ),
                ("taken_on", models.DateField()),
                ("value", models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True)),
                ("positive", models.BooleanField()),
                ("visit_code", models.CharField(blank=True, max_length=40)),
                ("entered_at", models.DateTimeField(auto_now_add=True)),
                (
                    "entered_by",
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
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.participant",
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
                        to="outcomes.biomarkersample",
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
                            hash="93ec056557d172807c6dee8f5010d0d9788e46f8",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_9d8a7",
                            table="outcomes_biomarkersampleevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DataQuery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(help_text="The day reported as abstinent.")),
                ("text", models.TextField()),
                (
                    "status",
                    models.CharField(choices=[("open", "Open"), ("closed", "Closed")], default="open", max_length=10),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("resolution", models.TextField(blank=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="queries",
                        to="participants.participant",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "sample",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="queries",
                        to="outcomes.biomarkersample",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "data queries",
                "ordering": ["participant_id", "day", "pk"],
                "constraints": [models.UniqueConstraint(fields=("sample", "day"), name="dataquery_one_per_sample_day")],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_dataqueryevent" ("created_at", "day", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "resolution", "resolved_at", "resolved_by_id", "sample_id", "status", "text") VALUES (NEW."created_at", NEW."day", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."resolution", NEW."resolved_at", NEW."resolved_by_id", NEW."sample_id", NEW."status", NEW."text"); RETURN NULL;',
                            hash="5682f435250783b507df6859189ec7f1f3f3e8b0",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_83fcd",
                            table="outcomes_dataquery",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "outcomes_dataqueryevent" ("created_at", "day", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "resolution", "resolved_at", "resolved_by_id", "sample_id", "status", "text") VALUES (NEW."created_at", NEW."day", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."resolution", NEW."resolved_at", NEW."resolved_by_id", NEW."sample_id", NEW."status", NEW."text"); RETURN NULL;',
                            hash="7928a6083181e0106c8dd6fcdb56559e5e6649f6",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_57f05",
                            table="outcomes_dataquery",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_dataqueryevent" ("created_at", "day", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "resolution", "resolved_at", "resolved_by_id", "sample_id", "status", "text") VALUES (OLD."created_at", OLD."day", OLD."id", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."resolution", OLD."resolved_at", OLD."resolved_by_id", OLD."sample_id", OLD."status", OLD."text"); RETURN NULL;',
                            hash="e5a242dd6b464690c42f20a73b1cf09cb7039ee2",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_c9683",
                            table="outcomes_dataquery",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DataQueryEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("day", models.DateField(help_text="The day reported as abstinent.")),
                ("text", models.TextField()),
                (
                    "status",
                    models.CharField(choices=[("open", "Open"), ("closed", "Closed")], default="open", max_length=10),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("resolution", models.TextField(blank=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.participant",
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
                        to="outcomes.dataquery",
                    ),
                ),
                (
                    "resolved_by",
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
                    "sample",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="outcomes.biomarkersample",
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
                            hash="4bc3bb8f3282895b63cc9b0a96beb348a853abe0",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_449f9",
                            table="outcomes_dataqueryevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DrinkingRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("tlfb", "Timeline Follow-Back interview"),
                            ("diary", "Participant diary"),
                            ("breathalyser", "Breathalyser"),
                            ("transdermal", "Transdermal monitor"),
                        ],
                        max_length=20,
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, help_text="As entered, in ``unit``.", max_digits=8)),
                (
                    "unit",
                    models.CharField(
                        choices=[
                            ("g", "grams of ethanol"),
                            ("uk_unit", "UK unit (8 g)"),
                            ("us_drink", "US standard drink (14 g)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("grams", models.DecimalField(decimal_places=2, help_text="Grams of ethanol.", max_digits=8)),
                (
                    "visit_code",
                    models.CharField(blank=True, help_text="The schedule event the recall belongs to.", max_length=40),
                ),
                (
                    "change_reason",
                    models.TextField(blank=True, help_text="Why the day was changed after its first entry."),
                ),
                (
                    "entered_by_participant",
                    models.BooleanField(
                        default=False, help_text="Reported by the participant themselves (diary), not entered by staff."
                    ),
                ),
                ("entered_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "entered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="drinking",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "day", "source"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("participant", "day", "source"), name="drinking_one_per_day_source"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("grams__gte", 0), ("amount__gte", 0)), name="drinking_not_negative"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("entered_by_participant", False),
                            models.Q(("entered_by__isnull", True), ("source", "diary")),
                            _connector="OR",
                        ),
                        name="drinking_participant_entry_is_diary",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_drinkingrecordevent" ("amount", "change_reason", "day", "entered_at", "entered_by_id", "entered_by_participant", "grams", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "source", "unit", "updated_at", "visit_code") VALUES (NEW."amount", NEW."change_reason", NEW."day", NEW."entered_at", NEW."entered_by_id", NEW."entered_by_participant", NEW."grams", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."source", NEW."unit", NEW."updated_at", NEW."visit_code"); RETURN NULL;',
                            hash="f58fb0851f65ba9c2a644edde264fc11f3ee5e35",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_c329a",
                            table="outcomes_drinkingrecord",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "outcomes_drinkingrecordevent" ("amount", "change_reason", "day", "entered_at", "entered_by_id", "entered_by_participant", "grams", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "source", "unit", "updated_at", "visit_code") VALUES (NEW."amount", NEW."change_reason", NEW."day", NEW."entered_at", NEW."entered_by_id", NEW."entered_by_participant", NEW."grams", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."source", NEW."unit", NEW."updated_at", NEW."visit_code"); RETURN NULL;',
                            hash="d0f80944802c529bc6739eb12c45bb4ab0b19be3",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_356ce",
                            table="outcomes_drinkingrecord",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_drinkingrecordevent" ("amount", "change_reason", "day", "entered_at", "entered_by_id", "entered_by_participant", "grams", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "source", "unit", "updated_at", "visit_code") VALUES (OLD."amount", OLD."change_reason", OLD."day", OLD."entered_at", OLD."entered_by_id", OLD."entered_by_participant", OLD."grams", OLD."id", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."source", OLD."unit", OLD."updated_at", OLD."visit_code"); RETURN NULL;',
                            hash="6c8824c1783facd3ba731943aaea3e91e1a43a81",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_86ffd",
                            table="outcomes_drinkingrecord",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DrinkingRecordEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("day", models.DateField()),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("tlfb", "Timeline Follow-Back interview"),
                            ("diary", "Participant diary"),
                            ("breathalyser", "Breathalyser"),
                            ("transdermal", "Transdermal monitor"),
                        ],
                        max_length=20,
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, help_text="As entered, in ``unit``.", max_digits=8)),
                (
                    "unit",
                    models.CharField(
                        choices=[
                            ("g", "grams of ethanol"),
                            ("uk_unit", "UK unit (8 g)"),
                            ("us_drink", "US standard drink (14 g)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("grams", models.DecimalField(decimal_places=2, help_text="Grams of ethanol.", max_digits=8)),
                (
                    "visit_code",
                    models.CharField(blank=True, help_text="The schedule event the recall belongs to.", max_length=40),
                ),
                (
                    "change_reason",
                    models.TextField(blank=True, help_text="Why the day was changed after its first entry."),
                ),
                (
                    "entered_by_participant",
                    models.BooleanField(
                        default=False, help_text="Reported by the participant themselves (diary), not entered by staff."
                    ),
                ),
                ("entered_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "entered_by",
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
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.participant",
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
                        to="outcomes.drinkingrecord",
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
                            hash="37a8ec1756397ee630b5db22b005b15dbdefae40",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_79e23",
                            table="outcomes_drinkingrecordevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ExportLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("format", models.CharField(max_length=20)),
                ("dataset", models.CharField(max_length=40)),
                (
                    "filters",
                    models.JSONField(default=dict, help_text="Sites, blinded, and any other restriction applied."),
                ),
                ("factors", models.JSONField(default=list, help_text="The factor columns the file carries.")),
                ("via", models.CharField(help_text="api or command", max_length=20)),
                ("rows", models.PositiveBigIntegerField(blank=True, null=True)),
                ("bytes", models.PositiveBigIntegerField(blank=True, null=True)),
                ("sha256", models.CharField(blank=True, max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="exports", to="trials.trial"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty when the system itself exported (a command run without --as).",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "created_at", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("completed_at__isnull", True),
                            models.Q(("rows__isnull", False), models.Q(("sha256", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="exportlog_complete_has_checksum",
                    )
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_exportlogevent" ("bytes", "completed_at", "created_at", "dataset", "factors", "filters", "format", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rows", "sha256", "trial_id", "user_id", "via") VALUES (NEW."bytes", NEW."completed_at", NEW."created_at", NEW."dataset", NEW."factors", NEW."filters", NEW."format", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."rows", NEW."sha256", NEW."trial_id", NEW."user_id", NEW."via"); RETURN NULL;',
                            hash="18a7253d571eb9fc6b91d696dc02bad6339ee81c",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_5692b",
                            table="outcomes_exportlog",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "outcomes_exportlogevent" ("bytes", "completed_at", "created_at", "dataset", "factors", "filters", "format", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rows", "sha256", "trial_id", "user_id", "via") VALUES (NEW."bytes", NEW."completed_at", NEW."created_at", NEW."dataset", NEW."factors", NEW."filters", NEW."format", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."rows", NEW."sha256", NEW."trial_id", NEW."user_id", NEW."via"); RETURN NULL;',
                            hash="0d4e41bba861e2dccadec0c7f69575ab217ab103",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_48b3f",
                            table="outcomes_exportlog",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_exportlogevent" ("bytes", "completed_at", "created_at", "dataset", "factors", "filters", "format", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rows", "sha256", "trial_id", "user_id", "via") VALUES (OLD."bytes", OLD."completed_at", OLD."created_at", OLD."dataset", OLD."factors", OLD."filters", OLD."format", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."rows", OLD."sha256", OLD."trial_id", OLD."user_id", OLD."via"); RETURN NULL;',
                            hash="04c06287b4a4eb09899e8fee971a8606fc203748",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_ed0db",
                            table="outcomes_exportlog",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ExportLogEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("format", models.CharField(max_length=20)),
                ("dataset", models.CharField(max_length=40)),
                (
                    "filters",
                    models.JSONField(default=dict, help_text="Sites, blinded, and any other restriction applied."),
                ),
                ("factors", models.JSONField(default=list, help_text="The factor columns the file carries.")),
                ("via", models.CharField(help_text="api or command", max_length=20)),
                ("rows", models.PositiveBigIntegerField(blank=True, null=True)),
                ("bytes", models.PositiveBigIntegerField(blank=True, null=True)),
                ("sha256", models.CharField(blank=True, max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
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
                        to="outcomes.exportlog",
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
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text="Empty when the system itself exported (a command run without --as).",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to=settings.AUTH_USER_MODEL,
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
                            hash="2a73bf3513ae217048c561a2e1cebe1d67afbecd",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_54574",
                            table="outcomes_exportlogevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="QuestionnaireResponse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("instrument", models.CharField(max_length=20)),
                ("administered_on", models.DateField()),
                ("visit_code", models.CharField(blank=True, max_length=40)),
                ("items", models.JSONField(help_text="Item number (text) → score, or null when not answered.")),
                ("missing_items", models.PositiveSmallIntegerField()),
                ("total", models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                ("prorated", models.BooleanField(default=False)),
                ("entered_at", models.DateTimeField(auto_now_add=True)),
                (
                    "entered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="questionnaires",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "administered_on", "instrument", "pk"],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_questionnaireresponseevent" ("administered_on", "entered_at", "entered_by_id", "id", "instrument", "items", "missing_items", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "prorated", "total", "visit_code") VALUES (NEW."administered_on", NEW."entered_at", NEW."entered_by_id", NEW."id", NEW."instrument", NEW."items", NEW."missing_items", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."prorated", NEW."total", NEW."visit_code"); RETURN NULL;',
                            hash="c27fb6f420e43876b09c81f39d88e0fd00bd9dd7",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_ab412",
                            table="outcomes_questionnaireresponse",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "outcomes_questionnaireresponseevent" ("administered_on", "entered_at", "entered_by_id", "id", "instrument", "items", "missing_items", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "prorated", "total", "visit_code") VALUES (NEW."administered_on", NEW."entered_at", NEW."entered_by_id", NEW."id", NEW."instrument", NEW."items", NEW."missing_items", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."prorated", NEW."total", NEW."visit_code"); RETURN NULL;',
                            hash="5041e572a5bc31a216ee46803f900483b88c3298",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_b5498",
                            table="outcomes_questionnaireresponse",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "outcomes_questionnaireresponseevent" ("administered_on", "entered_at", "entered_by_id", "id", "instrument", "items", "missing_items", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "prorated", "total", "visit_code") VALUES (OLD."administered_on", OLD."entered_at", OLD."entered_by_id", OLD."id", OLD."instrument", OLD."items", OLD."missing_items", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."prorated", OLD."total", OLD."visit_code"); RETURN NULL;',
                            hash="71fb79f1cb872767d288f1c6fdd17b246c4c01d5",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_14eae",
                            table="outcomes_questionnaireresponse",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="QuestionnaireResponseEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("instrument", models.CharField(max_length=20)),
                ("administered_on", models.DateField()),
                ("visit_code", models.CharField(blank=True, max_length=40)),
                ("items", models.JSONField(help_text="Item number (text) → score, or null when not answered.")),
                ("missing_items", models.PositiveSmallIntegerField()),
                ("total", models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                ("prorated", models.BooleanField(default=False)),
                ("entered_at", models.DateTimeField(auto_now_add=True)),
                (
                    "entered_by",
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
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.participant",
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
                        to="outcomes.questionnaireresponse",
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
                            hash="f8723e9e9383b6947193be04e751153afb815978",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_d3dac",
                            table="outcomes_questionnaireresponseevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
    ]
