"""the change log replaces the data version row

Every committed change to a mission, source, person, event, citation or claim is an entry
of ``changes`` (api/domain/changelog.py); its last ``seq`` is the data version. An existing
database gets one entry per record it holds (a create, or a delete for a deleted event),
numbered after its old data version, so following the log from 0 rebuilds it and no
event's version repeats a number already used.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 20:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# (resource, table, action, mission, version, revision, parent resource, parent id)
BASELINE = (
    ("mission", "missions", "'create'", "id", "NULL", "NULL", "NULL", "NULL"),
    ("source", "sources", "'create'", "NULL", "version",
     "(SELECT max(number) FROM record_revisions r WHERE r.kind = 'source'"
     " AND r.record_id = t.id)", "NULL", "NULL"),
    ("person", "people", "'create'", "NULL", "version",
     "(SELECT max(number) FROM record_revisions r WHERE r.kind = 'person'"
     " AND r.record_id = t.id)", "NULL", "NULL"),
    ("event", "events",
     "CASE WHEN deleted_at IS NULL THEN 'create' ELSE 'delete' END", "mission_id", "version",
     "(SELECT max(number) FROM event_revisions r WHERE r.event_id = t.id)", "NULL", "NULL"),
    ("citation", "citations", "'create'",
     "(SELECT mission_id FROM events e WHERE e.id = t.event_id)", "NULL",
     "(SELECT max(number) FROM event_revisions r WHERE r.event_id = t.event_id)",
     "'event'", "t.event_id"),
    ("claim", "claims", "'create'",
     "(SELECT mission_id FROM events e WHERE e.id = t.event_id)", "NULL", "NULL",
     "CASE WHEN event_id IS NULL THEN 'source' ELSE 'event' END",
     "coalesce(t.event_id, t.source_id)"),
)


def upgrade():
    op.create_table(
        'changes',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('resource', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('revision', sa.Integer(), nullable=True),
        sa.Column('mission_id', sa.String(length=100), nullable=True),
        sa.Column('parent_resource', sa.String(length=20), nullable=True),
        sa.Column('parent_id', sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint('seq'),
    )
    op.create_index('ix_changes_mission_seq', 'changes', ['mission_id', 'seq'])
    conn = op.get_bind()
    after = conn.scalar(sa.text("SELECT max(version) FROM data_version")) or 0
    for resource, table, action, mission, version, rev, parent, parent_id in BASELINE:
        key = "CAST(t.id AS VARCHAR(100))"
        conn.execute(sa.text(
            "INSERT INTO changes (seq, at, action, resource, record_id, version, revision,"
            " mission_id, parent_resource, parent_id)"
            f" SELECT :after + row_number() OVER (ORDER BY t.id), CURRENT_TIMESTAMP,"
            f" {action}, '{resource}', {key}, {version}, {rev}, {mission}, {parent},"
            f" {parent_id} FROM {table} t"), {"after": after})
        after = conn.scalar(sa.text("SELECT max(seq) FROM changes")) or after
    op.drop_table('data_version')


def downgrade():
    op.create_table('data_version',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    conn = op.get_bind()
    last = conn.scalar(sa.text("SELECT max(seq) FROM changes"))
    if last:
        conn.execute(sa.text("INSERT INTO data_version (id, version) VALUES (1, :v)"),
                     {"v": last})
    op.drop_index('ix_changes_mission_seq', table_name='changes')
    op.drop_table('changes')
