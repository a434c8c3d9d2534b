"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit trail.

TRUNCATE is left alone: it is what test databases use to reset, and it needs the table owner's rights
that the application's role should not have in production (see README).
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION workflows_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workflows_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER workflows_auditevent_append_only
    BEFORE UPDATE OR DELETE ON workflows_auditevent
    FOR EACH ROW EXECUTE FUNCTION workflows_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS workflows_auditevent_append_only ON workflows_auditevent;
DROP FUNCTION IF EXISTS workflows_auditevent_append_only();
"""


# params=None: the SQL is sent as written (RAISE's "%" must not be read as a query placeholder).
def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
