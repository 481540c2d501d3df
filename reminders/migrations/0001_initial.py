import django.db.models.deletion
import pgtrigger.compiler
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("participants", "0001_initial"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email_consent", models.BooleanField(default=False)),
                ("sms_consent", models.BooleanField(default=False)),
                ("email_opted_out_at", models.DateTimeField(blank=True, null=True)),
                ("sms_opted_out_at", models.DateTimeField(blank=True, null=True)),
                ("preferred_time", models.TimeField(blank=True, help_text="For the daily diary prompt.", null=True)),
                ("quiet_start", models.TimeField(blank=True, null=True)),
                ("quiet_end", models.TimeField(blank=True, null=True)),
                ("time_zone", models.CharField(max_length=64)),
                ("language", models.CharField(choices=[("en", "English")], default="en", max_length=8)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "participant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contact_preference",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("quiet_end__isnull", True), ("quiet_start__isnull", True)),
                            models.Q(("quiet_end__isnull", False), ("quiet_start__isnull", False)),
                            _connector="OR",
                        ),
                        name="contactpref_quiet_both_or_neither",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("quiet_start__isnull", True),
                            models.Q(("quiet_start", models.F("quiet_end")), _negated=True),
                            _connector="OR",
                        ),
                        name="contactpref_quiet_not_empty",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "reminders_contactpreferenceevent" ("email_consent", "email_opted_out_at", "id", "language", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "preferred_time", "quiet_end", "quiet_start", "sms_consent", "sms_opted_out_at", "time_zone", "updated_at") VALUES (NEW."email_consent", NEW."email_opted_out_at", NEW."id", NEW."language", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."preferred_time", NEW."quiet_end", NEW."quiet_start", NEW."sms_consent", NEW."sms_opted_out_at", NEW."time_zone", NEW."updated_at"); RETURN NULL;',
                            hash="8f9420ab62c48583fb0afe400b919658c4dbad77",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_e729d",
                            table="reminders_contactpreference",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "reminders_contactpreferenceevent" ("email_consent", "email_opted_out_at", "id", "language", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "preferred_time", "quiet_end", "quiet_start", "sms_consent", "sms_opted_out_at", "time_zone", "updated_at") VALUES (NEW."email_consent", NEW."email_opted_out_at", NEW."id", NEW."language", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."preferred_time", NEW."quiet_end", NEW."quiet_start", NEW."sms_consent", NEW."sms_opted_out_at", NEW."time_zone", NEW."updated_at"); RETURN NULL;',
                            hash="37eeb48e0e7c8b2b96c2940152ae17d6e78f1e9f",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_08d25",
                            table="reminders_contactpreference",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "reminders_contactpreferenceevent" ("email_consent", "email_opted_out_at", "id", "language", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "preferred_time", "quiet_end", "quiet_start", "sms_consent", "sms_opted_out_at", "time_zone", "updated_at") VALUES (OLD."email_consent", OLD."email_opted_out_at", OLD."id", OLD."language", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."preferred_time", OLD."quiet_end", OLD."quiet_start", OLD."sms_consent", OLD."sms_opted_out_at", OLD."time_zone", OLD."updated_at"); RETURN NULL;',
                            hash="06958e715227168c730ea4b02acc777ba01c43ba",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_bbd7e",
                            table="reminders_contactpreference",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ContactPreferenceEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("email_consent", models.BooleanField(default=False)),
                ("sms_consent", models.BooleanField(default=False)),
                ("email_opted_out_at", models.DateTimeField(blank=True, null=True)),
                ("sms_opted_out_at", models.DateTimeField(blank=True, null=True)),
                ("preferred_time", models.TimeField(blank=True, help_text="For the daily diary prompt.", null=True)),
                ("quiet_start", models.TimeField(blank=True, null=True)),
                ("quiet_end", models.TimeField(blank=True, null=True)),
                ("time_zone", models.CharField(max_length=64)),
                ("language", models.CharField(choices=[("en", "English")], default="en", max_length=8)),
                ("updated_at", models.DateTimeField(auto_now=True)),
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
                        to="reminders.contactpreference",
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
                            hash="7af0f3317246be32722da1756c41ae440da27b2b",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_acc34",
                            table="reminders_contactpreferenceevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("appointment", "Appointment reminder"),
                            ("missed_visit", "After a missed visit"),
                            ("diary", "Daily diary prompt"),
                        ],
                        max_length=20,
                    ),
                ),
                ("channel", models.CharField(choices=[("email", "Email"), ("sms", "SMS")], max_length=10)),
                (
                    "subject_date",
                    models.DateField(help_text="The appointment's booked date, the missed visit's or the diary day."),
                ),
                ("offset_days", models.SmallIntegerField(default=0)),
                ("due_at", models.DateTimeField()),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("claimed", "Claimed by a dispatcher"),
                            ("sent", "Sent (accepted by the provider)"),
                            ("delivered", "Delivered"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="pending",
                        max_length=20,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("idempotency_key", models.CharField(max_length=200, unique=True)),
                ("provider_message_id", models.CharField(blank=True, max_length=200)),
                ("last_error", models.TextField(blank=True)),
                ("cancel_reason", models.CharField(blank=True, max_length=200)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("link_used_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notifications",
                        to="participants.appointment",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notifications",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["due_at", "pk"],
                "indexes": [
                    models.Index(fields=["state", "due_at"], name="notification_due"),
                    models.Index(fields=["provider_message_id"], name="notification_provider_id"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state__in", ["pending", "claimed"])),
                        fields=("appointment", "kind", "channel", "offset_days"),
                        name="notification_one_live_per_slot",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("kind", "diary"), ("appointment__isnull", False), _connector="OR"),
                        name="notification_appointment_needed",
                    ),
                ],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "reminders_notificationevent" ("appointment_id", "attempts", "cancel_reason", "channel", "claimed_at", "created_at", "delivered_at", "due_at", "id", "idempotency_key", "kind", "last_error", "link_used_at", "offset_days", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "provider_message_id", "sent_at", "state", "subject_date", "updated_at") VALUES (NEW."appointment_id", NEW."attempts", NEW."cancel_reason", NEW."channel", NEW."claimed_at", NEW."created_at", NEW."delivered_at", NEW."due_at", NEW."id", NEW."idempotency_key", NEW."kind", NEW."last_error", NEW."link_used_at", NEW."offset_days", NEW."participant_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."provider_message_id", NEW."sent_at", NEW."state", NEW."subject_date", NEW."updated_at"); RETURN NULL;',
                            hash="383ed522fbdfb426959daf9db7835b538cfc2bbd",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_382a9",
                            table="reminders_notification",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "reminders_notificationevent" ("appointment_id", "attempts", "cancel_reason", "channel", "claimed_at", "created_at", "delivered_at", "due_at", "id", "idempotency_key", "kind", "last_error", "link_used_at", "offset_days", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "provider_message_id", "sent_at", "state", "subject_date", "updated_at") VALUES (NEW."appointment_id", NEW."attempts", NEW."cancel_reason", NEW."channel", NEW."claimed_at", NEW."created_at", NEW."delivered_at", NEW."due_at", NEW."id", NEW."idempotency_key", NEW."kind", NEW."last_error", NEW."link_used_at", NEW."offset_days", NEW."participant_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."provider_message_id", NEW."sent_at", NEW."state", NEW."subject_date", NEW."updated_at"); RETURN NULL;',
                            hash="61b5928cdfbd762ff2d14044d310134f00bbed77",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_b809c",
                            table="reminders_notification",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "reminders_notificationevent" ("appointment_id", "attempts", "cancel_reason", "channel", "claimed_at", "created_at", "delivered_at", "due_at", "id", "idempotency_key", "kind", "last_error", "link_used_at", "offset_days", "participant_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "provider_message_id", "sent_at", "state", "subject_date", "updated_at") VALUES (OLD."appointment_id", OLD."attempts", OLD."cancel_reason", OLD."channel", OLD."claimed_at", OLD."created_at", OLD."delivered_at", OLD."due_at", OLD."id", OLD."idempotency_key", OLD."kind", OLD."last_error", OLD."link_used_at", OLD."offset_days", OLD."participant_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."provider_message_id", OLD."sent_at", OLD."state", OLD."subject_date", OLD."updated_at"); RETURN NULL;',
                            hash="59f0a7021a9684630e735b7d181743ef6d199c00",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_33576",
                            table="reminders_notification",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="NotificationEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("appointment", "Appointment reminder"),
                            ("missed_visit", "After a missed visit"),
                            ("diary", "Daily diary prompt"),
                        ],
                        max_length=20,
                    ),
                ),
                ("channel", models.CharField(choices=[("email", "Email"), ("sms", "SMS")], max_length=10)),
                (
                    "subject_date",
                    models.DateField(help_text="The appointment's booked date, the missed visit's or the diary day."),
                ),
                ("offset_days", models.SmallIntegerField(default=0)),
                ("due_at", models.DateTimeField()),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("claimed", "Claimed by a dispatcher"),
                            ("sent", "Sent (accepted by the provider)"),
                            ("delivered", "Delivered"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="pending",
                        max_length=20,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("idempotency_key", models.CharField(max_length=200)),
                ("provider_message_id", models.CharField(blank=True, max_length=200)),
                ("last_error", models.TextField(blank=True)),
                ("cancel_reason", models.CharField(blank=True, max_length=200)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("link_used_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
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
                        to="reminders.notification",
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
                            hash="1dcc00b89a0b5d212b99b77e058f64d1b225799e",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_dcf65",
                            table="reminders_notificationevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ParticipantResponse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("confirm", "Confirmed the appointment"),
                            ("reschedule", "Asked to reschedule"),
                            ("diary", "Reported drinking"),
                            ("opt_out", "Opted out"),
                        ],
                        max_length=20,
                    ),
                ),
                ("channel", models.CharField(blank=True, choices=[("email", "Email"), ("sms", "SMS")], max_length=10)),
                ("note", models.TextField(blank=True)),
                ("payload", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="participants.appointment",
                    ),
                ),
                (
                    "notification",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="responses",
                        to="reminders.notification",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="participants.participant"
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
                "triggers": [
                    pgtrigger.compiler.Trigger(
                        name="insert_insert",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "reminders_participantresponseevent" ("appointment_id", "channel", "created_at", "id", "kind", "note", "notification_id", "participant_id", "payload", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."appointment_id", NEW."channel", NEW."created_at", NEW."id", NEW."kind", NEW."note", NEW."notification_id", NEW."participant_id", NEW."payload", _pgh_attach_context(), NOW(), \'insert\', NEW."id"); RETURN NULL;',
                            hash="4af51918535172503a4329ae3a880753e7304b7c",
                            operation="INSERT",
                            pgid="pgtrigger_insert_insert_f467c",
                            table="reminders_participantresponse",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="update_update",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                            func='INSERT INTO "reminders_participantresponseevent" ("appointment_id", "channel", "created_at", "id", "kind", "note", "notification_id", "participant_id", "payload", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."appointment_id", NEW."channel", NEW."created_at", NEW."id", NEW."kind", NEW."note", NEW."notification_id", NEW."participant_id", NEW."payload", _pgh_attach_context(), NOW(), \'update\', NEW."id"); RETURN NULL;',
                            hash="6fc35bce96fcbf8e4834d76f87a6288c348d6c79",
                            operation="UPDATE",
                            pgid="pgtrigger_update_update_c5bd1",
                            table="reminders_participantresponse",
                            when="AFTER",
                        ),
                    ),
                    pgtrigger.compiler.Trigger(
                        name="delete_delete",
                        sql=pgtrigger.compiler.UpsertTriggerSql(
                            func='INSERT INTO "reminders_participantresponseevent" ("appointment_id", "channel", "created_at", "id", "kind", "note", "notification_id", "participant_id", "payload", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (OLD."appointment_id", OLD."channel", OLD."created_at", OLD."id", OLD."kind", OLD."note", OLD."notification_id", OLD."participant_id", OLD."payload", _pgh_attach_context(), NOW(), \'delete\', OLD."id"); RETURN NULL;',
                            hash="dd03cdd499a0581fe4919a29b1dd54c9d1d6c961",
                            operation="DELETE",
                            pgid="pgtrigger_delete_delete_de1f3",
                            table="reminders_participantresponse",
                            when="AFTER",
                        ),
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ParticipantResponseEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("confirm", "Confirmed the appointment"),
                            ("reschedule", "Asked to reschedule"),
                            ("diary", "Reported drinking"),
                            ("opt_out", "Opted out"),
                        ],
                        max_length=20,
                    ),
                ),
                ("channel", models.CharField(blank=True, choices=[("email", "Email"), ("sms", "SMS")], max_length=10)),
                ("note", models.TextField(blank=True)),
                ("payload", models.JSONField(blank=True, default=dict)),
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
                    "notification",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="reminders.notification",
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
                        to="reminders.participantresponse",
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
                            hash="c1d90ad051ecc58b4cf9d16b9cf2d9506bceb032",
                            operation="UPDATE OR DELETE",
                            pgid="pgtrigger_append_only_cf5fe",
                            table="reminders_participantresponseevent",
                            when="BEFORE",
                        ),
                    )
                ],
            },
        ),
    ]
