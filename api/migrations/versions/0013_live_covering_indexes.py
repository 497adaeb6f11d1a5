"""indexes of live events that hold each event's version

A page's first query reads the ``(id, version, sort keys)`` of the live events in one order
(api/queries/__init__.py). The indexes of each order (and of a mission's events in timeline
order) now hold only live events (``deleted_at IS NULL``, which every read of events says)
and end with ``id, version, deleted_at``: SQLite and PostgreSQL answer that query from the
index alone (an index-only scan on PostgreSQL once the table is vacuumed), without visiting
each row. (SQLite counts an index as covering only if it holds the columns of its own WHERE.)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

LIVE = sa.text('deleted_at IS NULL')
# (new index, its leading columns, the index it replaces)
INDEXES = (
    ('ix_events_live_earliest', ['earliest'], 'ix_events_earliest_id'),
    ('ix_events_live_title', ['title'], 'ix_events_title_id'),
    ('ix_events_live_changed_at', ['changed_at'], 'ix_events_changed_at_id'),
    ('ix_events_live_mission', ['mission_id', 'earliest'], 'ix_events_mission_earliest_id'),
)


def upgrade():
    for name, columns, old in INDEXES:
        op.create_index(name, 'events', [*columns, 'id', 'version', 'deleted_at'], unique=False,
                        sqlite_where=LIVE, postgresql_where=LIVE)
        op.drop_index(old, table_name='events')


def downgrade():
    for name, columns, old in INDEXES:
        op.create_index(old, 'events', [*columns, 'id'], unique=False)
        op.drop_index(name, table_name='events')
