"""indexes of live events by type then status, and by status then type, for facets

``type=launch&facets=status`` counts the statuses of about 62,000 of 1,000,000 events. With
migration 0018's type index holding the status (and the status index the type), SQLite
still chose to scan the whole status index, in the order that groups by status, testing
each entry's type: 62 ms for the count alone. An index of (type, status) reads just the
filter's entries, already grouped: 3.7 ms (docs/performance.md). The same for a status
filter's type facet. The pair indexes now count those facets, so the type and status page
indexes are rebuilt without the other column (0018 added it for them); the mission's keeps
both. The table is analysed again, so the planner knows the new indexes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 02:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

LIVE = sa.text('deleted_at IS NULL')
START = ['earliest', 'day_order', 'id', 'version']
# (the filter's column, the one its facet counts)
PAIRS = (('type', 'status'), ('status', 'type'))


def _live_index(name, columns):
    op.create_index(name, 'events', [*columns, 'deleted_at'], unique=False,
                    sqlite_where=LIVE, postgresql_where=LIVE)


def upgrade():
    for column, counted in PAIRS:
        op.drop_index(f'ix_events_live_{column}', table_name='events')
        _live_index(f'ix_events_live_{column}', [column, *START])
        _live_index(f'ix_events_live_{column}_{counted}', [column, counted])
    op.execute('ANALYZE events')


def downgrade():
    for column, counted in PAIRS:
        op.drop_index(f'ix_events_live_{column}_{counted}', table_name='events')
        op.drop_index(f'ix_events_live_{column}', table_name='events')
        _live_index(f'ix_events_live_{column}', [column, *START, counted])
