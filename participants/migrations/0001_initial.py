import django.db.models.deletion
import encrypted_fields.fields
import pgtrigger.compiler
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        ("trials", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RandomisationList",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stratum", models.CharField(max_length=200)),
                ("seed", models.CharField(max_length=64)),
                ("blocks", models.PositiveIntegerField()),
                ("fingerprint", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="randomisation_lists",
                        to="trials.trial",
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "stratum"],
                "constraints": [models.UniqueConstraint(fields=("trial", "stratum"), name="randlist_unique_stratum")],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_randomisationlistevent" ("blocks", "created_at", "created_by_id", "fingerprint", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "seed", "stratum", "trial_id", "updated_at") VALUES (NEW."blocks", NEW."created_at", NEW."created_by_id", NEW."fingerprint", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."seed", NEW."stratum", NEW."trial_id", NEW."updated_at"); RETURN NULL;',
                            hash="55afde1e5fcc78a96b104511abe0a5eb92b2561b",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_968bd",
                            table="participants_randomisationlist",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_randomisationlistevent" ("blocks", "created_at", "created_by_id", "fingerprint", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "seed", "stratum", "trial_id", "updated_at") VALUES (NEW."blocks", NEW."created_at", NEW."created_by_id", NEW."fingerprint", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."seed", NEW."stratum", NEW."trial_id", NEW."updated_at"); RETURN NULL;',
                            hash="ec2a36cdce04fbcb06b20bbfcb978a4754df9528",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_69719",
                            table="participants_randomisationlist",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_randomisationlistevent" ("blocks", "created_at", "created_by_id", "fingerprint", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "seed", "stratum", "trial_id", "updated_at") VALUES (OLD."blocks", OLD."created_at", OLD."created_by_id", OLD."fingerprint", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."seed", OLD."stratum", OLD."trial_id", OLD."updated_at"); RETURN NULL;',
                            hash="1f3e3699ebdb33749e74391cfe39e2dca8655354",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_74ac8",
                            table="participants_randomisationlist",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ListSlot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveIntegerField()),
                ("block", models.PositiveIntegerField()),
                ("block_size", models.PositiveSmallIntegerField()),
                (
                    "arm",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="slots", to="trials.arm"
                    ),
                ),
                (
                    "list",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="slots",
                        to="participants.randomisationlist",
                    ),
                ),
            ],
            options={
                "ordering": ["list_id", "position"],
                "constraints": [models.UniqueConstraint(fields=("list", "position"), name="slot_unique_position")],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_listslotevent" ("arm_id", "block", "block_size", "id", "list_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position") VALUES (NEW."arm_id", NEW."block", NEW."block_size", NEW."id", NEW."list_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."position"); RETURN NULL;',
                            hash="05d5663ce2b62a691df62cd99435bffc2e37f77f",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_62dc6",
                            table="participants_listslot",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_listslotevent" ("arm_id", "block", "block_size", "id", "list_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position") VALUES (NEW."arm_id", NEW."block", NEW."block_size", NEW."id", NEW."list_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."position"); RETURN NULL;',
                            hash="0d1f14d74c3a1168543104e977f8eb06e8a888c8",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_46776",
                            table="participants_listslot",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_listslotevent" ("arm_id", "block", "block_size", "id", "list_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position") VALUES (OLD."arm_id", OLD."block", OLD."block_size", OLD."id", OLD."list_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."position"); RETURN NULL;',
                            hash="a8e7ceecb8c829c83320069cf40cf693bc95064a",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_c5657",
                            table="participants_listslot",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Screening",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(max_length=20)),
                ("screened_on", models.DateField()),
                ("answers", models.JSONField()),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("eligible", "Eligible"),
                            ("not_eligible", "Not eligible"),
                            ("declined", "Declined"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                    ),
                ),
                ("failed_criteria", models.JSONField(default=list)),
                ("outcome_text", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "protocol_version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="trials.protocolversion"
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="screenings", to="trials.site"
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="screenings", to="trials.trial"
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "screened_on", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("trial", "number"), name="screening_unique_number"),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("outcome", "other"), _negated=True),
                            models.Q(("outcome_text", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="screening_other_has_text",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_screeningevent" ("answers", "created_at", "created_by_id", "failed_criteria", "id", "number", "outcome", "outcome_text", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "protocol_version_id", "screened_on", "site_id", "trial_id") VALUES (NEW."answers", NEW."created_at", NEW."created_by_id", NEW."failed_criteria", NEW."id", NEW."number", NEW."outcome", NEW."outcome_text", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."protocol_version_id", NEW."screened_on", NEW."site_id", NEW."trial_id"); RETURN NULL;',
                            hash="4b97536348d90cbd3f590dc10042b4b8e5332b44",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_fa7f7",
                            table="participants_screening",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_screeningevent" ("answers", "created_at", "created_by_id", "failed_criteria", "id", "number", "outcome", "outcome_text", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "protocol_version_id", "screened_on", "site_id", "trial_id") VALUES (NEW."answers", NEW."created_at", NEW."created_by_id", NEW."failed_criteria", NEW."id", NEW."number", NEW."outcome", NEW."outcome_text", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."protocol_version_id", NEW."screened_on", NEW."site_id", NEW."trial_id"); RETURN NULL;',
                            hash="c44738a805e81e29bbd2f181a581ed4bfafb4a9c",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_d7da4",
                            table="participants_screening",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_screeningevent" ("answers", "created_at", "created_by_id", "failed_criteria", "id", "number", "outcome", "outcome_text", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "protocol_version_id", "screened_on", "site_id", "trial_id") VALUES (OLD."answers", OLD."created_at", OLD."created_by_id", OLD."failed_criteria", OLD."id", OLD."number", OLD."outcome", OLD."outcome_text", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."protocol_version_id", OLD."screened_on", OLD."site_id", OLD."trial_id"); RETURN NULL;',
                            hash="3a526866f72016da6b27c75b5e1d7e368e9e38f6",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_e99db",
                            table="participants_screening",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Participant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("study_id", models.CharField(max_length=20)),
                ("sex", models.CharField(choices=[("M", "Male"), ("F", "Female")], max_length=1)),
                ("age_at_consent", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("baseline_weight_kg", models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True)),
                ("enrolled_on", models.DateField()),
                ("baseline_completed_on", models.DateField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "enrolled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="participants", to="trials.site"
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="participants", to="trials.trial"
                    ),
                ),
                (
                    "screening",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="participant",
                        to="participants.screening",
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "study_id"],
                "constraints": [
                    models.UniqueConstraint(fields=("trial", "study_id"), name="participant_unique_study_id"),
                    models.CheckConstraint(condition=models.Q(("sex__in", ["M", "F"])), name="participant_sex_known"),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_participantevent" ("age_at_consent", "baseline_completed_on", "baseline_weight_kg", "created_at", "enrolled_by_id", "enrolled_on", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "screening_id", "sex", "site_id", "study_id", "trial_id") VALUES (NEW."age_at_consent", NEW."baseline_completed_on", NEW."baseline_weight_kg", NEW."created_at", NEW."enrolled_by_id", NEW."enrolled_on", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."screening_id", NEW."sex", NEW."site_id", NEW."study_id", NEW."trial_id"); RETURN NULL;',
                            hash="610e76423d3d6e132428c55b457ceaa6d77fbb50",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_068a6",
                            table="participants_participant",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_participantevent" ("age_at_consent", "baseline_completed_on", "baseline_weight_kg", "created_at", "enrolled_by_id", "enrolled_on", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "screening_id", "sex", "site_id", "study_id", "trial_id") VALUES (NEW."age_at_consent", NEW."baseline_completed_on", NEW."baseline_weight_kg", NEW."created_at", NEW."enrolled_by_id", NEW."enrolled_on", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."screening_id", NEW."sex", NEW."site_id", NEW."study_id", NEW."trial_id"); RETURN NULL;',
                            hash="036f821dba8c9d95df75541731ad8536476e086e",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_c9656",
                            table="participants_participant",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_participantevent" ("age_at_consent", "baseline_completed_on", "baseline_weight_kg", "created_at", "enrolled_by_id", "enrolled_on", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "screening_id", "sex", "site_id", "study_id", "trial_id") VALUES (OLD."age_at_consent", OLD."baseline_completed_on", OLD."baseline_weight_kg", OLD."created_at", OLD."enrolled_by_id", OLD."enrolled_on", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."screening_id", OLD."sex", OLD."site_id", OLD."study_id", OLD."trial_id"); RETURN NULL;',
                            hash="5a23ee8720ed2eb35e3658d085a0f8f7afdc9b8c",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_9322e",
                            table="participants_participant",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Allocation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("permuted_blocks", "Permuted blocks"),
                            ("minimisation", "Minimisation"),
                            ("imported", "Imported"),
                        ],
                        max_length=20,
                    ),
                ),
                ("stratum", models.CharField(max_length=200)),
                ("allocated_on", models.DateField()),
                ("allocated_at", models.DateTimeField(auto_now_add=True)),
                (
                    "allocated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "arm",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="allocations", to="trials.arm"
                    ),
                ),
                (
                    "slot",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocation",
                        to="participants.listslot",
                    ),
                ),
                (
                    "participant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocation",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("method", "permuted_blocks"), _negated=True),
                            ("slot__isnull", False),
                            _connector="OR",
                        ),
                        name="allocation_blocks_have_slot",
                    )
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_allocationevent" ("allocated_at", "allocated_by_id", "allocated_on", "arm_id", "id", "method", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "slot_id", "stratum") VALUES (NEW."allocated_at", NEW."allocated_by_id", NEW."allocated_on", NEW."arm_id", NEW."id", NEW."method", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."slot_id", NEW."stratum"); RETURN NULL;',
                            hash="9faa2f1449022fa8de14f1f766a8ced5080e02e0",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_95b74",
                            table="participants_allocation",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_allocationevent" ("allocated_at", "allocated_by_id", "allocated_on", "arm_id", "id", "method", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "slot_id", "stratum") VALUES (NEW."allocated_at", NEW."allocated_by_id", NEW."allocated_on", NEW."arm_id", NEW."id", NEW."method", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."slot_id", NEW."stratum"); RETURN NULL;',
                            hash="9d1f4f8cf52772725d7023118da56e29980d3d86",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_45629",
                            table="participants_allocation",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_allocationevent" ("allocated_at", "allocated_by_id", "allocated_on", "arm_id", "id", "method", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "slot_id", "stratum") VALUES (OLD."allocated_at", OLD."allocated_by_id", OLD."allocated_on", OLD."arm_id", OLD."id", OLD."method", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."slot_id", OLD."stratum"); RETURN NULL;',
                            hash="07432ba9eded67f7ea1c8e30308ff4c27a7e9992",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_b4208",
                            table="participants_allocation",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="AllocationEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("permuted_blocks", "Permuted blocks"),
                            ("minimisation", "Minimisation"),
                            ("imported", "Imported"),
                        ],
                        max_length=20,
                    ),
                ),
                ("stratum", models.CharField(max_length=200)),
                ("allocated_on", models.DateField()),
                ("allocated_at", models.DateTimeField(auto_now_add=True)),
                (
                    "allocated_by",
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
                        to="participants.allocation",
                    ),
                ),
                (
                    "slot",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.listslot",
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="5b18c7474c878ad6f5f0ddbb2ed9f8c0b33acf8b",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_826d8",
                            table="participants_allocationevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AnalysisUnblinding",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.TextField()),
                ("unblinded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "trial",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="analysis_unblinding",
                        to="trials.trial",
                    ),
                ),
                (
                    "unblinded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True), name="analysis_unblinding_has_reason"
                    )
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_analysisunblindingevent" ("id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "trial_id", "unblinded_at", "unblinded_by_id") VALUES (NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reason", NEW."trial_id", NEW."unblinded_at", NEW."unblinded_by_id"); RETURN NULL;',
                            hash="a1ef477714a37364db9b91e0087b8c7e6537db7e",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_eb9ec",
                            table="participants_analysisunblinding",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_analysisunblindingevent" ("id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "trial_id", "unblinded_at", "unblinded_by_id") VALUES (NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reason", NEW."trial_id", NEW."unblinded_at", NEW."unblinded_by_id"); RETURN NULL;',
                            hash="5e40e538550cb3913511523dfc9caaf953c7c25d",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_aa20a",
                            table="participants_analysisunblinding",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_analysisunblindingevent" ("id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "trial_id", "unblinded_at", "unblinded_by_id") VALUES (OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reason", OLD."trial_id", OLD."unblinded_at", OLD."unblinded_by_id"); RETURN NULL;',
                            hash="07be2740e55ca235dca601aa88b2d417e696c6ba",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_523de",
                            table="participants_analysisunblinding",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="AnalysisUnblindingEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("reason", models.TextField()),
                ("unblinded_at", models.DateTimeField(auto_now_add=True)),
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
                        to="participants.analysisunblinding",
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
                    "unblinded_by",
                    models.ForeignKey(
                        db_constraint=False,
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
                            hash="22b11cb1df05dadd02a20a4ef24eec650890179c",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_31c02",
                            table="participants_analysisunblindingevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Appointment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("kind", models.CharField(max_length=20)),
                ("sequence", models.PositiveSmallIntegerField()),
                ("anchor", models.CharField(max_length=40)),
                ("target_date", models.DateField()),
                ("window_start", models.DateField()),
                ("window_end", models.DateField()),
                ("booked_date", models.DateField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("done", "Done"),
                            ("missed", "Missed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="scheduled",
                        max_length=20,
                    ),
                ),
                ("unscheduled", models.BooleanField(default=False)),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "protocol_version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="trials.protocolversion"
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointments",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "sequence", "booked_date", "pk"],
                "indexes": [models.Index(fields=["status", "window_end"], name="appointment_worklist")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("unscheduled", False)),
                        fields=("participant", "event_code"),
                        name="appointment_unique_scheduled_event",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("window_start__lte", models.F("window_end"))),
                        name="appointment_window_ordered",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_appointmentevent" ("anchor", "booked_date", "created_at", "event_code", "id", "kind", "note", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "protocol_version_id", "sequence", "status", "target_date", "title", "unscheduled", "updated_at", "window_end", "window_start") VALUES (NEW."anchor", NEW."booked_date", NEW."created_at", NEW."event_code", NEW."id", NEW."kind", NEW."note", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."protocol_version_id", NEW."sequence", NEW."status", NEW."target_date", NEW."title", NEW."unscheduled", NEW."updated_at", NEW."window_end", NEW."window_start"); RETURN NULL;',
                            hash="0d0793dcb7b06b0ea2583e843680855e2a5c364b",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_7f57a",
                            table="participants_appointment",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_appointmentevent" ("anchor", "booked_date", "created_at", "event_code", "id", "kind", "note", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "protocol_version_id", "sequence", "status", "target_date", "title", "unscheduled", "updated_at", "window_end", "window_start") VALUES (NEW."anchor", NEW."booked_date", NEW."created_at", NEW."event_code", NEW."id", NEW."kind", NEW."note", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."protocol_version_id", NEW."sequence", NEW."status", NEW."target_date", NEW."title", NEW."unscheduled", NEW."updated_at", NEW."window_end", NEW."window_start"); RETURN NULL;',
                            hash="6810fcce78b724913d1df2c9db90ffde684c3340",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_24d11",
                            table="participants_appointment",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_appointmentevent" ("anchor", "booked_date", "created_at", "event_code", "id", "kind", "note", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "protocol_version_id", "sequence", "status", "target_date", "title", "unscheduled", "updated_at", "window_end", "window_start") VALUES (OLD."anchor", OLD."booked_date", OLD."created_at", OLD."event_code", OLD."id", OLD."kind", OLD."note", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."protocol_version_id", OLD."sequence", OLD."status", OLD."target_date", OLD."title", OLD."unscheduled", OLD."updated_at", OLD."window_end", OLD."window_start"); RETURN NULL;',
                            hash="92ad7c5dbf1b34fd78addaeec3ea9b0833bc4e9b",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_9996f",
                            table="participants_appointment",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="AppointmentEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("event_code", models.CharField(max_length=40)),
                ("title", models.CharField(max_length=500)),
                ("kind", models.CharField(max_length=20)),
                ("sequence", models.PositiveSmallIntegerField()),
                ("anchor", models.CharField(max_length=40)),
                ("target_date", models.DateField()),
                ("window_start", models.DateField()),
                ("window_end", models.DateField()),
                ("booked_date", models.DateField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("done", "Done"),
                            ("missed", "Missed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="scheduled",
                        max_length=20,
                    ),
                ),
                ("unscheduled", models.BooleanField(default=False)),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
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
                        to="participants.appointment",
                    ),
                ),
                (
                    "protocol_version",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.protocolversion",
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="6dbb4d34aa6cd2fe71845a9beb0e0a2a8a055d20",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_2f42b",
                            table="participants_appointmentevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Consent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("form_version", models.CharField(max_length=100)),
                ("consented_on", models.DateField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "taken_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consents",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "consented_on", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("participant", "form_version"), name="consent_unique_form_version")
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_consentevent" ("consented_on", "created_at", "form_version", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "taken_by_id") VALUES (NEW."consented_on", NEW."created_at", NEW."form_version", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."taken_by_id"); RETURN NULL;',
                            hash="26fb3c9fc0c0eba27a0d0e20c9947ad54e9acd8c",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_e441e",
                            table="participants_consent",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_consentevent" ("consented_on", "created_at", "form_version", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "taken_by_id") VALUES (NEW."consented_on", NEW."created_at", NEW."form_version", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."taken_by_id"); RETURN NULL;',
                            hash="dde8a6e3814d36811d4b957022c54abec48adf04",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_4bbfa",
                            table="participants_consent",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_consentevent" ("consented_on", "created_at", "form_version", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "taken_by_id") VALUES (OLD."consented_on", OLD."created_at", OLD."form_version", OLD."id", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."taken_by_id"); RETURN NULL;',
                            hash="d13ac54add1e0d0db3aad7a2db0212909af10151",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_b13c8",
                            table="participants_consent",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ConsentEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("form_version", models.CharField(max_length=100)),
                ("consented_on", models.DateField()),
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
                        to="participants.consent",
                    ),
                ),
                (
                    "taken_by",
                    models.ForeignKey(
                        db_constraint=False,
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="46fa4ecb86268f1b197a63fd3792db7d43527d2c",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_be5fa",
                            table="participants_consentevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DataLock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.TextField()),
                ("locked_at", models.DateTimeField(auto_now_add=True)),
                ("unlock_reason", models.TextField(blank=True)),
                ("unlocked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "locked_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="locks", to="trials.trial"
                    ),
                ),
                (
                    "unlocked_by",
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
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="locks",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["trial_id", "locked_at", "pk"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("reason", ""), _negated=True), name="lock_has_reason"),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("unlocked_at__isnull", True),
                            models.Q(("unlock_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="unlock_has_reason",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("participant__isnull", True), ("unlocked_at__isnull", True)),
                        fields=("trial",),
                        name="lock_one_active_per_trial",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("participant__isnull", False), ("unlocked_at__isnull", True)),
                        fields=("participant",),
                        name="lock_one_active_per_participant",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_datalockevent" ("id", "locked_at", "locked_by_id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "trial_id", "unlock_reason", "unlocked_at", "unlocked_by_id") VALUES (NEW."id", NEW."locked_at", NEW."locked_by_id", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reason", NEW."trial_id", NEW."unlock_reason", NEW."unlocked_at", NEW."unlocked_by_id"); RETURN NULL;',
                            hash="c3303dd92ceeaed6fe717f9eb48d26107068fbf6",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_551d7",
                            table="participants_datalock",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_datalockevent" ("id", "locked_at", "locked_by_id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "trial_id", "unlock_reason", "unlocked_at", "unlocked_by_id") VALUES (NEW."id", NEW."locked_at", NEW."locked_by_id", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reason", NEW."trial_id", NEW."unlock_reason", NEW."unlocked_at", NEW."unlocked_by_id"); RETURN NULL;',
                            hash="42f3f4e16a51fde2ece7eafc7175013354c368bd",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_9b1cc",
                            table="participants_datalock",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_datalockevent" ("id", "locked_at", "locked_by_id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "trial_id", "unlock_reason", "unlocked_at", "unlocked_by_id") VALUES (OLD."id", OLD."locked_at", OLD."locked_by_id", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reason", OLD."trial_id", OLD."unlock_reason", OLD."unlocked_at", OLD."unlocked_by_id"); RETURN NULL;',
                            hash="030558f14a3f921980dbb069f6614c1be9ba7b0f",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_29119",
                            table="participants_datalock",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DataLockEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("reason", models.TextField()),
                ("locked_at", models.DateTimeField(auto_now_add=True)),
                ("unlock_reason", models.TextField(blank=True)),
                ("unlocked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "locked_by",
                    models.ForeignKey(
                        db_constraint=False,
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
                        to="participants.datalock",
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
                    "unlocked_by",
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
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.participant",
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
                            hash="df849d72deb057b3fedef6aca84a6539ed178710",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_5a727",
                            table="participants_datalockevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Deviation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("out_of_window", "Visit outside its window"),
                            ("rescheduled_out_of_window", "Appointment booked outside its window"),
                            ("dose", "Dose different from the computed one"),
                            ("duration", "Infusion duration outside tolerance"),
                            ("interval", "Infusion too soon after the previous one"),
                            ("other", "Other"),
                        ],
                        max_length=40,
                    ),
                ),
                ("description", models.TextField()),
                ("automatic", models.BooleanField(default=False)),
                ("occurred_on", models.DateField()),
                ("important", models.BooleanField(blank=True, null=True)),
                ("review_note", models.TextField(blank=True)),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deviations",
                        to="participants.appointment",
                    ),
                ),
                (
                    "reported_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reviewed_by",
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
                        related_name="deviations",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "occurred_on", "pk"],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_deviationevent" ("appointment_id", "automatic", "created_at", "description", "id", "important", "kind", "occurred_on", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reported_by_id", "review_note", "reviewed_at", "reviewed_by_id") VALUES (NEW."appointment_id", NEW."automatic", NEW."created_at", NEW."description", NEW."id", NEW."important", NEW."kind", NEW."occurred_on", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reported_by_id", NEW."review_note", NEW."reviewed_at", NEW."reviewed_by_id"); RETURN NULL;',
                            hash="87687110c1cc9c6b049b035db104ba4ad966a98e",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_c926d",
                            table="participants_deviation",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_deviationevent" ("appointment_id", "automatic", "created_at", "description", "id", "important", "kind", "occurred_on", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reported_by_id", "review_note", "reviewed_at", "reviewed_by_id") VALUES (NEW."appointment_id", NEW."automatic", NEW."created_at", NEW."description", NEW."id", NEW."important", NEW."kind", NEW."occurred_on", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reported_by_id", NEW."review_note", NEW."reviewed_at", NEW."reviewed_by_id"); RETURN NULL;',
                            hash="0e98dbf0f6cc123976ffbd04aac6fa18ac6bd027",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_77c85",
                            table="participants_deviation",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_deviationevent" ("appointment_id", "automatic", "created_at", "description", "id", "important", "kind", "occurred_on", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reported_by_id", "review_note", "reviewed_at", "reviewed_by_id") VALUES (OLD."appointment_id", OLD."automatic", OLD."created_at", OLD."description", OLD."id", OLD."important", OLD."kind", OLD."occurred_on", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reported_by_id", OLD."review_note", OLD."reviewed_at", OLD."reviewed_by_id"); RETURN NULL;',
                            hash="3b7f00a97e1d36ee443bbbf5ff1e1a0837d30a50",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_def76",
                            table="participants_deviation",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DeviationEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("out_of_window", "Visit outside its window"),
                            ("rescheduled_out_of_window", "Appointment booked outside its window"),
                            ("dose", "Dose different from the computed one"),
                            ("duration", "Infusion duration outside tolerance"),
                            ("interval", "Infusion too soon after the previous one"),
                            ("other", "Other"),
                        ],
                        max_length=40,
                    ),
                ),
                ("description", models.TextField()),
                ("automatic", models.BooleanField(default=False)),
                ("occurred_on", models.DateField()),
                ("important", models.BooleanField(blank=True, null=True)),
                ("review_note", models.TextField(blank=True)),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.appointment",
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
                        to="participants.deviation",
                    ),
                ),
                (
                    "reported_by",
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
                    "reviewed_by",
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="68f85a4b67e15c694723d349bd57ee8b5949b368",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_36244",
                            table="participants_deviationevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="EmergencyUnblinding",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="unblindings",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "created_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True), name="unblinding_has_reason"
                    )
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_emergencyunblindingevent" ("created_at", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "requested_by_id") VALUES (NEW."created_at", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reason", NEW."requested_by_id"); RETURN NULL;',
                            hash="a31fb646f977c0c6f1b1dd8131dbda3d24f04084",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_690ab",
                            table="participants_emergencyunblinding",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_emergencyunblindingevent" ("created_at", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "requested_by_id") VALUES (NEW."created_at", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reason", NEW."requested_by_id"); RETURN NULL;',
                            hash="a3f1567eab59b3f0a0f61e543e1abe69dc73567f",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_2ed74",
                            table="participants_emergencyunblinding",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_emergencyunblindingevent" ("created_at", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "requested_by_id") VALUES (OLD."created_at", OLD."id", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reason", OLD."requested_by_id"); RETURN NULL;',
                            hash="fd2385b79bd6018dc5d10c03f9c9a3e855b8711d",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_57539",
                            table="participants_emergencyunblinding",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="EmergencyUnblindingEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("reason", models.TextField()),
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
                        to="participants.emergencyunblinding",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        db_constraint=False,
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="3ddccdc49a2a29ea0352d07367769c4bc03e8b38",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_a619d",
                            table="participants_emergencyunblindingevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Identity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("first_name", encrypted_fields.fields.EncryptedCharField(max_length=200)),
                ("last_name", encrypted_fields.fields.EncryptedCharField(max_length=200)),
                ("date_of_birth", encrypted_fields.fields.EncryptedDateField(blank=True, null=True)),
                ("email", encrypted_fields.fields.EncryptedEmailField(blank=True, max_length=254, null=True)),
                ("phone", encrypted_fields.fields.EncryptedCharField(blank=True, max_length=32, null=True)),
                ("address", encrypted_fields.fields.EncryptedTextField(blank=True, null=True)),
                (
                    "participant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="identity",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "identities",
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_identityevent" ("address", "date_of_birth", "email", "first_name", "id", "last_name", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone") VALUES (NEW."address", NEW."date_of_birth", NEW."email", NEW."first_name", NEW."id", NEW."last_name", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."phone"); RETURN NULL;',
                            hash="83f2f334d3f46b8696f7206b1b403a482257ccac",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_4d3c8",
                            table="participants_identity",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_identityevent" ("address", "date_of_birth", "email", "first_name", "id", "last_name", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone") VALUES (NEW."address", NEW."date_of_birth", NEW."email", NEW."first_name", NEW."id", NEW."last_name", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phone"); RETURN NULL;',
                            hash="67950db9af5888c41cf3589e82ba6a9a5d04e0c2",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_d6b59",
                            table="participants_identity",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_identityevent" ("address", "date_of_birth", "email", "first_name", "id", "last_name", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone") VALUES (OLD."address", OLD."date_of_birth", OLD."email", OLD."first_name", OLD."id", OLD."last_name", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."phone"); RETURN NULL;',
                            hash="9ac838e1b78df04eb15aa4991f78dede0fb0ebaf",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_8fc2d",
                            table="participants_identity",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="IdentityEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("first_name", encrypted_fields.fields.EncryptedCharField(max_length=200)),
                ("last_name", encrypted_fields.fields.EncryptedCharField(max_length=200)),
                ("date_of_birth", encrypted_fields.fields.EncryptedDateField(blank=True, null=True)),
                ("email", encrypted_fields.fields.EncryptedEmailField(blank=True, max_length=254, null=True)),
                ("phone", encrypted_fields.fields.EncryptedCharField(blank=True, max_length=32, null=True)),
                ("address", encrypted_fields.fields.EncryptedTextField(blank=True, null=True)),
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
                        to="participants.identity",
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="5791e1f2e27f3d7f21883b713963e1a012a95146",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_7c31f",
                            table="participants_identityevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Visit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("actual_date", models.DateField()),
                ("attended", models.BooleanField()),
                ("missed_reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "appointment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="visit", to="participants.appointment"
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "seen_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["appointment_id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("attended", True), models.Q(("missed_reason", ""), _negated=True), _connector="OR"
                        ),
                        name="visit_missed_has_reason",
                    )
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_visitevent" ("actual_date", "appointment_id", "attended", "created_at", "id", "missed_reason", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "seen_by_id", "updated_at") VALUES (NEW."actual_date", NEW."appointment_id", NEW."attended", NEW."created_at", NEW."id", NEW."missed_reason", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."recorded_by_id", NEW."seen_by_id", NEW."updated_at"); RETURN NULL;',
                            hash="e7b8603dd10c2ffb010e3833c0df68f1a96b5014",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_25180",
                            table="participants_visit",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_visitevent" ("actual_date", "appointment_id", "attended", "created_at", "id", "missed_reason", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "seen_by_id", "updated_at") VALUES (NEW."actual_date", NEW."appointment_id", NEW."attended", NEW."created_at", NEW."id", NEW."missed_reason", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."recorded_by_id", NEW."seen_by_id", NEW."updated_at"); RETURN NULL;',
                            hash="c6d1958bd84de321d7a9fe7f47583c49ecdc6e01",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_69dba",
                            table="participants_visit",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_visitevent" ("actual_date", "appointment_id", "attended", "created_at", "id", "missed_reason", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "seen_by_id", "updated_at") VALUES (OLD."actual_date", OLD."appointment_id", OLD."attended", OLD."created_at", OLD."id", OLD."missed_reason", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."recorded_by_id", OLD."seen_by_id", OLD."updated_at"); RETURN NULL;',
                            hash="57b26374352f5a94419b4b1ab009702e7b8ad710",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_5c200",
                            table="participants_visit",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="InfusionSession",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("weight_kg", models.DecimalField(decimal_places=1, max_digits=5)),
                ("mg_per_kg", models.DecimalField(decimal_places=3, max_digits=7)),
                ("dose_mg", models.DecimalField(decimal_places=2, max_digits=8)),
                ("dose_mg_given", models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True)),
                ("volume_ml", models.DecimalField(decimal_places=1, max_digits=7)),
                ("breath_alcohol", models.DecimalField(decimal_places=2, max_digits=4)),
                ("started_at", models.DateTimeField()),
                ("stopped_at", models.DateTimeField()),
                ("interruptions", models.PositiveSmallIntegerField(default=0)),
                ("completed", models.BooleanField()),
                ("dissociation_score", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("safety_flags", models.JSONField(default=list)),
                ("interval_override_reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "visit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="infusion", to="participants.visit"
                    ),
                ),
            ],
            options={
                "ordering": ["visit_id"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("weight_kg__gt", 0)), name="infusion_weight_positive"),
                    models.CheckConstraint(
                        condition=models.Q(("stopped_at__gt", models.F("started_at"))),
                        name="infusion_stops_after_start",
                    ),
                    models.CheckConstraint(condition=models.Q(("dose_mg__gte", 0)), name="infusion_dose_not_negative"),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_infusionsessionevent" ("breath_alcohol", "completed", "created_at", "dissociation_score", "dose_mg", "dose_mg_given", "id", "interruptions", "interval_override_reason", "mg_per_kg", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "safety_flags", "started_at", "stopped_at", "visit_id", "volume_ml", "weight_kg") VALUES (NEW."breath_alcohol", NEW."completed", NEW."created_at", NEW."dissociation_score", NEW."dose_mg", NEW."dose_mg_given", NEW."id", NEW."interruptions", NEW."interval_override_reason", NEW."mg_per_kg", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."recorded_by_id", NEW."safety_flags", NEW."started_at", NEW."stopped_at", NEW."visit_id", NEW."volume_ml", NEW."weight_kg"); RETURN NULL;',
                            hash="c4882240962120298eedf2f35b0a8348bae8d611",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_330eb",
                            table="participants_infusionsession",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_infusionsessionevent" ("breath_alcohol", "completed", "created_at", "dissociation_score", "dose_mg", "dose_mg_given", "id", "interruptions", "interval_override_reason", "mg_per_kg", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "safety_flags", "started_at", "stopped_at", "visit_id", "volume_ml", "weight_kg") VALUES (NEW."breath_alcohol", NEW."completed", NEW."created_at", NEW."dissociation_score", NEW."dose_mg", NEW."dose_mg_given", NEW."id", NEW."interruptions", NEW."interval_override_reason", NEW."mg_per_kg", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."recorded_by_id", NEW."safety_flags", NEW."started_at", NEW."stopped_at", NEW."visit_id", NEW."volume_ml", NEW."weight_kg"); RETURN NULL;',
                            hash="2951d2933378d91fb9d8e4b93ca8685b0032e4be",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_a8094",
                            table="participants_infusionsession",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_infusionsessionevent" ("breath_alcohol", "completed", "created_at", "dissociation_score", "dose_mg", "dose_mg_given", "id", "interruptions", "interval_override_reason", "mg_per_kg", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "safety_flags", "started_at", "stopped_at", "visit_id", "volume_ml", "weight_kg") VALUES (OLD."breath_alcohol", OLD."completed", OLD."created_at", OLD."dissociation_score", OLD."dose_mg", OLD."dose_mg_given", OLD."id", OLD."interruptions", OLD."interval_override_reason", OLD."mg_per_kg", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."recorded_by_id", OLD."safety_flags", OLD."started_at", OLD."stopped_at", OLD."visit_id", OLD."volume_ml", OLD."weight_kg"); RETURN NULL;',
                            hash="bb9d70026d472084f56c608080340ece63afacad",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_c2efa",
                            table="participants_infusionsession",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="InfusionSessionEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("weight_kg", models.DecimalField(decimal_places=1, max_digits=5)),
                ("mg_per_kg", models.DecimalField(decimal_places=3, max_digits=7)),
                ("dose_mg", models.DecimalField(decimal_places=2, max_digits=8)),
                ("dose_mg_given", models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True)),
                ("volume_ml", models.DecimalField(decimal_places=1, max_digits=7)),
                ("breath_alcohol", models.DecimalField(decimal_places=2, max_digits=4)),
                ("started_at", models.DateTimeField()),
                ("stopped_at", models.DateTimeField()),
                ("interruptions", models.PositiveSmallIntegerField(default=0)),
                ("completed", models.BooleanField()),
                ("dissociation_score", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("safety_flags", models.JSONField(default=list)),
                ("interval_override_reason", models.TextField(blank=True)),
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
                        to="participants.infusionsession",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "visit",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.visit",
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
                            hash="17e93d0b74783cfc1f04204e465309922f41e914",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_580ce",
                            table="participants_infusionsessionevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ListSlotEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("position", models.PositiveIntegerField()),
                ("block", models.PositiveIntegerField()),
                ("block_size", models.PositiveSmallIntegerField()),
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
                        to="participants.listslot",
                    ),
                ),
                (
                    "list",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.randomisationlist",
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
                            hash="d3f3cc9e7b3081543c9448de904a8ea58c7c81e9",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_635bf",
                            table="participants_listslotevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ParticipantEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("study_id", models.CharField(max_length=20)),
                ("sex", models.CharField(choices=[("M", "Male"), ("F", "Female")], max_length=1)),
                ("age_at_consent", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("baseline_weight_kg", models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True)),
                ("enrolled_on", models.DateField()),
                ("baseline_completed_on", models.DateField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "enrolled_by",
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
                        to="participants.participant",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
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
                (
                    "screening",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.screening",
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
                            hash="73cf540e323835e66b77a1868b276a807091bf14",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_18f6f",
                            table="participants_participantevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RandomisationListEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("stratum", models.CharField(max_length=200)),
                ("seed", models.CharField(max_length=64)),
                ("blocks", models.PositiveIntegerField()),
                ("fingerprint", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        db_constraint=False,
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
                        to="participants.randomisationlist",
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
                            hash="6d34b2a9310131268c14a15190ecf2a2f264747a",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_3ee53",
                            table="participants_randomisationlistevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ScreeningEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("number", models.CharField(max_length=20)),
                ("screened_on", models.DateField()),
                ("answers", models.JSONField()),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("eligible", "Eligible"),
                            ("not_eligible", "Not eligible"),
                            ("declined", "Declined"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                    ),
                ),
                ("failed_criteria", models.JSONField(default=list)),
                ("outcome_text", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        db_constraint=False,
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
                        to="participants.screening",
                    ),
                ),
                (
                    "protocol_version",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="trials.protocolversion",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
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
                            hash="fd0151471679acbb10665998b6b8e9fafee97871",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_729a8",
                            table="participants_screeningevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StaffNotification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=40)),
                ("subject", models.CharField(max_length=200)),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="TherapySession",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("session_number", models.PositiveSmallIntegerField()),
                ("attended", models.BooleanField()),
                ("minutes", models.PositiveSmallIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "therapist",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "visit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="session", to="participants.visit"
                    ),
                ),
            ],
            options={
                "ordering": ["visit_id"],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_therapysessionevent" ("attended", "created_at", "id", "minutes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "session_number", "therapist_id", "visit_id") VALUES (NEW."attended", NEW."created_at", NEW."id", NEW."minutes", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."recorded_by_id", NEW."session_number", NEW."therapist_id", NEW."visit_id"); RETURN NULL;',
                            hash="f3899a40f3211ee76ed554bbe1d69defcbef3a23",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_c13ec",
                            table="participants_therapysession",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_therapysessionevent" ("attended", "created_at", "id", "minutes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "session_number", "therapist_id", "visit_id") VALUES (NEW."attended", NEW."created_at", NEW."id", NEW."minutes", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."recorded_by_id", NEW."session_number", NEW."therapist_id", NEW."visit_id"); RETURN NULL;',
                            hash="fd676d0797d7d45160b3dc3c9987cd00f78edf4a",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_843ba",
                            table="participants_therapysession",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_therapysessionevent" ("attended", "created_at", "id", "minutes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "session_number", "therapist_id", "visit_id") VALUES (OLD."attended", OLD."created_at", OLD."id", OLD."minutes", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."recorded_by_id", OLD."session_number", OLD."therapist_id", OLD."visit_id"); RETURN NULL;',
                            hash="0c5b7d06be238f6194699ea25b22b5d5eef58e27",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_2466f",
                            table="participants_therapysession",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="TherapySessionEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("session_number", models.PositiveSmallIntegerField()),
                ("attended", models.BooleanField()),
                ("minutes", models.PositiveSmallIntegerField(default=0)),
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
                        to="participants.therapysession",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "therapist",
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
                    "visit",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.visit",
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
                            hash="66fe802ea563236e40390590233d55aeba31e2d7",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_a4f01",
                            table="participants_therapysessionevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="VisitEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("actual_date", models.DateField()),
                ("attended", models.BooleanField()),
                ("missed_reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.appointment",
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
                        to="participants.visit",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "seen_by",
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="89f09e65f01270f0f1b42188ffd989d5392c68c1",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_8cbc3",
                            table="participants_visitevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="VitalSigns",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "phase",
                    models.CharField(
                        choices=[("before", "Before"), ("during", "During"), ("after", "After")], max_length=10
                    ),
                ),
                ("minute", models.SmallIntegerField(help_text="Minutes from the start of the infusion.")),
                ("systolic", models.PositiveSmallIntegerField()),
                ("diastolic", models.PositiveSmallIntegerField()),
                ("heart_rate", models.PositiveSmallIntegerField()),
                ("spo2", models.PositiveSmallIntegerField()),
                (
                    "infusion",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="vitals",
                        to="participants.infusionsession",
                    ),
                ),
            ],
            options={
                "ordering": ["infusion_id", "minute", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("systolic__gt", models.F("diastolic"))),
                        name="vitals_systolic_above_diastolic",
                    ),
                    models.CheckConstraint(condition=models.Q(("spo2__lte", 100)), name="vitals_spo2_at_most_100"),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_vitalsignsevent" ("diastolic", "heart_rate", "id", "infusion_id", "minute", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phase", "spo2", "systolic") VALUES (NEW."diastolic", NEW."heart_rate", NEW."id", NEW."infusion_id", NEW."minute", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."phase", NEW."spo2", NEW."systolic"); RETURN NULL;',
                            hash="dbb32fe46e399a636bdce75d43423094e36442ed",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_adbcb",
                            table="participants_vitalsigns",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_vitalsignsevent" ("diastolic", "heart_rate", "id", "infusion_id", "minute", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phase", "spo2", "systolic") VALUES (NEW."diastolic", NEW."heart_rate", NEW."id", NEW."infusion_id", NEW."minute", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phase", NEW."spo2", NEW."systolic"); RETURN NULL;',
                            hash="8981118cf86939fce832cfbcde13c036c61d2962",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_2e28f",
                            table="participants_vitalsigns",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_vitalsignsevent" ("diastolic", "heart_rate", "id", "infusion_id", "minute", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phase", "spo2", "systolic") VALUES (OLD."diastolic", OLD."heart_rate", OLD."id", OLD."infusion_id", OLD."minute", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."phase", OLD."spo2", OLD."systolic"); RETURN NULL;',
                            hash="5a0e107ef2779d333f7ed591b02dcf776ec6cbc0",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_2ba4f",
                            table="participants_vitalsigns",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="VitalSignsEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "phase",
                    models.CharField(
                        choices=[("before", "Before"), ("during", "During"), ("after", "After")], max_length=10
                    ),
                ),
                ("minute", models.SmallIntegerField(help_text="Minutes from the start of the infusion.")),
                ("systolic", models.PositiveSmallIntegerField()),
                ("diastolic", models.PositiveSmallIntegerField()),
                ("heart_rate", models.PositiveSmallIntegerField()),
                ("spo2", models.PositiveSmallIntegerField()),
                (
                    "infusion",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.infusionsession",
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
                        to="participants.vitalsigns",
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
                            hash="0a84509698f2f41eccb2d33e8dc69d946bab7581",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_310af",
                            table="participants_vitalsignsevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Withdrawal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("intervention", "Stop the intervention only"),
                            ("follow_up", "Stop the intervention and follow-up"),
                            ("data_use", "Withdraw consent for further data use"),
                        ],
                        max_length=20,
                    ),
                ),
                ("withdrawn_on", models.DateField()),
                ("reason", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="withdrawals",
                        to="participants.participant",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "withdrawn_on", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("participant", "scope"), name="withdrawal_unique_scope"),
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True), name="withdrawal_has_reason"
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_withdrawalevent" ("created_at", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "recorded_by_id", "scope", "withdrawn_on") VALUES (NEW."created_at", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reason", NEW."recorded_by_id", NEW."scope", NEW."withdrawn_on"); RETURN NULL;',
                            hash="b1a290fb3bdcbbc059aff35c1a1d0343f6939809",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_b0ad1",
                            table="participants_withdrawal",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_withdrawalevent" ("created_at", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "recorded_by_id", "scope", "withdrawn_on") VALUES (NEW."created_at", NEW."id", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reason", NEW."recorded_by_id", NEW."scope", NEW."withdrawn_on"); RETURN NULL;',
                            hash="719de93115eed6a5da3da1fb48b64c772d55d66f",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_c7128",
                            table="participants_withdrawal",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_withdrawalevent" ("created_at", "id", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "recorded_by_id", "scope", "withdrawn_on") VALUES (OLD."created_at", OLD."id", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reason", OLD."recorded_by_id", OLD."scope", OLD."withdrawn_on"); RETURN NULL;',
                            hash="56d8a2108e15982c5c165d1952da3bc2e0ad776d",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_cd502",
                            table="participants_withdrawal",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="WithdrawalEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("intervention", "Stop the intervention only"),
                            ("follow_up", "Stop the intervention and follow-up"),
                            ("data_use", "Withdraw consent for further data use"),
                        ],
                        max_length=20,
                    ),
                ),
                ("withdrawn_on", models.DateField()),
                ("reason", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
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
                        to="participants.withdrawal",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        db_constraint=False,
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
                            hash="93d3037ae05f7d341d7ef3d3f34f99bad831a18b",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_0c10c",
                            table="participants_withdrawalevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AdverseEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("term", models.CharField(max_length=300)),
                ("onset_date", models.DateField()),
                ("end_date", models.DateField(blank=True, null=True)),
                ("grade", models.PositiveSmallIntegerField()),
                ("seriousness", models.JSONField(default=list)),
                (
                    "causality",
                    models.CharField(
                        choices=[
                            ("not_related", "Not related"),
                            ("unlikely", "Unlikely related"),
                            ("possibly", "Possibly related"),
                            ("probably", "Probably related"),
                            ("definitely", "Definitely related"),
                        ],
                        max_length=20,
                    ),
                ),
                ("expected", models.BooleanField()),
                ("action_taken", models.CharField(blank=True, max_length=300)),
                ("outcome", models.CharField(blank=True, max_length=300)),
                ("aware_at", models.DateTimeField()),
                ("sponsor_reported_at", models.DateTimeField(blank=True, null=True)),
                ("regulator_reported_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "infusion",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="adverse_events",
                        to="participants.infusionsession",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="adverse_events",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["participant_id", "onset_date", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("grade__gte", 1), ("grade__lte", 5)), name="ae_grade_1_to_5"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("end_date__isnull", True), ("end_date__gte", models.F("onset_date")), _connector="OR"
                        ),
                        name="ae_ends_after_onset",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_adverseeventevent" ("action_taken", "aware_at", "causality", "created_at", "end_date", "expected", "grade", "id", "infusion_id", "onset_date", "outcome", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "regulator_reported_at", "seriousness", "sponsor_reported_at", "term", "updated_at") VALUES (NEW."action_taken", NEW."aware_at", NEW."causality", NEW."created_at", NEW."end_date", NEW."expected", NEW."grade", NEW."id", NEW."infusion_id", NEW."onset_date", NEW."outcome", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."recorded_by_id", NEW."regulator_reported_at", NEW."seriousness", NEW."sponsor_reported_at", NEW."term", NEW."updated_at"); RETURN NULL;',
                            hash="47033af2827591ed71b2f76c413c623a2dbc97fa",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_91137",
                            table="participants_adverseevent",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "participants_adverseeventevent" ("action_taken", "aware_at", "causality", "created_at", "end_date", "expected", "grade", "id", "infusion_id", "onset_date", "outcome", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "regulator_reported_at", "seriousness", "sponsor_reported_at", "term", "updated_at") VALUES (NEW."action_taken", NEW."aware_at", NEW."causality", NEW."created_at", NEW."end_date", NEW."expected", NEW."grade", NEW."id", NEW."infusion_id", NEW."onset_date", NEW."outcome", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."recorded_by_id", NEW."regulator_reported_at", NEW."seriousness", NEW."sponsor_reported_at", NEW."term", NEW."updated_at"); RETURN NULL;',
                            hash="7212d4b59e5c4023d02fe5319f5f9150fe81d446",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_01360",
                            table="participants_adverseevent",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "participants_adverseeventevent" ("action_taken", "aware_at", "causality", "created_at", "end_date", "expected", "grade", "id", "infusion_id", "onset_date", "outcome", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recorded_by_id", "regulator_reported_at", "seriousness", "sponsor_reported_at", "term", "updated_at") VALUES (OLD."action_taken", OLD."aware_at", OLD."causality", OLD."created_at", OLD."end_date", OLD."expected", OLD."grade", OLD."id", OLD."infusion_id", OLD."onset_date", OLD."outcome", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."recorded_by_id", OLD."regulator_reported_at", OLD."seriousness", OLD."sponsor_reported_at", OLD."term", OLD."updated_at"); RETURN NULL;',
                            hash="48ec3d897e7085b85137858eac9eeef9c637b8f7",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_22602",
                            table="participants_adverseevent",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="AdverseEventEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("term", models.CharField(max_length=300)),
                ("onset_date", models.DateField()),
                ("end_date", models.DateField(blank=True, null=True)),
                ("grade", models.PositiveSmallIntegerField()),
                ("seriousness", models.JSONField(default=list)),
                (
                    "causality",
                    models.CharField(
                        choices=[
                            ("not_related", "Not related"),
                            ("unlikely", "Unlikely related"),
                            ("possibly", "Possibly related"),
                            ("probably", "Probably related"),
                            ("definitely", "Definitely related"),
                        ],
                        max_length=20,
                    ),
                ),
                ("expected", models.BooleanField()),
                ("action_taken", models.CharField(blank=True, max_length=300)),
                ("outcome", models.CharField(blank=True, max_length=300)),
                ("aware_at", models.DateTimeField()),
                ("sponsor_reported_at", models.DateTimeField(blank=True, null=True)),
                ("regulator_reported_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
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
                        to="participants.adverseevent",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "infusion",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="participants.infusionsession",
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
            ],
            options={
                "abstract": False,
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="append_only",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                            hash="d351542902ccee60213e8586cc5865c81357a3d8",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_64700",
                            table="participants_adverseeventevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
    ]
