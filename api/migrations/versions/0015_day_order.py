"""events in the order they happened within a day

``events.day_order`` holds the ``order`` of an event's start (0 without one): the
timeline's order is (earliest, day_order, id), so on 5 October 2021 the launch comes before
what followed it, whatever the ids. The live indexes of that order lead with it too, so a
page is still read from the index alone. Existing rows get their start's ``order`` (none
before this migration: 0), and ``flask seed`` sets it from the seed files.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 20:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

LIVE = sa.text('deleted_at IS NULL')
TAIL = ['id', 'version', 'deleted_at']
# (index, its columns before this migration, after it)
INDEXES = (
    ('ix_events_live_earliest', ['earliest'], ['earliest', 'day_order']),
    ('ix_events_live_mission', ['mission_id', 'earliest'], ['mission_id', 'earliest', 'day_order']),
)


def _indexes(which: int) -> None:
    for name, *columns in INDEXES:
        op.drop_index(name, table_name='events')
        op.create_index(name, 'events', [*columns[which], *TAIL], unique=False,
                        sqlite_where=LIVE, postgresql_where=LIVE)


def upgrade():
    op.add_column('events', sa.Column('day_order', sa.Integer(), nullable=False,
                                      server_default='0'))
    _indexes(1)


def downgrade():
    _indexes(0)
    with op.batch_alter_table('events') as batch:
        batch.drop_column('day_order')
