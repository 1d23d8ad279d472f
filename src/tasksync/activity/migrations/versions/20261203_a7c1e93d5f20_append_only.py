"""append-only entries on PostgreSQL: a trigger refuses UPDATE and DELETE, except inside the
retention function (Revision ID: a7c1e93d5f20)"""

from alembic import op

revision = "a7c1e93d5f20"
down_revision = "ff04f57f3636"

_SETTING = "tasksync.activity_retention"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no such guard: the hash chain shows any change (docs/operations.md)
    op.execute(
        f"""
        CREATE FUNCTION activity_entries_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND current_setting('{_SETTING}', true) = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'activity entries are append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER activity_entries_append_only BEFORE UPDATE OR DELETE"
        " ON activity_entries FOR EACH ROW EXECUTE FUNCTION activity_entries_append_only()"
    )
    op.execute(
        f"""
        CREATE FUNCTION activity_cut(upto bigint) RETURNS bigint AS $$
        DECLARE
            deleted bigint;
        BEGIN
            PERFORM set_config('{_SETTING}', 'on', true);
            DELETE FROM activity_entries WHERE seq <= upto;
            GET DIAGNOSTICS deleted = ROW_COUNT;
            PERFORM set_config('{_SETTING}', 'off', true);
            RETURN deleted;
        END $$ LANGUAGE plpgsql
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION activity_cut(bigint)")
    op.execute("DROP TRIGGER activity_entries_append_only ON activity_entries")
    op.execute("DROP FUNCTION activity_entries_append_only()")
