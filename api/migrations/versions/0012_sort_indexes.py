"""indexes for the title and change-time orders

``sort=title`` and ``sort=changed`` (and their reverses) page by ``(title, id)`` and
``(changed_at, id)``: with these indexes a first page, a deep page, and a search in those
orders walks the index instead of sorting every event (api/queries/ranking.py).
``(changed_at, id)`` also serves ``changed_since``, so it replaces ``ix_events_changed_at``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:00:00

"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_events_title_id', 'events', ['title', 'id'], unique=False)
    op.create_index('ix_events_changed_at_id', 'events', ['changed_at', 'id'], unique=False)
    op.drop_index('ix_events_changed_at', table_name='events')


def downgrade():
    op.create_index('ix_events_changed_at', 'events', ['changed_at'], unique=False)
    op.drop_index('ix_events_changed_at_id', table_name='events')
    op.drop_index('ix_events_title_id', table_name='events')
