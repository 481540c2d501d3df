"""An audit context's attribution, once written, is kept: an UPDATE of ``pghistory_context`` may add
keys to its metadata (pghistory's ``_pgh_attach_context()`` upserts the context of a request or a
task as nested contexts add to it) but never change or remove one it already holds, nor move its
time. PostgreSQL only: SQLite records no audit trail."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION trialtracker_context_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'an audit context keeps its id and its time';
    END IF;
    IF EXISTS (
        SELECT 1 FROM jsonb_each(OLD.metadata) AS held
        WHERE NEW.metadata -> held.key IS DISTINCT FROM held.value
    ) THEN
        RAISE EXCEPTION 'an audit context''s attribution cannot be changed, only added to';
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS trialtracker_context_kept ON pghistory_context;
CREATE TRIGGER trialtracker_context_kept BEFORE UPDATE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION trialtracker_context_kept();
"""

REVERSE = """
DROP TRIGGER IF EXISTS trialtracker_context_kept ON pghistory_context;
DROP FUNCTION IF EXISTS trialtracker_context_kept();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("trialtracker", "0005_role_requests"), ("pghistory", "0007_auto_20250421_0444")]

    operations = [migrations.RunPython(forwards, backwards)]
