"""events by mission in timeline order: an index for mission documents

A mission's TimelineJS, calendar or CSV asks for its events in (earliest, id) order. Without
this index SQLite walks every event in that order and filters by mission; with it, it reads
the mission's events only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 06:30:00

"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_events_mission_earliest_id', 'events', ['mission_id', 'earliest', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_events_mission_earliest_id', table_name='events')
